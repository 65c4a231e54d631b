#pragma once
// Stops the line instead of burning retries: a run of consecutive 5xx or network failures
// pauses new submissions (tracked tasks keep being polled), for longer each time the trouble
// persists. Pure: no I/O, time comes in as `now`; single-threaded.

#include "evobatch/sched/clock.hpp"

#include <optional>

namespace evobatch::sched {

class CircuitBreaker {
public:
    // Opens after `threshold` (at least 1) consecutive failures for `first_pause`; each time it
    // opens again without a success in between, the pause doubles, up to `max_pause`.
    CircuitBreaker(int threshold, Clock::duration first_pause, Clock::duration max_pause);

    // A 5xx answer or a network failure, of any request. Failures while open change nothing but
    // the count (they come from requests sent before it opened). The first failure after a
    // pause, before any success, opens it again at once: the trouble has not gone away.
    void on_failure(TimePoint now);

    // Any answer that shows the server works (including 4xx): closes the breaker and resets the
    // pause to `first_pause`.
    void on_success();

    // False while open: submit no new task before open_until().
    [[nodiscard]] bool allows_new_work(TimePoint now) const;

    // The end of the current (or last) pause since the last success; nothing when no pause
    // happened since then.
    [[nodiscard]] std::optional<TimePoint> open_until() const noexcept { return m_open_until; }
    [[nodiscard]] int consecutive_failures() const noexcept { return m_failures; }

private:
    void open(TimePoint now);

    int m_threshold;
    Clock::duration m_first_pause;
    Clock::duration m_max_pause;
    Clock::duration m_next_pause;
    int m_failures = 0;
    std::optional<TimePoint> m_open_until;
};

} // namespace evobatch::sched
