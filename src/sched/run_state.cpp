#include "detail/run_state.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/download/downloader.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/sched/batch_eta.hpp"
#include "evobatch/jobs/idempotency.hpp"
#include "evobatch/jobs/request_of.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::sched::detail {

namespace asio = boost::asio;

namespace {

constexpr auto k_rate_window = std::chrono::seconds(10);


} // namespace

RunState::RunState(asio::any_io_executor ex, api::ApiClient& client, ledger::LedgerWriter& writer,
                   progress::ProgressView& progress_view, std::vector<manifest::Job> const& jobs, RunLimits run_limits,
                   std::vector<jobs::JobStart> const& starts)
    : executor(std::move(ex)), api(client), ledger(writer), view(progress_view), limits(run_limits),
      limiter(run_limits.requests_per_second, run_limits.burst), breaker(5, std::chrono::seconds(2), std::chrono::seconds(60)),
      budget(run_limits.max_credits), planner(with_scaled_intervals(PollPlannerOptions{}, run_limits.poll_interval_scale)),
      backoff(std::chrono::milliseconds(250), std::chrono::seconds(30), 0x5eed), batch_reads(run_limits.batch_reads),
      started(Clock::now()) {
    // Spent or held by the ledger's tasks (plan_resume's credits_carried): they count even
    // beyond the ceiling, and then nothing new fits.
    budget.carry(run_limits.credits_carried);
    records.reserve(jobs.size());
    auto const now = Clock::now();
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        JobRecord r;
        r.job = &jobs[i];
        r.request = jobs::request_of(jobs[i]);
        r.digest = jobs::request_digest(r.request);
        if (i < starts.size()) {
            resume(r, starts[i], now);
        }
        records.push_back(std::move(r));
    }
    // Same-key resends first: their keys' windows are running out.
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (records[i].state == JobState::queued && !records[i].resend_key.empty()) {
            queue.push_back(i);
        }
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
        if (records[i].state == JobState::queued && records[i].resend_key.empty()) {
            queue.push_back(i);
        }
    }
}

void RunState::resume(JobRecord& r, jobs::JobStart const& start, TimePoint now) {
    jobs::ResumeDecision const& d = start.decision;
    ledger::JobHistory const* h = start.history;
    r.attempt = d.attempt;
    r.version = start.version;
    r.removed = start.removed;
    if (h == nullptr) {
        return; // a new job (or a changed one sent as new): queued for its first attempt
    }
    r.digest = h->req; // the ledger's request: a changed job's earlier task is polled under its own
    r.earlier_request = d.changed;
    // Ledger times are UTC; the run's clock is steady: place the past events before `now`.
    auto const ago = [now](std::int64_t t_ms) {
        auto const age = std::chrono::milliseconds(std::max<std::int64_t>(0, ledger::now_ms() - t_ms));
        return now - std::chrono::duration_cast<Clock::duration>(age);
    };
    switch (d.action) {
    case jobs::ResumeAction::submit:
    case jobs::ResumeAction::retry: break;
    case jobs::ResumeAction::resend:
        r.resend_key = h->key;
        r.key_may_have_task = h->phase != ledger::JobPhase::unsent;
        if (r.key_may_have_task && !d.forced) {
            r.key_trusted_until = ago(h->key_first_sent_t_ms) + jobs::key_trust_span(limits.idempotency_window);
        }
        break;
    case jobs::ResumeAction::poll:
        r.state = JobState::running;
        r.task = h->task;
        r.key = h->key;
        r.credits = h->credits;
        r.estimate = std::chrono::seconds(h->eta_s.value_or(0));
        r.submitted_at = ago(h->submitted_t_ms);
        r.progress = h->progress;
        r.progress_seen_at = ago(h->last_t_ms);
        ++in_flight;
        r.next_poll = planner.next_poll(
            PollTask{r.submitted_at, r.estimate, r.progress, r.progress_seen_at, r.polls, r.status_unknown}, now);
        break;
    case jobs::ResumeAction::done:
    case jobs::ResumeAction::hold: // its earlier request's results are kept (and fetched) all the same
        r.state = d.action == jobs::ResumeAction::done ? JobState::completed : JobState::held;
        if (h->phase != ledger::JobPhase::completed) {
            break;
        }
        r.task = h->task;
        r.results = h->results;
        r.completed_ms = h->finished_t_ms;
        r.needs_download = d.download;
        if (d.expired) {
            expired += h->results.size();
        } else if (!d.download) {
            for (ledger::Download const* f : jobs::recorded_files(*h, h->job)) {
                ++files_downloaded; // until a hash says otherwise
                r.files_to_verify.emplace_back(f->file, f->sha256);
            }
        }
        break;
    case jobs::ResumeAction::failed: r.state = JobState::failed; break;
    case jobs::ResumeAction::uncertain: r.state = JobState::uncertain; break; // its worst case is carried
    }
}

