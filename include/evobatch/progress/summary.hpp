#pragma once
// How a run ended: one type from the scheduler to the printed summary. The scheduler fills what
// the run saw (its jobs, why it stopped, its requests and downloads); `run` then adds what the
// ledger says after it, computed by the code `plan`, `status` and `report` use (credits, files
// on disk), the exit code and the next steps, and ProgressView::finish prints it.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace evobatch::progress {

struct Summary {
    // ---- The run (sched::Scheduler::run).
    std::size_t total = 0;       // the manifest's jobs
    std::size_t completed = 0;   // earlier runs' included
    std::size_t failed = 0;
    std::size_t uncertain = 0;
    std::size_t unsubmitted = 0; // never submitted: stopped, interrupted or over the credit ceiling
    std::size_t running = 0;     // submitted (or being submitted), not finished: the next run polls them
    std::size_t held = 0;        // changed since an earlier request was paid for: not sent (--rerun-changed)
    std::size_t rejected = 0;    // their sources are unusable (the probe's verdict): never sent, cost nothing
    std::size_t probed = 0;      // jobs probed before their creates this run
    std::size_t probes_reused = 0; // sources an earlier probe answered for, the host confirming them unchanged
    std::size_t probes_out_of_reach = 0; // jobs not probed: `run --simulate` reaches only its own media
    std::size_t removed = 0;     // jobs no longer in the manifest whose tasks or files this run finished
    bool interrupted = false;    // SIGINT/SIGTERM
    bool api_stopped = false;    // 401/402/403: the API refused to go on
    bool ceiling_reached = false; // submission stopped at limits.max_credits
    std::string stop_reason;     // why the run stopped early, in words; empty otherwise
    std::uint64_t api_requests = 0;
    // The run's credit budget at the end: what the batch's tasks (earlier runs' included) hold
    // against limits.max_credits, refunds deducted, worst cases where unknown.
    std::int64_t credits_committed = 0;
    std::size_t download_failed = 0; // result files not downloaded this time: the next run tries again
    std::size_t expired = 0;         // result files whose links had expired
    // Result files on disk and their bytes: counted by the run, then (in `run`) replaced by what
    // the ledger records and the disk holds, as `status` shows them.
    std::size_t downloaded = 0;
    std::uint64_t download_bytes = 0;
    // From the start to the last create sent, and the requests sent by then: while jobs wait to
    // be submitted the rate limit should be the only bottleneck (bench/batch_run.cpp).
    std::chrono::duration<double> submit_phase{0};
    std::uint64_t submit_phase_requests = 0;

    // ---- What the ledger says after the run (`run`, jobs/credits.hpp), and the words around it.
    std::int64_t credits = 0; // charged
    std::int64_t credits_reserved = 0, credits_refunded = 0, credits_at_risk = 0;
    std::string credits_text; // the same in words, with the approximate money
    std::chrono::seconds wall{0};
    std::string ledger;      // the ledger's path
    int exit_code = 0;       // cli::exit_code_of
    bool downloads = false;  // output.download was on
    std::string output_dir;
    std::vector<std::string> next; // what to do next, each a command that works as printed
};

} // namespace evobatch::progress
