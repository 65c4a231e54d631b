#pragma once
// The simulator's rate limit, a token bucket, and the sliding 1 s window that measures what a
// client actually sent. Pure: the caller passes `now`.

#include "sim_clock.hpp"

#include <chrono>
#include <cstddef>
#include <deque>

namespace evobatch::sim {

class TokenBucket {
public:
    // `rate` tokens a second, at most `burst` saved up (0: max(1, ceil(rate))); the bucket
    // starts full. A rate of 0 means unlimited.
    TokenBucket(double rate, int burst, SteadyTime now);

    // Takes one token: zero when granted, else how long until a token is free (nothing taken).
    std::chrono::nanoseconds try_take(SteadyTime now);

    [[nodiscard]] double capacity() const noexcept { return m_capacity; }

private:
    double m_rate;
    double m_capacity;
    double m_tokens;
    SteadyTime m_last;
};

// The largest number of events inside any window of one second, over all events added so far.
// The maximum over all windows is reached by a window that ends at an event, so checking at each
// event is exact.
class WindowMax {
public:
    void add(SteadyTime now);
    [[nodiscard]] std::size_t max() const noexcept { return m_max; }

private:
    std::deque<SteadyTime> m_recent; // events of the last second, oldest first
    std::size_t m_max = 0;
};

} // namespace evobatch::sim