asio::awaitable<void> RunState::acquire_token(bool create) {
    co_await token_turn.enter(executor);
    FifoTurn::Held const turn(token_turn);
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

asio::awaitable<void> RunState::sleep_until(TimePoint t) {
    while (Clock::now() < t && !submission_stopped && !done) {
        co_await stopping.wait(executor, t);
    }
}

ledger::Event RunState::event(ledger::EventType type, JobRecord const& r) const {
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

asio::awaitable<bool> RunState::record(ledger::Event e) {
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

void RunState::stop_submitting(std::string reason, bool by_api) {
    if (!submission_stopped) {
        submission_stopped = true;
        stop_reason = std::move(reason);
    }
    api_stopped = api_stopped || by_api;
    changed.notify_all();
    stopping.notify_all();
}

void RunState::abandon_polls(std::string const& why) {
    stop_submitting("the API refused the key while its tasks ran: " + why, true);
    polls_abandoned = true;
    changed.notify_all();
}

void RunState::end_run() {
    done = true;
    changed.notify_all();
    stopping.notify_all();
    poll_wake.notify_all();
}

void RunState::finish_job(JobRecord& r, JobState state) {
    if (r.state == JobState::submitting || r.state == JobState::running) {
        --in_flight;
    }
    if (r.state == JobState::submitting) {
        --submitting;
    }
    r.state = state;
    changed.notify_all();
}

void RunState::spawn(asio::awaitable<void> child) {
    ++children;
    asio::co_spawn(executor, std::move(child), [this](std::exception_ptr error) {
        --children;
        if (error) {
            // A bug in one job's path must not kill the batch; say so and stop sending more.
            try {
                std::rethrow_exception(error);
            } catch (std::exception const& e) {
                stop_submitting(std::string("internal error: ") + e.what(), false);
            }
        }
        changed.notify_all();
    });
}

std::size_t RunState::count(JobState s) const {
    return static_cast<std::size_t>(std::count_if(
        records.begin(), records.end(), [s](JobRecord const& r) { return r.state == s && !r.removed; }));
}

std::size_t RunState::removed() const {
    return static_cast<std::size_t>(
        std::count_if(records.begin(), records.end(), [](JobRecord const& r) { return r.removed; }));
}

progress::Snapshot RunState::snapshot(TimePoint now) const {
    progress::Snapshot s;
    s.total = records.size() - removed(); // the manifest's jobs; removed ones are only finished
    std::vector<RunningTask> running;
    for (JobRecord const& r : records) {
        if (r.removed) {
            continue;
        }
        switch (r.state) {
        case JobState::queued: ++s.queued; break;
        case JobState::submitting: ++s.submitting; break;
        case JobState::running:
            ++s.running;
            if (planner.is_stale(PollTask{r.submitted_at, r.estimate, r.progress, r.progress_seen_at, r.polls,
                                          r.status_unknown},
                                 now)) {
                ++s.stale;
            }
            running.push_back(RunningTask{r.submitted_at, r.estimate, r.progress, r.progress_seen_at});
            break;
        case JobState::completed: ++s.completed; break;
        case JobState::failed: ++s.failed; break;
        case JobState::uncertain: ++s.uncertain; break;
        case JobState::unsubmitted:
        case JobState::held: break;
        }
    }
    if (downloader != nullptr) {
        s.downloads = true;
        s.downloading = downloads_running;
        s.downloaded = files_downloaded;
        s.download_bytes = downloader->stats().bytes;
        recent_bytes.emplace_back(now, s.download_bytes);
        while (recent_bytes.size() > 1 && now - recent_bytes.front().first > k_rate_window) {
            recent_bytes.pop_front();
        }
        double const span = std::chrono::duration<double>(now - recent_bytes.front().first).count();
        s.download_rate = span > 0.5 ? static_cast<double>(s.download_bytes - recent_bytes.front().second) / span : 0.0;
    }
    s.credits_reserved = budget.committed();
    s.credits_ceiling = budget.ceiling();
    auto const window = std::min<double>(std::chrono::duration<double>(now - started).count(),
                                         std::chrono::duration<double>(k_rate_window).count());
    s.request_rate = window > 0.5 ? static_cast<double>(recent_requests.size()) / window : 0.0;
    s.elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - started);
    // Queued jobs count towards the ETA only while they can go: at the credit ceiling they wait
    // for answers below the worst case (or for a larger ceiling), and a countdown would promise
    // them; while the circuit breaker holds submission, nobody knows when it resumes.
    bool const at_ceiling = !queue.empty() && !budget.could_fit(api::k_max_credits_per_task);
    bool const breaker_open = breaker.open_until() && *breaker.open_until() > now;
    if (!breaker_open) {
        s.eta = BatchEta::estimate(running, at_ceiling ? 0 : s.queued, limits.max_in_flight,
                                   limits.requests_per_second, now);
    }
    if (submission_stopped) {
        s.paused_reason = stop_reason;
    } else if (breaker_open) {
        s.paused_reason = "paused after repeated server or network failures";
    } else if (at_ceiling) {
        s.paused_reason = fmt::format("at the credit ceiling (limits.max_credits = {}): {} queued jobs wait",
                                      budget.ceiling(), queue.size());
    }
    return s;
}

} // namespace evobatch::sched::detail
