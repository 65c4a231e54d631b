#pragma once
// Everything one run of the scheduler shares between its coroutines (submitting, polling,
// progress). Single-threaded: only the io thread touches it. Internal to src/sched.

#include "fifo_turn.hpp"
#include "job_record.hpp"
#include "signal.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/ledger/event.hpp"
#include "evobatch/ledger/ledger_writer.hpp"
#include "evobatch/progress/progress_view.hpp"
#include "evobatch/sched/backoff.hpp"
#include "evobatch/sched/circuit_breaker.hpp"
#include "evobatch/sched/credit_budget.hpp"
#include "evobatch/sched/poll_planner.hpp"
#include "evobatch/sched/rate_limiter.hpp"
#include "evobatch/sched/scheduler.hpp"
#include "evobatch/sched/submit_fsm.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <deque>
#include <filesystem>
#include <string>
#include <vector>

namespace evobatch::download {
class Downloader;
} // namespace evobatch::download

namespace evobatch::sched::detail {

struct RunState {
    RunState(boost::asio::any_io_executor executor, api::ApiClient& api, ledger::LedgerWriter& ledger,
             progress::ProgressView& view, std::vector<manifest::Job> const& jobs, RunLimits limits,
             std::vector<jobs::JobStart> const& starts);
    void resume(JobRecord& r, jobs::JobStart const& start, TimePoint now); // where a known job enters

    // ---- shared helpers (run_state.cpp)
    // Waits for the rate limiter, first come first served; counts the request.
    boost::asio::awaitable<void> acquire_token(bool create);
    // Sleeps until `t`; wakes early only when submission stops or the run ends.
    boost::asio::awaitable<void> sleep_until(TimePoint t);
    ledger::Event event(ledger::EventType type, JobRecord const& r) const;
    // Writes `e` durably; on failure the run stops submitting (a ledger we cannot write is a
    // promise we cannot keep) and false is returned.
    boost::asio::awaitable<bool> record(ledger::Event e);
    void stop_submitting(std::string reason, bool by_api);
    // The API refused the key while tasks run (401/403 on a read): no read can follow them, so
    // the run ends as the API stopped it; the tasks stay running for a run with a working key.
    void abandon_polls(std::string const& why);
    void end_run(); // `done`: every loop and sleep ends
    void finish_job(JobRecord& r, JobState state); // leaves the in-flight set
    void spawn(boost::asio::awaitable<void> child); // owned: counted until it completes
    std::size_t count(JobState s) const; // the manifest's jobs in state `s` (not removed ones)
    std::size_t removed() const;         // records of jobs the manifest no longer has
    progress::Snapshot snapshot(TimePoint now) const;

    // ---- submitting (submit.cpp)
    boost::asio::awaitable<void> submit_all();
    // Called holding a token for its first request (submit_all takes it, in turn with polls).
    // Performs SubmitFsm's actions until it ends the job.
    boost::asio::awaitable<void> submit_job(std::size_t index);
    // The key the job is about to be sent under: the ledger's (once), else its own.
    void take_key(JobRecord& r, std::optional<TimePoint> trusted_until);
    // What a create said about the line, to the circuit breaker and the rate limiter.
    void tell_line(SubmitAction const& action, TimePoint now);
    // Performs SubmitFsm's end: the budget, the ledger, the job's state, the progress view.
    // `now`: when the create that ended it was answered. References: see end_uncertain.
    boost::asio::awaitable<void> end_submit(JobRecord& r, SubmitAction const& action, TimePoint now);
    boost::asio::awaitable<void> start_running(JobRecord& r, SubmitAction const& action, TimePoint now);
    // Ends a job whose create may have made a task the ledger cannot name: `uncertain`, durable,
    // its worst case left in the budget (the task may exist and be billed). References, not
    // values: GCC 12 destroys class-type by-value arguments of a coroutine called in a
    // co_await expression twice; callers pass named locals, which outlive the call.
    boost::asio::awaitable<void> end_uncertain(JobRecord& r, ledger::EventError const& error,
                                               std::string const& request_id);

    // ---- downloading (download.cpp)
    void start_download(JobRecord& r); // spawns download_results when downloads are on
    boost::asio::awaitable<void> download_results(std::size_t index);
    // Hashes the files earlier runs downloaded; a job whose file changed is downloaded again.
    boost::asio::awaitable<void> verify_earlier_downloads();

    // ---- polling (poll.cpp)
    boost::asio::awaitable<void> poll_loop();
    boost::asio::awaitable<void> poll_batch(std::vector<std::size_t> indexes);
    boost::asio::awaitable<void> poll_one(std::size_t index);
    boost::asio::awaitable<void> apply(JobRecord& r, api::Task const& task);
    // Applies a batch read's answers at once, so their ledger events share group commits.
    boost::asio::awaitable<void> apply_all(std::vector<std::pair<std::size_t, api::Task>> answers);
    void schedule_poll(JobRecord& r, TimePoint now);

    boost::asio::any_io_executor executor;
    api::ApiClient& api;
    ledger::LedgerWriter& ledger;
    progress::ProgressView& view;
    RunLimits limits;
    std::vector<JobRecord> records;
    std::deque<std::size_t> queue; // jobs waiting to be submitted; retries go first

    RateLimiter limiter;
    CircuitBreaker breaker;
    CreditBudget budget;
    PollPlanner planner;
    Backoff backoff;
    Signal changed;   // any state change the run's loops may care about (O(1) checks only)
    Signal stopping;  // submission stopped or the run ends: backoff sleeps end early
    Signal poll_wake; // a task is due before poll_wake_at, a poll group ended, or the run ends
    TimePoint poll_wake_at = TimePoint::max();
    FifoTurn token_turn; // requests wait for rate-limiter tokens one at a time, in order

    download::Downloader* downloader = nullptr; // null: output.download is off
    std::filesystem::path output_dir;
    std::size_t downloads_running = 0;   // jobs whose files are being fetched
    bool verifying = false;              // verify_earlier_downloads() is at work
    std::size_t files_downloaded = 0;    // this run and earlier ones (resumed jobs whose files are there)
    std::size_t download_failed = 0;
    std::size_t expired = 0;
    mutable std::deque<std::pair<TimePoint, std::uint64_t>> recent_bytes; // for the download rate shown

    std::size_t in_flight = 0;  // submitting + running
    std::size_t submitting = 0;
    std::size_t children = 0;   // owned coroutines not yet finished
    bool done = false;          // the run is ending: loops exit
    bool interrupted = false;
    bool submission_stopped = false;
    bool api_stopped = false;
    bool ceiling_reached = false; // submission stopped at limits.max_credits
    bool polls_abandoned = false; // abandon_polls(): the run ends without waiting for its tasks
    bool batch_reads = true;
    std::string stop_reason;
    std::uint64_t api_requests = 0;
    std::deque<TimePoint> recent_requests; // for the request rate shown
    TimePoint last_create_sent{};
    std::uint64_t requests_by_last_create = 0;
    TimePoint started;
};

} // namespace evobatch::sched::detail
