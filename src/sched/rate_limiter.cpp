#include "evobatch/sched/rate_limiter.hpp"

#include <algorithm>
#include <stdexcept>

namespace evobatch::sched {

namespace {

// Token counts are doubles: a wait computed from them and rounded up to the clock's tick can
// land a hair short of a whole token. The slack is far below one token per second.
constexpr double k_token_slack = 1e-9;

double seconds_between(TimePoint from, TimePoint to) {
    return to > from ? std::chrono::duration<double>(to - from).count() : 0.0;
}

} // namespace

RateLimiter::RateLimiter(double rate_per_second, double burst)
    : m_configured_rate(rate_per_second), m_capacity(std::max(1.0, burst - k_headroom)), m_rate(rate_per_second),
      m_floor_rate(std::min(rate_per_second, std::max(rate_per_second / k_max_decrease_factor, k_min_rate))),
      m_tokens(m_capacity) {
    if (!(rate_per_second > 0)) {
        throw std::invalid_argument("RateLimiter: the rate must be positive");
    }
}

void RateLimiter::refill(TimePoint now) {
    if (!m_counted_until) {
        m_counted_until = now; // the bucket starts full at the first use
        return;
    }
    if (now <= *m_counted_until) {
        return;
    }
    m_tokens = std::min(m_capacity, m_tokens + m_rate * seconds_between(*m_counted_until, now));
    m_counted_until = now;
}

std::optional<Clock::duration> RateLimiter::try_acquire(TimePoint now) {
    refill(now);
    bool const paused = *m_counted_until > now;
    if (!paused && m_tokens >= 1.0 - k_token_slack) {
        m_tokens -= 1.0;
        return std::nullopt;
    }
    Clock::duration const pause = paused ? *m_counted_until - now : Clock::duration::zero();
    double const missing = std::max(0.0, 1.0 - m_tokens);
    auto const fill = std::chrono::ceil<Clock::duration>(std::chrono::duration<double>(missing / m_rate));
    return std::max(Clock::duration(1), pause + fill);
}

void RateLimiter::on_throttled(TimePoint now, std::optional<std::chrono::seconds> retry_after) {
    refill(now);
    // 429s soon after the last one answer requests sent before the reaction to it: they change
    // nothing (servers round Retry-After up to whole seconds, so pausing the batch for each of
    // them would idle it most of the time; each throttled request still waits its own).
    if (m_last_decrease && now - *m_last_decrease < k_decrease_spacing) {
        return;
    }
    m_rate = std::max(m_floor_rate, m_rate / 2);
    m_last_decrease = now;
    m_last_adjust = now;
    m_tokens = std::min(m_tokens, 0.0);
    if (retry_after && retry_after->count() > 0) {
        m_counted_until = std::max(*m_counted_until, now + *retry_after);
        m_tokens = 1.0; // the server said when to try again: one request may go right then
    }
}

void RateLimiter::on_success(TimePoint now) {
    if (m_rate >= m_configured_rate) {
        return;
    }
    refill(now); // tokens earned so far were earned at the old rate
    if (m_last_adjust) {
        m_rate = std::min(m_configured_rate, m_rate + m_configured_rate * k_increase_per_second *
                                                          seconds_between(*m_last_adjust, now));
    }
    m_last_adjust = std::max(now, m_last_adjust.value_or(now));
}

std::optional<TimePoint> RateLimiter::paused_until(TimePoint now) const {
    if (m_counted_until && *m_counted_until > now) {
        return m_counted_until;
    }
    return std::nullopt;
}

} // namespace evobatch::sched
