// Submitting jobs: limits first, the ledger before the wire, then the create's outcome
// decides (design.md "Retry classes").

#include "detail/run_state.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/api/task_id.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/net/error.hpp"
#include "evobatch/sched/idempotency.hpp"
#include "evobatch/util/duration.hpp"

#include <fmt/format.h>

namespace evobatch::sched::detail {

namespace asio = boost::asio;
using api::ApiErrc;
using net::Delivery;

namespace {

// Transport failures before the request left are retried with backoff this many times before
// the job is left for the next run (its `submitting` event makes that run re-POST the same key).
constexpr int k_max_unsent_attempts = 8;
constexpr int k_max_server_errors = 8;

// The ledger's error for an API error answer: the server's code, else the HTTP status.
ledger::EventError event_error(api::ApiError const& error) {
    return {error.code.empty() ? std::to_string(error.http_status) : error.code, api::describe(error)};
}

ledger::EventError window_passed(std::chrono::seconds window) {
    return {
        "key_window_passed",
        fmt::format(
            "not sent again: the key's first use is older than api.idempotency_window ({}), so the server "
            "may have forgotten it; --resubmit-uncertain sends it anyway",
            util::format_duration(window))};
}

ledger::EventError unusable_task_id(std::string_view problem) {
    return {"invalid_task_id",
            fmt::format("the server answered the create with a task id that {}: the task may run and be billed, "
                        "but cannot be followed; not created again (the ledger keeps the id and the request id)",
                        problem)};
}

} // namespace

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
    auto leave_unsubmitted = [&] {
        budget.release(r.worst_case_credits);
        finish_job(r, JobState::unsubmitted);
    };
    // The create was answered without a task, or never left: say so in the ledger (`unsent`),
    // so the next run sends the same key again however late, instead of calling it uncertain.
    // Whether a POST under this key may have made a task: a resumed key that went out before,
    // or an answer lost in this run. Only when none can have, the job is marked `unsent`.
    bool may_have_task = r.key_may_have_task;
    std::string const no_request_id;
    auto leave_unsent_or_unsubmitted = [&](std::string code, std::string message) {
        if (may_have_task) {
            // An earlier send of this key may have made a task: its worst case stays counted,
            // as the ledger still holds that create at risk.
            finish_job(r, JobState::unsubmitted);
            return;
        }
        auto e = event(ledger::EventType::unsent, r);
        e.error = ledger::EventError{std::move(code), std::move(message)};
        ledger.append(std::move(e)); // durable with the next group; if lost, the job is only less sure
        leave_unsubmitted();
    };
    if (submission_stopped) {
        leave_unsubmitted(); // stopped while this job waited for its token: nothing was sent
        co_return;
    }
    // A create that may have made a task is sent again under its key only while the server is
    // trusted to remember the key (with a zero window: never); a resumed job can wait behind
    // the in-flight cap for longer than that.
    auto const key_forgotten = [&] {
        return may_have_task && r.key_trusted_until && Clock::now() >= *r.key_trusted_until;
    };
    if (key_forgotten()) {
        ledger::EventError const why = window_passed(limits.idempotency_window);
        co_await end_uncertain(r, why, no_request_id);
        co_return;
    }
    if (r.resend_key.empty()) {
        r.key = idempotency_key(r.job->id, r.digest, r.attempt, r.version);
        r.key_trusted_until.reset();
    } else {
        r.key = r.resend_key;
    }
    if (!r.key_trusted_until) { // a new key, or one sent again on request: remembered from now
        r.key_trusted_until = Clock::now() + key_trust_span(limits.idempotency_window);
    }
    r.resend_key.clear(); // used once: a later attempt gets its own key, which nothing has used
    r.key_may_have_task = false;
    r.task.clear();
    // Write-ahead: the key is durable before any byte of the POST leaves.
    if (!co_await record(event(ledger::EventType::submitting, r))) {
        leave_unsubmitted();
        co_return;
    }
    int unsent = 0;
    int server_errors = 0;
    bool resent_same_key = false;
    bool has_token = true;
    for (;;) {
        if (!has_token) { // sending again: after the wait for a token, the key must still be trusted
            co_await acquire_token(true);
            if (key_forgotten()) {
                ledger::EventError const why = window_passed(limits.idempotency_window);
                co_await end_uncertain(r, why, no_request_id);
                co_return;
            }
        }
        has_token = false;
        auto result = co_await api.create(r.request, r.key);
        auto const now = Clock::now();
        if (result.ok()) {
            limiter.on_success(now);
            breaker.on_success();
            api::Task const& task = *result.value;
            r.task = task.id;
            if (auto const problem = api::task_id_problem(task.id)) {
                // A task was made, but no read can name it. It is kept in the ledger (the
                // uncertain event carries the id) with its worst case counted, and never created
                // again under a new key; a later run resends this key only inside its window,
                // where the server answers with this same task.
                ledger::EventError const why = unusable_task_id(*problem);
                co_await end_uncertain(r, why, result.request_id);
                co_return;
            }
            r.credits = task.credits_reserved.value_or(r.worst_case_credits);
            budget.settle(r.worst_case_credits, r.credits);
            r.estimate = std::chrono::seconds(task.estimated_time.value_or(300));
            r.submitted_at = now;
            r.progress = task.progress;
            r.progress_seen_at = now;
            r.polls = 0;
            auto e = event(ledger::EventType::submitted, r);
            e.credits = r.credits;
            e.eta_s = static_cast<int>(r.estimate.count());
            e.rid = result.request_id;
            if (!co_await record(std::move(e))) {
                // The task exists and is paid for: keep polling it even though the ledger failed.
            }
            --submitting;
            r.state = JobState::running;
            schedule_poll(r, now);
            view.note({r.job->id, "submitted", r.task, result.replayed ? "replayed" : ""});
            changed.notify_all();
            co_return;
        }
        if (result.delivery == Delivery::not_sent) {
            breaker.on_failure(now);
            if (++unsent >= k_max_unsent_attempts || submission_stopped) {
                if (!submission_stopped) {
                    view.note({r.job->id, "unsubmitted", {}, "could not reach the API: " + result.detail});
                }
                leave_unsent_or_unsubmitted("not_sent", "could not reach the API: " + result.detail);
                co_return;
            }
            co_await sleep_until(now + backoff.next(unsent));
            if (submission_stopped) {
                leave_unsent_or_unsubmitted("not_sent", "stopped before the API could be reached");
                co_return;
            }
            continue;
        }
        bool const no_answer = result.delivery == Delivery::sent_no_answer || result.error == ApiErrc::bad_response;
        if (no_answer || result.error == ApiErrc::server_error) {
            may_have_task = true;
        }
        if (no_answer) {
            if (result.delivery == Delivery::sent_no_answer) {
                breaker.on_failure(now);
            }
            if (!resent_same_key && !key_forgotten()) {
                resent_same_key = true; // one immediate retry with the same key: a server that
                continue;               // keeps keys answers with the task it made, if any
            }
            ledger::EventError const why{"no_answer", result.detail};
            co_await end_uncertain(r, why, no_request_id);
            co_return;
        }
        api::ApiError const& error = *result.api_error;
        if (error.kind != ApiErrc::server_error) {
            breaker.on_success(); // the server answers: the line is up, whatever it said
        }
        switch (error.kind) {
        case ApiErrc::rate_limited: {
            limiter.on_throttled(now, error.retry_after);
            auto const wait = error.retry_after ? std::chrono::duration_cast<Clock::duration>(*error.retry_after)
                                                : backoff.next(server_errors + 1);
            co_await sleep_until(now + wait);
            if (submission_stopped) {
                leave_unsent_or_unsubmitted("rate_limited", "stopped while waiting out a 429");
                co_return;
            }
            continue;
        }
        case ApiErrc::server_error:
            breaker.on_failure(now);
            if (key_forgotten()) {
                // A 5xx (a gateway's 502 above all) may come after the task was made, and a
                // server that forgot the key would make another: the job is uncertain.
                ledger::EventError const why = event_error(error);
                co_await end_uncertain(r, why, error.request_id);
                co_return;
            }
            if (++server_errors >= k_max_server_errors || submission_stopped) {
                // Left for the next run, which re-sends the same key (no double charge).
                finish_job(r, JobState::unsubmitted);
                view.note({r.job->id, "unsubmitted", {}, api::describe(error)});
                co_return;
            }
            co_await sleep_until(now + backoff.next(server_errors));
            if (submission_stopped) {
                finish_job(r, JobState::unsubmitted); // as above: its worst case stays counted
                co_return;
            }
            continue;
        case ApiErrc::unauthorized:
        case ApiErrc::forbidden:
        case ApiErrc::insufficient_credits:
            // No task was made; the whole batch stops submitting (design.md), running tasks go on.
            leave_unsent_or_unsubmitted(event_error(error).code, api::describe(error));
            stop_submitting("the API refused: " + api::describe(error), true);
            co_return;
        default: {
            budget.release(r.worst_case_credits);
            auto e = event(ledger::EventType::failed, r);
            e.error = event_error(error);
            e.rid = error.request_id;
            co_await record(std::move(e));
            finish_job(r, JobState::failed);
            view.note({r.job->id, "failed", {}, api::describe(error)});
            co_return;
        }
        }
    }
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
