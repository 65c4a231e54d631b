// Submitting jobs: limits first, the ledger before the wire, then the create's outcome
// decides (design.md "Retry classes"). Every decision of a job's submission is SubmitFsm's
// (sched/submit_fsm.hpp); submit_job only performs its actions.

#include "detail/run_state.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/jobs/idempotency.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace evobatch::sched::detail {

namespace asio = boost::asio;

asio::awaitable<void> RunState::submit_all() {
    while (!done) {
        auto const now = Clock::now();
        if (submission_stopped) {
            for (std::size_t i : queue) {
                records[i].state = JobState::unsubmitted;
            }
            queue.clear();
            co_return;
        }
        if (queue.empty()) {
            if (in_flight == 0) {
                co_return; // nothing left that could come back as a retry
            }
            co_await changed.wait(executor, std::nullopt);
            continue;
        }
        if (in_flight >= limits.max_in_flight) {
            co_await changed.wait(executor, std::nullopt);
            continue;
        }
        if (!breaker.allows_new_work(now)) {
            co_await changed.wait(executor, breaker.open_until());
            continue;
        }
        if (!budget.try_reserve(api::k_max_credits_per_task)) {
            if (submitting == 0) {
                // Nothing in flight can give credits back (only answers below the worst case do).
                ceiling_reached = true;
                stop_submitting(fmt::format("the credit ceiling (limits.max_credits = {}) is reached: {} counted "
                                            "(the ledger's tasks and this run's); {} job{} not submitted",
                                            budget.ceiling(), budget.committed(), queue.size(),
                                            queue.size() == 1 ? "" : "s"),
                                false);
            } else {
                co_await changed.wait(executor, std::nullopt);
            }
            continue;
        }
        std::size_t const index = queue.front();
        queue.pop_front();
        JobRecord& r = records[index];
        r.state = JobState::submitting;
        r.worst_case_credits = api::k_max_credits_per_task;
        ++in_flight;
        ++submitting;
        // The token first, then the write-ahead `submitting` and the POST right after it: a
        // job is marked as maybe-sent only when it is about to be sent, and only the jobs that
        // can go now have coroutines.
        co_await acquire_token(true);
        spawn(submit_job(index));
    }
}

asio::awaitable<void> RunState::submit_job(std::size_t index) {
    JobRecord& r = records[index];
    SubmitFsm::Options options;
    options.new_key = r.resend_key.empty();
    options.may_have_task = r.key_may_have_task;
    options.key_trusted_until = r.key_trusted_until;
    options.idempotency_window = limits.idempotency_window;
    SubmitFsm fsm(std::move(options), backoff);
    SubmitEvent next = SubmitStarted{};
    for (;;) {
        auto const now = Clock::now();
        SubmitAction action = fsm.resume(std::move(next), now, submission_stopped);
        tell_line(action, now);
        switch (action.step) {
        case SubmitStep::write_submitting: {
            take_key(r, fsm.key_trusted_until());
            // Write-ahead: the key is durable before any byte of the POST leaves.
            bool const durable = co_await record(event(ledger::EventType::submitting, r));
            next = SubmittingWritten{durable};
            break;
        }
        case SubmitStep::acquire_token:
            co_await acquire_token(true);
            next = TokenAcquired{};
            break;
        case SubmitStep::send: {
            auto result = co_await api.create(r.request, r.key);
            next = create_outcome(std::move(result));
            break;
        }
        case SubmitStep::sleep_until:
            co_await sleep_until(action.until);
            next = WokeUp{};
            break;
        default:
            co_await end_submit(r, action, now);
            co_return;
        }
    }
}

void RunState::take_key(JobRecord& r, std::optional<TimePoint> trusted_until) {
    if (r.resend_key.empty()) {
        r.key = jobs::idempotency_key(r.job->id, r.digest, r.attempt, r.version);
    } else {
        r.key = r.resend_key;
    }
    r.key_trusted_until = trusted_until;
    r.resend_key.clear(); // used once: a later attempt gets its own key, which nothing has used
    r.key_may_have_task = false;
    r.task.clear();
}

void RunState::tell_line(SubmitAction const& action, TimePoint now) {
    if (action.limiter == LimiterSignal::success) {
        limiter.on_success(now);
    } else if (action.limiter == LimiterSignal::throttled) {
        limiter.on_throttled(now, action.retry_after);
    }
    if (action.breaker == BreakerSignal::success) {
        breaker.on_success();
    } else if (action.breaker == BreakerSignal::failure) {
        breaker.on_failure(now);
    }
}

asio::awaitable<void> RunState::end_submit(JobRecord& r, SubmitAction const& action, TimePoint now) {
    if (action.task) {
        r.task = action.task->id;
    }
    switch (action.budget) {
    case BudgetEffect::keep: break;
    case BudgetEffect::release: budget.release(r.worst_case_credits); break;
    case BudgetEffect::settle:
        r.credits = action.task->credits_reserved.value_or(r.worst_case_credits);
        budget.settle(r.worst_case_credits, r.credits);
        break;
    }
    switch (action.step) {
    case SubmitStep::running: co_await start_running(r, action, now); break;
    case SubmitStep::uncertain: co_await end_uncertain(r, action.error, action.request_id); break;
    case SubmitStep::failed: {
        auto e = event(ledger::EventType::failed, r);
        e.error = action.error;
        e.rid = action.request_id;
        co_await record(std::move(e));
        finish_job(r, JobState::failed);
        view.note({r.job->id, "failed", {}, action.note});
        break;
    }
    case SubmitStep::unsent:
    case SubmitStep::unsubmitted:
    case SubmitStep::stop_batch:
        if (!action.note.empty()) {
            view.note({r.job->id, "unsubmitted", {}, action.note});
        }
        if (action.step != SubmitStep::unsubmitted && action.budget == BudgetEffect::release) {
            // Durable with the next group; if lost, the job is only less sure.
            auto e = event(ledger::EventType::unsent, r);
            e.error = action.error;
            ledger.append(std::move(e));
        }
        finish_job(r, JobState::unsubmitted);
        if (action.step == SubmitStep::stop_batch) {
            stop_submitting("the API refused: " + action.error.message, true);
        }
        break;
    default: throw std::logic_error("end_submit: not an end");
    }
}

asio::awaitable<void> RunState::start_running(JobRecord& r, SubmitAction const& action, TimePoint now) {
    api::Task const& task = *action.task;
    r.estimate = std::chrono::seconds(task.estimated_time.value_or(300));
    r.submitted_at = now;
    r.progress = task.progress;
    r.progress_seen_at = now;
    r.polls = 0;
    auto e = event(ledger::EventType::submitted, r);
    e.credits = r.credits;
    e.eta_s = static_cast<int>(r.estimate.count());
    e.rid = action.request_id;
    if (!co_await record(std::move(e))) {
        // The task exists and is paid for: keep polling it even though the ledger failed.
    }
    --submitting;
    r.state = JobState::running;
    schedule_poll(r, now);
    view.note({r.job->id, "submitted", r.task, action.replayed ? "replayed" : ""});
    changed.notify_all();
}

asio::awaitable<void> RunState::end_uncertain(JobRecord& r, ledger::EventError const& error,
                                              std::string const& request_id) {
    auto e = event(ledger::EventType::uncertain, r);
    e.error = error;
    if (!request_id.empty()) {
        e.rid = request_id;
    }
    co_await record(std::move(e));
    finish_job(r, JobState::uncertain); // its worst case stays counted: it may exist
    view.note({r.job->id, "uncertain", {}, error.message});
}

} // namespace evobatch::sched::detail
