#pragma once
// What the run's parts share (the submitter, the poller, the result downloads, the progress
// loop): the job table, the line to the API (rate limiter and its turn, circuit breaker), the
// ledger, the view, and how the run stops. Single-threaded: only the io thread touches it.
// Internal to src/sched.

#include "job_table.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/ledger/event.hpp"
#include "evobatch/ledger/ledger_writer.hpp"
#include "evobatch/progress/progress_view.hpp"
#include "evobatch/sched/backoff.hpp"
#include "evobatch/sched/circuit_breaker.hpp"
#include "evobatch/sched/rate_limiter.hpp"
#include "evobatch/sched/scheduler.hpp"
#include "evobatch/util/task_group.hpp"
#include "evobatch/util/wait_queue.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <deque>
#include <string>
#include <vector>

namespace evobatch::sched::detail {

inline constexpr auto k_rate_window = std::chrono::seconds(10); // for the rates shown

struct RunContext {
    RunContext(boost::asio::any_io_executor executor, api::ApiClient& api, ledger::LedgerWriter& ledger,
               progress::ProgressView& view, std::vector<manifest::Job> const& jobs, RunLimits limits,
               std::vector<jobs::JobStart> const& starts);

    // Moves a job (JobTable::set_state) and wakes the loops that wait on states.
    void set_state(JobRecord& r, JobState to, Reservation on_unsent = Reservation::release);
    // Waits for the rate limiter, first come first served; counts the request.
    boost::asio::awaitable<void> acquire_token(bool create);
    // Sleeps until `t`; wakes early only when submission stops or the run ends.
    boost::asio::awaitable<void> sleep_until(TimePoint t);
    ledger::Event event(ledger::EventType type, JobRecord const& r) const;
    // Writes `e` durably; on failure the run stops submitting (a ledger we cannot write is a
    // promise we cannot keep) and false is returned.
    boost::asio::awaitable<bool> record(ledger::Event e);
    // Ends a job whose create or task may have made a charge the ledger cannot follow:
    // `uncertain`, durable, its worst case left in the budget. References, not values: GCC 12
    // destroys class-type by-value arguments of a coroutine called in a co_await expression
    // twice; callers pass named locals, which outlive the call.
    boost::asio::awaitable<void> end_uncertain(JobRecord& r, ledger::EventError const& error,
                                               std::string const& request_id);
    void stop_submitting(std::string reason, bool by_api);
    // The API refused the key while tasks run (401/403 on a read): no read can follow them, so
    // the run ends as the API stopped it; the tasks stay running for a run with a working key.
    void abandon_polls(std::string const& why);
    void end_run(); // `done`: every loop and sleep ends
    // Each child's end wakes the loops; an exception (a bug in one job's path) stops submitting.
    void child_ended(std::exception_ptr error);

    boost::asio::any_io_executor executor;
    api::ApiClient& api;
    ledger::LedgerWriter& ledger;
    progress::ProgressView& view;
    RunLimits limits;
    JobTable table;

    RateLimiter limiter;
    util::Slots token_turn; // one slot: requests wait for rate-limiter tokens one at a time, in order
    CircuitBreaker breaker;
    Backoff backoff;
    util::WaitQueue changed;  // any state change the run's loops may care about (O(1) checks only)
    util::WaitQueue stopping; // submission stopped or the run ends: backoff sleeps end early
    util::TaskGroup children; // the run's coroutines, joined before the run returns

    // The run is ending: loops exit (`children` only says when they have; this tells them to).
    bool done = false;
    bool interrupted = false;
    bool submission_stopped = false;
    bool api_stopped = false;
    bool ceiling_reached = false; // submission stopped at limits.max_credits
    bool polls_abandoned = false; // abandon_polls(): the run ends without waiting for its tasks
    std::string stop_reason;

    std::uint64_t api_requests = 0;
    std::deque<TimePoint> recent_requests; // for the request rate shown
    TimePoint last_create_sent{};
    std::uint64_t requests_by_last_create = 0;
    TimePoint started;
};

} // namespace evobatch::sched::detail
