#pragma once
// The token bucket every API request passes (creates and polls alike), adapting to 429 answers:
// multiplicative decrease on a throttle, additive increase back while requests succeed, never
// above the configured rate. Pure: no I/O, time comes in as `now`; single-threaded.

#include "evobatch/sched/clock.hpp"

#include <chrono>
#include <optional>

namespace evobatch::sched {

class RateLimiter {
public:
    // `rate_per_second` > 0 tokens a second, at most `burst` - k_headroom saved up (at least 1).
    // Starts full. The headroom is for the server's bucket of the same size: it counts our
    // requests when they arrive, and one that arrives late (the first one's TLS handshake,
    // a busy connection) lets the next ones arrive closer than we sent them. One token of
    // margin absorbs up to 1/rate of such jitter, so a server with our limits answers no 429.
    // Throws std::invalid_argument on a rate that is not positive.
    RateLimiter(double rate_per_second, double burst);

    // Takes one token and returns nothing, or returns how long until one is available (and
    // takes nothing). Waiting that long and asking again gets the token unless another request
    // took it first or a throttle came in. Over any 1 s window at most configured rate + burst
    // tokens are granted.
    std::optional<Clock::duration> try_acquire(TimePoint now);

    // A 429 answer: halves the current rate (floor max(configured / 32, 0.05/s)) and empties the
    // bucket, so the requests queued behind it do not hit the limit too. 429s that arrive within
    // k_decrease_spacing of the last decrease were caused by requests sent before it and change
    // nothing (no second halving, no new pause). With `retry_after`, no token is granted before
    // now + retry_after; one is available right then.
    void on_throttled(TimePoint now, std::optional<std::chrono::seconds> retry_after);

    // A request that was not throttled: the rate grows back by configured / 10 for each second
    // since the last throttle or increase (time-based, so independent of how many requests
    // succeed), never above the configured rate.
    void on_success(TimePoint now);

    [[nodiscard]] double current_rate() const noexcept { return m_rate; }
    [[nodiscard]] double configured_rate() const noexcept { return m_configured_rate; }
    [[nodiscard]] double burst() const noexcept { return m_capacity; }

    static constexpr double k_headroom = 1.0;
    // The end of a Retry-After pause when one is still ahead of `now`.
    [[nodiscard]] std::optional<TimePoint> paused_until(TimePoint now) const;

    static constexpr std::chrono::seconds k_decrease_spacing{1};
    static constexpr double k_min_rate = 0.05;           // requests a second, whatever is configured
    static constexpr double k_max_decrease_factor = 32;  // the rate never drops below configured / this
    static constexpr double k_increase_per_second = 0.1; // of the configured rate

private:
    void refill(TimePoint now);

    double m_configured_rate;
    double m_capacity;
    double m_rate;
    double m_floor_rate;
    double m_tokens;
    // Tokens are counted up to here; in the future while a Retry-After pause lasts.
    std::optional<TimePoint> m_counted_until;
    std::optional<TimePoint> m_last_decrease;
    std::optional<TimePoint> m_last_adjust; // last throttle or increase: the additive increase counts from it
};

} // namespace evobatch::sched
