#include "evobatch/sched/batch_eta.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace evobatch::sched {

namespace {

double seconds_between(TimePoint from, TimePoint to) {
    return std::chrono::duration<double>(to - from).count();
}

// Seconds until `t` finishes, seen from `now`.
double remaining_of(RunningTask const& t, double mean_estimate, TimePoint now) {
    double remaining = 0;
    if (t.progress > 0 && t.progress_seen_at > t.submitted) {
        double const done_in = seconds_between(t.submitted, t.progress_seen_at);
        double const progress = std::min(t.progress, 100);
        remaining = done_in * (100.0 - progress) / progress - seconds_between(t.progress_seen_at, now);
    } else {
        double const estimate =
            t.estimate.count() > 0 ? static_cast<double>(t.estimate.count()) : mean_estimate;
        remaining = estimate - seconds_between(t.submitted, now);
    }
    return std::max(remaining, static_cast<double>(BatchEta::k_min_remaining.count()));
}

} // namespace

std::optional<std::chrono::seconds> BatchEta::estimate(std::span<RunningTask const> running,
                                                       std::size_t queued, std::size_t max_in_flight,
                                                       double submit_rate, TimePoint now,
                                                       std::optional<std::chrono::seconds> typical_estimate) {
    if (running.empty() && queued == 0) {
        return std::chrono::seconds(0);
    }
    double sum = 0;
    std::size_t known = 0;
    for (RunningTask const& t : running) {
        if (t.estimate.count() > 0) {
            sum += static_cast<double>(t.estimate.count());
            ++known;
        }
    }
    double mean = 0;
    if (known > 0) {
        mean = sum / static_cast<double>(known);
    } else if (typical_estimate && typical_estimate->count() > 0) {
        mean = static_cast<double>(typical_estimate->count());
    } else {
        return std::nullopt;
    }

    std::vector<double> remaining;
    remaining.reserve(running.size());
    for (RunningTask const& t : running) {
        remaining.push_back(remaining_of(t, mean, now));
    }
    std::sort(remaining.begin(), remaining.end());
    double eta = remaining.empty() ? 0.0 : remaining.back();

    if (queued > 0) {
        // When the slots free up, earliest first: idle slots now, then the running tasks' ends.
        // With more tasks running than slots (the cap was lowered), the first to end free none.
        std::size_t const slots = std::max<std::size_t>(max_in_flight, 1);
        std::vector<double> free_at(slots > remaining.size() ? slots - remaining.size() : 0, 0.0);
        auto const first_freeing = remaining.size() > slots
                                       ? remaining.end() - static_cast<std::ptrdiff_t>(slots)
                                       : remaining.begin();
        free_at.insert(free_at.end(), first_freeing, remaining.end());
        // Equal durations keep the slots in order, so job k takes slot k mod slots.
        for (std::size_t k = 0; k < queued; ++k) {
            double& slot = free_at[k % slots];
            double const allowed = submit_rate > 0 ? static_cast<double>(k) / submit_rate : 0.0;
            slot = std::max(slot, allowed) + mean;
            eta = std::max(eta, slot);
        }
    }
    return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(eta)));
}

} // namespace evobatch::sched
