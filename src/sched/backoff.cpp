#include "evobatch/sched/backoff.hpp"

#include <algorithm>

namespace evobatch::sched {

Backoff::Backoff(Clock::duration base, Clock::duration cap, std::uint64_t seed)
    : m_base(std::max(base, Clock::duration::zero())), m_cap(std::max(cap, Clock::duration::zero())),
      m_rng(seed) {}

Clock::duration Backoff::ceiling(int attempt) const noexcept {
    auto const base = m_base.count();
    auto const cap = m_cap.count();
    int const shift = std::max(attempt, 0);
    // base << shift <= cap exactly when base <= cap >> shift, a test that cannot overflow; a
    // shift by the width of rep or more is undefined and past any cap for a nonzero base.
    if (base == 0) {
        return Clock::duration::zero();
    }
    if (shift >= 63 || base > (cap >> shift)) {
        return m_cap;
    }
    return Clock::duration(base << shift);
}

Clock::duration Backoff::next(int attempt) {
    std::uniform_int_distribution<Clock::rep> pick(0, ceiling(attempt).count());
    return Clock::duration(pick(m_rng));
}

} // namespace evobatch::sched
