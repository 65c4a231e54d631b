#include "evobatch/sched/scheduler.hpp"

#include "detail/run_state.hpp"

#include "evobatch/download/downloader.hpp"
#include "evobatch/manifest/manifest.hpp"

#include <boost/asio/steady_timer.hpp>

namespace evobatch::sched {

namespace asio = boost::asio;
using detail::JobState;

namespace {

constexpr auto k_progress_tick = std::chrono::milliseconds(250);

} // namespace

struct Scheduler::Impl {
    Impl(asio::any_io_executor executor, api::ApiClient& api, ledger::LedgerWriter& ledger,
         progress::ProgressView& view, std::vector<manifest::Job> const& jobs, RunLimits limits,
         std::vector<jobs::JobStart> const& starts)
        : state(std::move(executor), api, ledger, view, jobs, limits, starts) {}

    asio::awaitable<void> progress_loop() {
        asio::steady_timer timer(state.executor);
        while (!state.done) {
            state.view.update(state.snapshot(Clock::now()), Clock::now());
            timer.expires_after(k_progress_tick);
            co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }

    // All jobs final, or nothing more will be sent and nothing sent is still unanswered
    // (after an interrupt, running tasks are left for the next run to poll).
    [[nodiscard]] bool finished() const {
        if (state.submitting > 0) {
            return false;
        }
        if (state.interrupted) {
            return true; // downloads in progress end too (Downloader::stop): .part files resume
        }
        if (state.polls_abandoned) {
            return true; // nothing can follow the running tasks; the next run with a working key does
        }
        return state.in_flight == 0 && state.downloads_running == 0 && !state.verifying &&
               (state.queue.empty() || state.submission_stopped);
    }

    asio::awaitable<RunOutcome> run() {
        state.spawn(state.poll_loop());
        state.spawn(progress_loop());
        for (detail::JobRecord& r : state.records) {
            if (r.needs_download) {
                state.start_download(r); // completed in an earlier run, files still missing
            }
        }
        if (state.downloader != nullptr) {
            state.verifying = true;
            state.spawn(state.verify_earlier_downloads());
        }
        co_await state.submit_all();
        while (!finished()) {
            co_await state.changed.wait(state.executor, std::nullopt);
        }
        state.end_run();
        while (state.children > 0) {
            co_await state.changed.wait(state.executor, Clock::now() + k_progress_tick);
        }
        co_await state.ledger.flush();
        co_return outcome();
    }

    [[nodiscard]] RunOutcome outcome() const {
        RunOutcome o;
        o.total = state.records.size() - state.removed();
        o.removed = state.removed();
        o.completed = state.count(JobState::completed);
        o.failed = state.count(JobState::failed);
        o.uncertain = state.count(JobState::uncertain);
        o.held = state.count(JobState::held);
        o.unsubmitted = state.count(JobState::unsubmitted) + state.count(JobState::queued);
        o.running = state.count(JobState::running) + state.count(JobState::submitting);
        o.credits = state.budget.committed();
        o.interrupted = state.interrupted;
        o.api_stopped = state.api_stopped;
        o.ceiling_reached = state.ceiling_reached;
        o.stop_reason = state.stop_reason;
        o.api_requests = state.api_requests;
        o.downloaded = state.files_downloaded;
        o.download_failed = state.download_failed;
        o.expired = state.expired;
        o.download_bytes = state.downloader != nullptr ? state.downloader->stats().bytes : 0;
        if (state.requests_by_last_create > 0) {
            o.submit_phase = state.last_create_sent - state.started;
            o.submit_phase_requests = state.requests_by_last_create;
        }
        return o;
    }

    detail::RunState state;
};

Scheduler::Scheduler(asio::any_io_executor executor, api::ApiClient& api, ledger::LedgerWriter& ledger,
                     progress::ProgressView& view, std::vector<manifest::Job> const& jobs, RunLimits limits,
                     std::vector<jobs::JobStart> starts)
    : m_impl(std::make_unique<Impl>(std::move(executor), api, ledger, view, jobs, limits, starts)) {}

Scheduler::~Scheduler() = default;

asio::awaitable<RunOutcome> Scheduler::run() { return m_impl->run(); }

asio::awaitable<api::ApiResult<api::Credits>> Scheduler::read_balance() {
    co_await m_impl->state.acquire_token(false);
    co_return co_await m_impl->state.api.credits();
}

void Scheduler::download_to(download::Downloader& downloader, std::filesystem::path dir) {
    m_impl->state.downloader = &downloader;
    m_impl->state.output_dir = std::move(dir);
}

void Scheduler::stop(std::string reason) {
    if (m_impl->state.downloader != nullptr) {
        m_impl->state.downloader->stop();
    }
    m_impl->state.interrupted = true;
    m_impl->state.stop_submitting(std::move(reason), false);
}

} // namespace evobatch::sched
