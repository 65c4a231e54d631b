#include "evobatch/sched/circuit_breaker.hpp"

#include <algorithm>

namespace evobatch::sched {

CircuitBreaker::CircuitBreaker(int threshold, Clock::duration first_pause, Clock::duration max_pause)
    : m_threshold(std::max(threshold, 1)), m_first_pause(std::max(first_pause, Clock::duration::zero())),
      m_max_pause(std::max(max_pause, m_first_pause)), m_next_pause(m_first_pause) {}

void CircuitBreaker::on_failure(TimePoint now) {
    ++m_failures;
    if (!allows_new_work(now)) {
        return;
    }
    // Half-open: a pause ended and nothing has succeeded since.
    bool const probing = m_open_until.has_value();
    if (probing || m_failures >= m_threshold) {
        open(now);
    }
}

void CircuitBreaker::on_success() {
    m_failures = 0;
    m_open_until.reset();
    m_next_pause = m_first_pause;
}

bool CircuitBreaker::allows_new_work(TimePoint now) const {
    return !m_open_until || now >= *m_open_until;
}

void CircuitBreaker::open(TimePoint now) {
    m_open_until = now + m_next_pause;
    // Halving the max first keeps the doubling from overflowing with a huge max_pause.
    m_next_pause = m_next_pause > m_max_pause / 2 ? m_max_pause : m_next_pause * 2;
}

} // namespace evobatch::sched
