#pragma once
// The batch's ETA for the progress view: when the last job should finish, from each running
// task's estimate and observed progress, and the queue behind them. An estimate, recomputed
// at every redraw; pure, no I/O.

#include "evobatch/sched/clock.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>

namespace evobatch::sched {

struct RunningTask {
    TimePoint submitted{};
    std::chrono::seconds estimate{0}; // task_info.estimated_time; 0 when not known (yet)
    int progress = 0;                 // 0-100
    TimePoint progress_seen_at{};
};

struct BatchEta {
    // Model, kept simple:
    // - a running task needs (elapsed when its progress was seen) * (100 - progress) / progress
    //   more, counted from when that progress was seen, when progress > 0; else its estimate
    //   minus its elapsed time. Either way at least k_min_remaining: it has not finished yet;
    // - `queued` jobs (still to submit, retries included) take the `max_in_flight` slots in
    //   order as they free up (running tasks free theirs when they end), each running the mean
    //   estimate of the running tasks (or `typical_estimate`, e.g. the mean of finished tasks,
    //   when none has one), and queued job k cannot start before k / `submit_rate` (creates a
    //   second; 0: not limited).
    // Nothing when no estimate is known yet; zero when nothing runs and nothing is queued.
    static std::optional<std::chrono::seconds>
    estimate(std::span<RunningTask const> running, std::size_t queued, std::size_t max_in_flight,
             double submit_rate, TimePoint now,
             std::optional<std::chrono::seconds> typical_estimate = std::nullopt);

    static constexpr std::chrono::seconds k_min_remaining{3};
};

} // namespace evobatch::sched
