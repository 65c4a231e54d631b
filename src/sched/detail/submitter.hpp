#pragma once
// Submitting the run's jobs: limits first (in flight, circuit breaker, credit ceiling, a rate
// token), the ledger before the wire, then SubmitFsm decides every step of a job's create
// (sched/submit_fsm.hpp); this part only performs its actions. Internal to src/sched.

#include "poller.hpp"
#include "run_context.hpp"

#include "evobatch/sched/submit_fsm.hpp"

#include <boost/asio/awaitable.hpp>

#include <optional>

namespace evobatch::sched::detail {

class Submitter {
public:
    Submitter(RunContext& run, Poller& poller) : m_run(run), m_poller(poller) {}

    // Submits queued jobs (retries first) until the queue is empty with nothing in flight that
    // could come back, or submission stops (the queue's jobs end unsubmitted).
    boost::asio::awaitable<void> submit_all();

private:
    // Called holding a token for its first request (submit_all takes it, in turn with polls).
    // Performs SubmitFsm's actions until it ends the job.
    boost::asio::awaitable<void> submit_job(std::size_t index);
    // The key the job is about to be sent under: the ledger's (once), else its own.
    void take_key(JobRecord& r, std::optional<TimePoint> trusted_until);
    // What a create said about the line, to the circuit breaker and the rate limiter.
    void tell_line(SubmitAction const& action, TimePoint now);
    // Performs SubmitFsm's end: the ledger, the job's state (and so its reservation), the view.
    // `now`: when the create that ended it was answered.
    boost::asio::awaitable<void> end_submit(JobRecord& r, SubmitAction const& action, TimePoint now);
    boost::asio::awaitable<void> start_running(JobRecord& r, SubmitAction const& action, TimePoint now);
    // The first queued job whose probe is not pending (Preflight), if any.
    [[nodiscard]] std::optional<std::size_t> next_ready() const;
    // Stopped at the credit ceiling, `next` not fitting, with nothing in flight that could
    // give credits back.
    void stop_at_ceiling(JobRecord const& next);

    RunContext& m_run;
    Poller& m_poller;
    bool m_price_mismatch_told = false; // a create reserved other than its probe predicted
};

} // namespace evobatch::sched::detail
