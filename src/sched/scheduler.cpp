#include "evobatch/sched/scheduler.hpp"

#include "detail/poller.hpp"
#include "detail/preflight.hpp"
#include "detail/result_downloads.hpp"
#include "detail/run_context.hpp"
#include "detail/submitter.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/sched/batch_eta.hpp"

#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

namespace evobatch::sched {

namespace asio = boost::asio;
using detail::JobState;
using detail::JobTable;

namespace {

constexpr auto k_progress_tick = std::chrono::milliseconds(250);

} // namespace

struct Scheduler::Impl {
    Impl(asio::any_io_executor executor, api::ApiClient& api, ledger::LedgerWriter& ledger,
         progress::ProgressView& view, std::vector<manifest::Job> const& jobs, RunLimits limits,
         std::vector<jobs::JobStart> const& starts)
        : run(std::move(executor), api, ledger, view, jobs, limits, starts), preflight(run), downloads(run),
          poller(run, downloads), submitter(run, poller) {}

    asio::awaitable<void> progress_loop() {
        asio::steady_timer timer(run.executor);
        while (!run.done) {
            run.view.update(snapshot(Clock::now()), Clock::now());
            timer.expires_after(k_progress_tick);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }

    // All jobs final, or nothing more will be sent and nothing sent is still unanswered
    // (after an interrupt, running tasks are left for the next run to poll).
    [[nodiscard]] bool finished() const {
        if (run.table.submitting() > 0) {
            return false;
        }
        if (run.interrupted) {
            return true; // downloads in progress end too (Downloader::stop): .part files resume
        }
        if (run.polls_abandoned) {
            return true; // nothing can follow the running tasks; the next run with a working key does
        }
        return run.table.in_flight() == 0 && !downloads.busy() &&
               (run.table.queue().empty() || run.submission_stopped);
    }

    asio::awaitable<progress::Summary> go() {
        run.children.spawn(poller.poll_loop());
        run.children.spawn(progress_loop());
        downloads.start_earlier();
        preflight.start();
        co_await submitter.submit_all();
        while (!finished()) {
            co_await run.changed.wait();
        }
        run.end_run();
        poller.wake();
        co_await run.children.join();
        co_await run.ledger.flush();
        co_return outcome();
    }

    [[nodiscard]] progress::Snapshot snapshot(TimePoint now);

    [[nodiscard]] progress::Summary outcome() const {
        JobTable const& table = run.table;
        progress::Summary o;
        o.total = table.size() - table.removed();
        o.removed = table.removed();
        o.completed = table.count(JobState::completed);
        o.failed = table.count(JobState::failed);
        o.uncertain = table.count(JobState::uncertain);
        o.held = table.count(JobState::held);
        o.rejected = table.count(JobState::rejected);
        o.probed = preflight.probed();
        o.probes_reused = preflight.reused();
        o.probes_out_of_reach = preflight.out_of_reach();
        o.unsubmitted = table.count(JobState::unsubmitted) + table.count(JobState::queued);
        o.running = table.count(JobState::running) + table.count(JobState::submitting);
        o.credits_committed = table.budget().committed();
        o.interrupted = run.interrupted;
        o.api_stopped = run.api_stopped;
        o.ceiling_reached = run.ceiling_reached;
        o.stop_reason = run.stop_reason;
        o.api_requests = run.api_requests;
        o.downloaded = downloads.files_downloaded();
        o.download_failed = downloads.failed();
        o.expired = downloads.expired();
        o.download_bytes = downloads.bytes();
        if (run.requests_by_last_create > 0) {
            o.submit_phase = run.last_create_sent - run.started;
            o.submit_phase_requests = run.requests_by_last_create;
        }
        return o;
    }

    detail::RunContext run;
    detail::Preflight preflight;
    detail::ResultDownloads downloads;
    detail::Poller poller;
    detail::Submitter submitter;
};

progress::Snapshot Scheduler::Impl::snapshot(TimePoint now) {
    JobTable const& table = run.table;
    progress::Snapshot s;
    s.total = table.size() - table.removed(); // the manifest's jobs; removed ones are only finished
    s.queued = table.count(JobState::queued);
    s.submitting = table.count(JobState::submitting);
    s.running = table.count(JobState::running);
    s.completed = table.count(JobState::completed);
    s.failed = table.count(JobState::failed);
    s.uncertain = table.count(JobState::uncertain);
    std::vector<RunningTask> running;
    running.reserve(s.running);
    for (detail::JobRecord const& r : table.records()) {
        if (r.removed || r.state() != JobState::running) {
            continue;
        }
        s.stale += poller.is_stale(r, now) ? 1 : 0;
        running.push_back(RunningTask{r.submitted_at, r.estimate, r.progress, r.progress_seen_at});
    }
    if (downloads.enabled()) {
        s.downloads = true;
        s.downloading = downloads.running();
        s.downloaded = downloads.files_downloaded();
        s.download_bytes = downloads.bytes();
        s.download_rate = downloads.rate(now);
    }
    CreditBudget const& budget = table.budget();
    s.credits_reserved = budget.committed();
    s.credits_ceiling = budget.ceiling();
    auto const window = std::min<double>(std::chrono::duration<double>(now - run.started).count(),
                                         std::chrono::duration<double>(detail::k_rate_window).count());
    s.request_rate = window > 0.5 ? static_cast<double>(run.recent_requests.size()) / window : 0.0;
    s.elapsed = std::chrono::duration_cast<std::chrono::seconds>(now - run.started);
    // Queued jobs count towards the ETA only while they can go: at the credit ceiling they wait
    // for answers below the worst case (or for a larger ceiling), and a countdown would promise
    // them; while the circuit breaker holds submission, nobody knows when it resumes.
    bool const at_ceiling = !table.queue().empty() && !table.could_submit(table[table.queue().front()]);
    bool const breaker_open = run.breaker.open_until() && *run.breaker.open_until() > now;
    if (!breaker_open) {
        s.eta = BatchEta::estimate(running, at_ceiling ? 0 : s.queued, run.limits.max_in_flight,
                                   run.limits.requests_per_second, now);
    }
    if (run.submission_stopped) {
        s.paused_reason = run.stop_reason;
    } else if (breaker_open) {
        s.paused_reason = "paused after repeated server or network failures";
    } else if (at_ceiling) {
        s.paused_reason = fmt::format("at the credit ceiling (limits.max_credits = {}): {} queued jobs wait",
                                      budget.ceiling(), table.queue().size());
    }
    return s;
}

Scheduler::Scheduler(asio::any_io_executor executor, api::ApiClient& api, ledger::LedgerWriter& ledger,
                     progress::ProgressView& view, std::vector<manifest::Job> const& jobs, RunLimits limits,
                     std::vector<jobs::JobStart> starts)
    : m_impl(std::make_unique<Impl>(std::move(executor), api, ledger, view, jobs, limits, starts)) {}

Scheduler::~Scheduler() = default;

asio::awaitable<progress::Summary> Scheduler::run() { return m_impl->go(); }

asio::awaitable<api::ApiResult<api::Credits>> Scheduler::read_balance() {
    co_await m_impl->run.acquire_token(false);
    co_return co_await m_impl->run.api.credits();
}

void Scheduler::probe_with(probe::Prober& prober, std::size_t at_once, ledger::Replay const* earlier,
                           std::function<std::string(std::string const&)> locate) {
    m_impl->preflight.probe_with(prober, at_once, earlier, std::move(locate));
}

void Scheduler::download_to(download::Downloader& downloader, std::filesystem::path dir) {
    m_impl->downloads.download_to(downloader, std::move(dir));
}

void Scheduler::stop(std::string reason) {
    m_impl->downloads.stop();
    m_impl->preflight.stop();
    m_impl->run.interrupted = true;
    m_impl->run.stop_submitting(std::move(reason), false);
}

} // namespace evobatch::sched
