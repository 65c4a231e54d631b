#include "detail/run_context.hpp"

#include "detail/job_start.hpp"

#include "evobatch/manifest/manifest.hpp"

#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::sched::detail {

namespace asio = boost::asio;

RunContext::RunContext(asio::any_io_executor ex, api::ApiClient& client, ledger::LedgerWriter& writer,
                       progress::ProgressView& progress_view, std::vector<manifest::Job> const& jobs,
                       RunLimits run_limits, std::vector<jobs::JobStart> const& starts)
    : executor(std::move(ex)), api(client), ledger(writer), view(progress_view), limits(run_limits),
      table(run_limits.max_credits, run_limits.credits_carried),
      limiter(run_limits.requests_per_second, run_limits.burst), token_turn(executor, 1), breaker(5, std::chrono::seconds(2), std::chrono::seconds(60)),
      backoff(std::chrono::milliseconds(250), std::chrono::seconds(30), 0x5eed), changed(executor), stopping(executor),
      children(executor, [this](std::exception_ptr error) { child_ended(error); }), started(Clock::now()) {
    auto const now = Clock::now();
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        auto placed = place_job(jobs[i], i < starts.size() ? &starts[i] : nullptr, now, limits.idempotency_window);
        table.add(std::move(placed.record), placed.state);
    }
    table.resends_first(); // their keys' windows are running out
}

void RunContext::set_state(JobRecord& r, JobState to, Reservation on_unsent) {
    table.set_state(r, to, on_unsent);
    changed.notify_all();
}

asio::awaitable<void> RunContext::acquire_token(bool create) {
    // In turn, one wake-up per token: a broadcast to thousands of waiters made 10k jobs quadratic.
    auto const turn = co_await token_turn.acquire();
    if (!turn) {
        throw boost::system::system_error(asio::error::operation_aborted, "cancelled waiting for a token");
    }
    asio::steady_timer timer(executor);
    for (;;) {
        auto const now = Clock::now();
        auto const wait = limiter.try_acquire(now);
        if (!wait) {
            ++api_requests;
            recent_requests.push_back(now);
            while (!recent_requests.empty() && now - recent_requests.front() > k_rate_window) {
                recent_requests.pop_front();
            }
            if (create) {
                last_create_sent = now;
                requests_by_last_create = api_requests;
            }
            co_return;
        }
        timer.expires_after(*wait);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<void> RunContext::sleep_until(TimePoint t) {
    while (Clock::now() < t && !submission_stopped && !done) {
        co_await stopping.wait(t);
    }
}

ledger::Event RunContext::event(ledger::EventType type, JobRecord const& r) const {
    ledger::Event e;
    e.type = type;
    e.t_ms = ledger::now_ms();
    e.job = r.job->id;
    e.req = r.digest;
    e.attempt = r.attempt;
    if (!r.key.empty()) {
        e.key = r.key;
    }
    if (!r.task.empty()) {
        e.task = r.task;
    }
    return e;
}

asio::awaitable<bool> RunContext::record(ledger::Event e) {
    auto const ec = co_await ledger.append_durable(std::move(e));
    if (ec == ledger::LedgerErrc::moved) {
        auto const rescued = ledger.rescued();
        stop_submitting(
            rescued ? fmt::format("{} ({}); its events are saved in {}: move that file back to {} before running "
                                  "again; nothing more is sent",
                                  ec.message(), ledger.path().string(), rescued->string(), ledger.path().string())
                    : fmt::format("{} ({}), and copying its events beside it failed: they are lost; nothing more "
                                  "is sent",
                                  ec.message(), ledger.path().string()),
            false);
        co_return false;
    }
    if (ec) {
        stop_submitting("the ledger cannot be written (" + ec.message() + "); nothing more is sent", false);
        co_return false;
    }
    co_return true;
}

asio::awaitable<void> RunContext::end_uncertain(JobRecord& r, ledger::EventError const& error,
                                                std::string const& request_id) {
    auto e = event(ledger::EventType::uncertain, r);
    e.error = error;
    if (!request_id.empty()) {
        e.rid = request_id;
    }
    co_await record(std::move(e));
    set_state(r, JobState::uncertain); // its worst case stays counted: it may exist
    view.note({r.job->id, "uncertain", {}, error.message});
}

void RunContext::stop_submitting(std::string reason, bool by_api) {
    if (!submission_stopped) {
        submission_stopped = true;
        stop_reason = std::move(reason);
    }
    api_stopped = api_stopped || by_api;
    changed.notify_all();
    stopping.notify_all();
}

void RunContext::abandon_polls(std::string const& why) {
    stop_submitting("the API refused the key while its tasks ran: " + why, true);
    polls_abandoned = true;
    changed.notify_all();
}

void RunContext::end_run() {
    done = true;
    changed.notify_all();
    stopping.notify_all();
}

void RunContext::child_ended(std::exception_ptr error) {
    if (error) {
        // A bug in one job's path must not kill the batch; say so and stop sending more.
        try {
            std::rethrow_exception(error);
        } catch (std::exception const& e) {
            stop_submitting(std::string("internal error: ") + e.what(), false);
        }
    }
    changed.notify_all();
}

} // namespace evobatch::sched::detail
