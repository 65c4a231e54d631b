// Submitting jobs: limits first, the ledger before the wire, then the create's outcome
// decides (design.md "Retry classes"). Every decision of a job's submission is SubmitFsm's
// (sched/submit_fsm.hpp); submit_job only performs its actions.

#include "detail/submitter.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/jobs/idempotency.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace evobatch::sched::detail {

namespace asio = boost::asio;

asio::awaitable<void> Submitter::submit_all() {
    JobTable& table = m_run.table;
    while (!m_run.done) {
        auto const now = Clock::now();
        if (m_run.submission_stopped) {
            while (!table.queue().empty()) {
                m_run.set_state(table[table.queue().front()], JobState::unsubmitted);
            }
            co_return;
        }
        if (table.queue().empty()) {
            if (table.in_flight() == 0) {
                co_return; // nothing left that could come back as a retry
            }
            co_await m_run.changed.wait();
            continue;
        }
        if (table.in_flight() >= m_run.limits.max_in_flight) {
            co_await m_run.changed.wait();
            continue;
        }
        if (!m_run.breaker.allows_new_work(now)) {
            co_await m_run.changed.wait(m_run.breaker.open_until());
            continue;
        }
        auto const ready = next_ready();
        if (!ready) {
            co_await m_run.changed.wait(); // its probe is on the way (Preflight)
            continue;
        }
        JobRecord& r = table[*ready];
        if (!table.could_submit(r)) {
            if (table.submitting() == 0) {
                stop_at_ceiling(r); // only answers below the reservation give credits back
            } else {
                co_await m_run.changed.wait();
            }
            continue;
        }
        std::size_t const index = *ready;
        m_run.set_state(r, JobState::submitting); // reserves its cost
        // The token first, then the write-ahead `submitting` and the POST right after it: a
        // job is marked as maybe-sent only when it is about to be sent, and only the jobs that
        // can go now have coroutines.
        co_await m_run.acquire_token(true);
        m_run.children.spawn(submit_job(index));
    }
}

std::optional<std::size_t> Submitter::next_ready() const {
    // Probes run ahead in the queue's order, so this is the front but for a slow host.
    for (std::size_t const i : m_run.table.queue()) {
        PreflightState const p = m_run.table[i].preflight;
        if (p == PreflightState::none || p == PreflightState::done) {
            return i;
        }
    }
    return std::nullopt;
}

void Submitter::stop_at_ceiling(JobRecord const& next) {
    CreditBudget const& budget = m_run.table.budget();
    std::size_t const queued = m_run.table.queue().size();
    m_run.ceiling_reached = true;
    m_run.stop_submitting(fmt::format("the credit ceiling (limits.max_credits = {}) is reached: {} counted "
                                      "(the ledger's tasks and this run's), and the next job ({}) costs {}; {} "
                                      "job{} not submitted",
                                      budget.ceiling(), budget.committed(), next.job->id, next.cost_to_reserve(),
                                      queued, queued == 1 ? "" : "s"),
                          false);
}

asio::awaitable<void> Submitter::submit_job(std::size_t index) {
    JobRecord& r = m_run.table[index];
    SubmitFsm::Options options;
    options.new_key = r.resend_key.empty();
    options.may_have_task = r.key_may_have_task;
    options.key_trusted_until = r.key_trusted_until;
    options.idempotency_window = m_run.limits.idempotency_window;
    SubmitFsm fsm(std::move(options), m_run.backoff);
    SubmitEvent next = SubmitStarted{};
    for (;;) {
        auto const now = Clock::now();
        SubmitAction action = fsm.resume(std::move(next), now, m_run.submission_stopped);
        tell_line(action, now);
        switch (action.step) {
        case SubmitStep::write_submitting: {
            take_key(r, fsm.key_trusted_until());
            // Write-ahead: the key is durable before any byte of the POST leaves.
            bool const durable = co_await m_run.record(m_run.event(ledger::EventType::submitting, r));
            next = SubmittingWritten{durable};
            break;
        }
        case SubmitStep::acquire_token:
            co_await m_run.acquire_token(true);
            next = TokenAcquired{};
            break;
        case SubmitStep::send: {
            auto result = co_await m_run.api.create(r.request, r.key);
            next = create_outcome(std::move(result));
            break;
        }
        case SubmitStep::sleep_until:
            co_await m_run.sleep_until(action.until);
            next = WokeUp{};
            break;
        default:
            co_await end_submit(r, action, now);
            co_return;
        }
    }
}

