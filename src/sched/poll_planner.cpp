#include "evobatch/sched/poll_planner.hpp"

#include <algorithm>

namespace evobatch::sched {

namespace {

Clock::duration times(Clock::duration d, double factor) {
    return std::chrono::round<Clock::duration>(std::chrono::duration<double, Clock::period>(d) * factor);
}

constexpr std::chrono::hours k_longest_estimate{24 * 30};

Clock::duration since(TimePoint from, TimePoint to) {
    return to > from ? to - from : Clock::duration::zero();
}

} // namespace

PollPlannerOptions with_scaled_intervals(PollPlannerOptions o, double factor) {
    for (Clock::duration* d : {&o.min_delay, &o.min_gap, &o.finish_margin, &o.close_interval, &o.unknown_interval,
                                &o.coalesce_window, &o.retry_interval}) {
        *d = times(*d, factor);
    }
    return o;
}

PollPlanner::PollPlanner(PollPlannerOptions options) : m_options(options) {}

Clock::duration PollPlanner::estimate_of(PollTask const& t) const {
    if (t.estimate.count() <= 0) {
        return m_options.default_estimate;
    }
    // An absurd estimate from the server must not overflow the arithmetic on nanoseconds
    // (compared in seconds: converting it first could overflow already).
    return t.estimate > k_longest_estimate ? Clock::duration(k_longest_estimate)
                                           : Clock::duration(t.estimate);
}

TimePoint PollPlanner::predicted_finish(PollTask const& t) const {
    if (t.progress > 0 && t.progress_seen_at > t.submitted) {
        if (t.progress >= 100) {
            return t.progress_seen_at;
        }
        Clock::duration const elapsed = t.progress_seen_at - t.submitted;
        TimePoint const by_rate = t.submitted + times(elapsed, 100.0 / t.progress);
        if (by_rate - t.submitted <= times(std::max(estimate_of(t), elapsed), m_options.plausible_factor)) {
            return by_rate;
        }
        // Far too slow to believe: it most likely waited in the server's queue and started
        // late. Assume it runs at the estimated speed from where it is.
        return t.progress_seen_at + times(estimate_of(t), (100.0 - t.progress) / 100.0);
    }
    return t.submitted + estimate_of(t);
}

TimePoint PollPlanner::next_poll(PollTask const& t, TimePoint now) const {
    auto const& o = m_options;
    Clock::duration const estimate = estimate_of(t);
    TimePoint const earliest = t.polls > 0 ? now + o.min_gap : now;

    TimePoint target;
    if (t.status_unknown) {
        target = now + std::max(o.unknown_interval, estimate);
    } else if (t.polls == 0 && t.progress >= 100) {
        target = now; // seen over before its first poll (a task adopted from the task list): its results now
    } else if (t.polls == 0) {
        target = t.submitted + std::max(o.min_delay, times(estimate, o.first_poll_fraction));
    } else {
        Clock::duration const elapsed = since(t.submitted, now);
        TimePoint const finish = predicted_finish(t);
        if (finish > now) {
            Clock::duration const margin =
                std::max(o.finish_margin, times(since(t.submitted, finish), o.finish_margin_fraction));
            Clock::duration const longest =
                std::max(o.close_interval, times(std::max(estimate, elapsed), o.max_gap_factor));
            target = std::min(finish + margin, now + longest);
        } else {
            target = now + std::max(o.close_interval, times(elapsed, o.close_fraction));
        }
    }
    return std::max({target, earliest, t.submitted + o.min_delay});
}

bool PollPlanner::is_stale(PollTask const& t, TimePoint now) const {
    return since(t.submitted, now) > times(estimate_of(t), m_options.stale_factor);
}

} // namespace evobatch::sched
