#include "token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace evobatch::sim {

TokenBucket::TokenBucket(double rate, int burst, SteadyTime now)
    : m_rate(rate), m_capacity(burst > 0 ? burst : std::max(1.0, std::ceil(rate))), m_tokens(m_capacity),
      m_last(now) {}

std::chrono::nanoseconds TokenBucket::try_take(SteadyTime now) {
    if (m_rate <= 0) {
        return std::chrono::nanoseconds{0};
    }
    if (now > m_last) {
        std::chrono::duration<double> const elapsed = now - m_last;
        m_tokens = std::min(m_capacity, m_tokens + elapsed.count() * m_rate);
        m_last = now;
    }
    if (m_tokens >= 1.0) {
        m_tokens -= 1.0;
        return std::chrono::nanoseconds{0};
    }
    auto const wait = std::chrono::duration<double>((1.0 - m_tokens) / m_rate);
    // Round up, and never answer "now" for a request that was just refused.
    return std::max(std::chrono::nanoseconds{1}, std::chrono::ceil<std::chrono::nanoseconds>(wait));
}

void WindowMax::add(SteadyTime now) {
    while (!m_recent.empty() && now - m_recent.front() >= std::chrono::seconds{1}) {
        m_recent.pop_front();
    }
    m_recent.push_back(now);
    m_max = std::max(m_max, m_recent.size());
}

} // namespace evobatch::sim
