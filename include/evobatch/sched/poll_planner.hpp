#pragma once
// When to look at a task again. Each query makes the gateway ask the upstream provider (api.md),
// so polls follow the task's estimated_time and its observed progress rate: one poll well into
// the run, one just after the predicted finish, then closer polls while it runs late. With
// durations between 0.6x and 1.6x the estimate and steady progress from the submit (the
// simulator's tasks) that is 2 polls a task, and completion is noticed within max(5 s, 10% of
// the task's duration). A task that waited in the server's queue before it progressed cannot be
// told from a slow one by one reading: it is noticed within about half its duration
// (tests/unit/sched/test_poll_planner.cpp measures both).
// Pure: no I/O, time comes in as `now`; single-threaded.

#include "evobatch/sched/clock.hpp"

#include <chrono>

namespace evobatch::sched {

struct PollPlannerOptions {
    // The first poll, at this fraction of the estimate after the submit. Tasks can take as little
    // as 0.6x their estimate (the spread the simulator models), and one that finished before the
    // first poll is noticed only then: at 0.6 the fastest are noticed at once, at 0.7 a 0.6x
    // task would be noticed 17% of its duration late.
    double first_poll_fraction = 0.6;
    Clock::duration min_delay = std::chrono::seconds(2); // no poll sooner after the submit
    Clock::duration min_gap = std::chrono::seconds(1);   // between two polls of one task
    // The poll after a predicted finish comes this late, so that a task finishing on time is
    // seen done rather than at 99%: max(finish_margin, finish_margin_fraction * duration).
    Clock::duration finish_margin = std::chrono::seconds(1);
    double finish_margin_fraction = 0.02;
    // Past the predicted finish (or the estimate, without progress): one poll every
    // max(close_interval, close_fraction * elapsed since the submit). A task finishing between
    // two such polls has run at least that elapsed time, so it is noticed within
    // max(close_interval, close_fraction of its duration); late tasks are polled ever less often.
    Clock::duration close_interval = std::chrono::seconds(5);
    double close_fraction = 0.1;
    // The progress rate predicts the finish when the duration it gives is at most
    // plausible_factor x max(estimate, elapsed). Beyond that the task most likely waited in the
    // server's queue and started late (progress counts from the submit), so the rest of it is
    // assumed to run at the estimated speed: (100 - progress)% of the estimate from the reading.
    double plausible_factor = 2.0;
    // Whatever the prediction, the task is looked at again within this many times
    // max(estimate, elapsed): progress can crawl, then jump.
    double max_gap_factor = 1.5;
    // A status the API does not document: at most one poll every max(unknown_interval, estimate).
    Clock::duration unknown_interval = std::chrono::seconds(60);
    // Stale: still running after this many times its estimate (flagged, still polled).
    double stale_factor = 3.0;
    // Used when the API gave no estimate (estimated_time missing or 0): api.md's example.
    std::chrono::seconds default_estimate{300};
    // Tasks due within this of the first due one are read with it: it fills batch reads.
    Clock::duration coalesce_window = std::chrono::seconds(2);
    // After a poll that failed (network, 5xx, 429), the task is tried again this much later.
    Clock::duration retry_interval = std::chrono::seconds(5);
};

// The same options with every fixed interval (min_delay, min_gap, finish_margin,
// close_interval, unknown_interval, coalesce_window, retry_interval) multiplied by `factor`: a simulator whose clock runs
// `factor` times real time gets the polling a real batch would get, only faster.
[[nodiscard]] PollPlannerOptions with_scaled_intervals(PollPlannerOptions options, double factor);

struct PollTask {
    TimePoint submitted{};            // when the create answer arrived
    std::chrono::seconds estimate{0}; // task_info.estimated_time; 0: not given
    int progress = 0;                 // the last progress seen, 0-100
    TimePoint progress_seen_at{};     // when that progress value was first seen (update on change only)
    int polls = 0;                    // polls answered so far
    bool status_unknown = false;      // the last poll showed a status api.md does not list
};

class PollPlanner {
public:
    explicit PollPlanner(PollPlannerOptions options = {});

    // When to poll `t` next, never before `now`. Call it after the submit (polls == 0) and
    // right after each poll answer that leaves the task running (polls > 0, `now` = when the
    // answer came): then the next poll is at least min_gap after that one.
    [[nodiscard]] TimePoint next_poll(PollTask const& t, TimePoint now) const;

    // When `t` will finish judging from its progress rate (elapsed / progress; see
    // plausible_factor), else its submit time plus its estimate.
    [[nodiscard]] TimePoint predicted_finish(PollTask const& t) const;

    // Running longer than stale_factor x its estimate; such a task keeps being polled.
    [[nodiscard]] bool is_stale(PollTask const& t, TimePoint now) const;

    [[nodiscard]] PollPlannerOptions const& options() const noexcept { return m_options; }

private:
    [[nodiscard]] Clock::duration estimate_of(PollTask const& t) const;

    PollPlannerOptions m_options;
};

} // namespace evobatch::sched
