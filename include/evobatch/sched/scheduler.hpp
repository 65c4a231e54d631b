#pragma once
// The batch run: submits jobs within the rate, in-flight and credit limits, polls their tasks,
// retries by outcome class, writes every step to the ledger first, and reports progress.
// Runs as coroutines on one io_context thread; see design.md "Network behaviour".

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "evobatch/api/api_client.hpp"
#include "evobatch/jobs/resume.hpp"
#include "evobatch/progress/summary.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace evobatch::download {
class Downloader;
} // namespace evobatch::download
namespace evobatch::ledger {
class LedgerWriter;
struct Replay;
} // namespace evobatch::ledger
namespace evobatch::probe {
class Prober;
} // namespace evobatch::probe
namespace evobatch::manifest {
struct Job;
} // namespace evobatch::manifest
namespace evobatch::progress {
class ProgressView;
} // namespace evobatch::progress

namespace evobatch::sched {

struct RunLimits {
    double requests_per_second = 5;
    double burst = 5;
    std::size_t max_in_flight = 20;
    std::int64_t max_credits = 500;
    // Counted against max_credits before the run sends anything: what the ledger's tasks were
    // charged, hold, or may cost (ResumePlan::credits_carried).
    std::int64_t credits_carried = 0;
    int max_attempts = 3;
    bool batch_reads = true; // try POST /v1/tasks/batch; falls back to GET on 404/405 by itself
    // How long the server is trusted to keep idempotency keys (api.idempotency_window). Zero:
    // a create that got no answer, or a 5xx, is not re-sent at all; the job is uncertain.
    std::chrono::seconds idempotency_window{15 * 60};
    // Multiplies the poll planner's fixed intervals (2 s before the first poll, 5 s between late
    // polls, ...): 1 for the real API; a simulator whose clock runs faster passes its time scale.
    double poll_interval_scale = 1.0;
};

class Scheduler {
public:
    // Everything passed by reference must outlive the scheduler. `jobs` are run in order.
    // `starts` (one per job, from plan_resume(); empty when the ledger is new) say where each
    // job resumes.
    Scheduler(boost::asio::any_io_executor executor, api::ApiClient& api, ledger::LedgerWriter& ledger,
              progress::ProgressView& view, std::vector<manifest::Job> const& jobs, RunLimits limits,
              std::vector<jobs::JobStart> starts = {});
    ~Scheduler();
    Scheduler(Scheduler const&) = delete;
    Scheduler& operator=(Scheduler const&) = delete;

    // GET /v1/credits through the run's own rate limiter, as every API request goes: read
    // before run() on a server whose limits match ours, it costs a token, not a 429.
    boost::asio::awaitable<api::ApiResult<api::Credits>> read_balance();

    // Runs the batch to the end: every job completed, failed or uncertain, or submission
    // stopped (API refusal, credit ceiling, stop()) with nothing left in flight to wait for.
    boost::asio::awaitable<progress::Summary> run();

    // Probes each job that goes out under a new key before its create, `at_once` jobs at a time
    // and ahead of submission (issue 17): a job whose sources are unusable ends `rejected`
    // unsent, a usable one reserves its exact cost. `earlier` (the ledger replayed, may be null)
    // lets unchanged sources be reused. `locate` (may be empty) says where a source URL is
    // fetched from, an empty answer for one that cannot be (its job goes unprobed: `run
    // --simulate` reaches only its simulator). Call before run(); all must outlive the run.
    void probe_with(probe::Prober& prober, std::size_t at_once, ledger::Replay const* earlier,
                    std::function<std::string(std::string const&)> locate = {});

    // Downloads each completed task's results into `dir` while the batch goes on (and the ones
    // `starts` mark as missing). Call before run(); `downloader` must outlive the run.
    void download_to(download::Downloader& downloader, std::filesystem::path dir);

    // Ctrl-C and its kin (SIGTERM, SIGHUP, a closed output): stop submitting, let creates in
    // flight record their answers, then end the run as interrupted (tasks still running are
    // polled by the next run). `reason` is the summary's ("interrupted (Ctrl-C)"); the first
    // one given stays. Io thread only.
    void stop(std::string reason);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace evobatch::sched
