#pragma once
// Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
// spreading retries over the whole interval keeps many jobs that failed together from retrying
// together. Pure: no I/O; single-threaded (it owns its random engine).

#include "evobatch/sched/clock.hpp"

#include <cstdint>
#include <random>

namespace evobatch::sched {

class Backoff {
public:
    // `base` is the ceiling of the first wait, `cap` the ceiling of every wait. Negative
    // durations count as zero. The same seed gives the same sequence of waits.
    Backoff(Clock::duration base, Clock::duration cap, std::uint64_t seed);

    // A wait drawn uniformly from [0, ceiling(attempt)]; `attempt` counts from 0.
    Clock::duration next(int attempt);

    // min(cap, base * 2^attempt), without overflow for any attempt (negative ones count as 0).
    [[nodiscard]] Clock::duration ceiling(int attempt) const noexcept;

private:
    Clock::duration m_base;
    Clock::duration m_cap;
    std::mt19937_64 m_rng;
};

} // namespace evobatch::sched