void Submitter::take_key(JobRecord& r, std::optional<TimePoint> trusted_until) {
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

void Submitter::tell_line(SubmitAction const& action, TimePoint now) {
    if (action.limiter == LimiterSignal::success) {
        m_run.limiter.on_success(now);
    } else if (action.limiter == LimiterSignal::throttled) {
        m_run.limiter.on_throttled(now, action.retry_after);
    }
    if (action.breaker == BreakerSignal::success) {
        m_run.breaker.on_success();
    } else if (action.breaker == BreakerSignal::failure) {
        m_run.breaker.on_failure(now);
    }
}

asio::awaitable<void> Submitter::end_submit(JobRecord& r, SubmitAction const& action, TimePoint now) {
    if (action.task) {
        r.task = action.task->id;
    }
    // The job's state decides its reservation (JobTable::set_state); only a job left unsent
    // needs the machine's word on whether a task may exist.
    Reservation const on_unsent = action.budget == BudgetEffect::keep ? Reservation::keep : Reservation::release;
    switch (action.step) {
    case SubmitStep::running: co_await start_running(r, action, now); break;
    case SubmitStep::uncertain: co_await m_run.end_uncertain(r, action.error, action.request_id); break;
    case SubmitStep::failed: {
        auto e = m_run.event(ledger::EventType::failed, r);
        e.error = action.error;
        e.rid = action.request_id;
        co_await m_run.record(std::move(e));
        m_run.set_state(r, JobState::failed);
        m_run.view.note({r.job->id, "failed", {}, action.note});
        break;
    }
    case SubmitStep::unsent:
    case SubmitStep::unsubmitted:
    case SubmitStep::stop_batch:
        if (!action.note.empty()) {
            m_run.view.note({r.job->id, "unsubmitted", {}, action.note});
        }
        if (action.step != SubmitStep::unsubmitted && action.budget == BudgetEffect::release) {
            // Durable with the next group; if lost, the job is only less sure.
            auto e = m_run.event(ledger::EventType::unsent, r);
            e.error = action.error;
            m_run.ledger.append(std::move(e));
        }
        m_run.set_state(r, JobState::unsubmitted, on_unsent);
        if (action.step == SubmitStep::stop_batch) {
            m_run.stop_submitting("the API refused: " + action.error.message, true);
        }
        break;
    default: throw std::logic_error("end_submit: not an end");
    }
}

asio::awaitable<void> Submitter::start_running(JobRecord& r, SubmitAction const& action, TimePoint now) {
    api::Task const& task = *action.task;
    r.credits = task.credits_reserved.value_or(r.reservation); // what the reservation settles to
    if (r.predicted_credits && task.credits_reserved && *task.credits_reserved != *r.predicted_credits &&
        !m_price_mismatch_told) {
        // Once a run: the rule behind the prediction (api/pricing.hpp) may be out of date. The
        // ledger keeps the API's figure, which is what the budget settles to.
        m_price_mismatch_told = true;
        m_run.view.note({r.job->id, "warning", r.task,
                         fmt::format("the API reserved {} credits where its video's duration predicted {}; "
                                     "the ledger keeps the API's figure (further differences are not shown)",
                                     *task.credits_reserved, *r.predicted_credits)});
    }
    r.estimate = std::chrono::seconds(task.estimated_time.value_or(300));
    r.submitted_at = now;
    r.progress = task.progress;
    r.progress_seen_at = now;
    r.polls = 0;
    auto e = m_run.event(ledger::EventType::submitted, r);
    e.credits = r.credits;
    e.eta_s = static_cast<int>(r.estimate.count());
    e.rid = action.request_id;
    if (!co_await m_run.record(std::move(e))) {
        // The task exists and is paid for: keep polling it even though the ledger failed.
    }
    m_run.set_state(r, JobState::running);
    m_poller.schedule(r, now);
    m_run.view.note({r.job->id, "submitted", r.task, action.replayed ? "replayed" : ""});
}

} // namespace evobatch::sched::detail
