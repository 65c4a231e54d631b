#pragma once
// What `run` would do for a manifest, computed without sending anything. Pure: no I/O; what
// the ledger already holds comes in as LedgerCounts (from jobs::plan_resume).

#include "evobatch/manifest/manifest.hpp"

#include <chrono>
#include <cstdint>

namespace evobatch::plan {

// The time one task usually takes when nothing better is known (api.md's example estimate).
inline constexpr std::chrono::seconds k_typical_task_time{300};

// What the ledger says about the manifest's jobs; all zero when there is no ledger yet.
struct LedgerCounts {
    std::size_t resend = 0, poll = 0, retry = 0, done = 0, failed = 0, uncertain = 0, changed = 0;
    std::size_t hold = 0;  // changed since a paid request: not sent without --rerun-changed
    std::size_t rerun = 0; // changed jobs paid for again (--rerun-changed), among the ones to submit
    std::size_t download = 0, expired = 0, expiring_soon = 0; // completed jobs whose files are missing
    // Against the ceiling before the run sends anything: every credit the ledger's tasks were
    // charged or hold, creates that may have made a task at the most a task costs
    // (jobs::ResumePlan::credits_carried).
    std::int64_t credits_carried = 0;
};

struct BatchPlan {
    std::size_t jobs = 0;
    std::size_t to_submit = 0;            // creates to send: new jobs, retries and resends
    std::size_t to_poll = 0;              // tasks earlier runs left running
    LedgerCounts ledger;                  // as given
    std::int64_t credits_carried = 0;     // by the ledger's tasks (counts against the ceiling)
    std::size_t create_requests = 0;     // one POST per submitted job
    std::size_t status_reads_batched = 0; // expected polls with batch reads (50 ids a request)
    std::size_t status_reads_single = 0;  // expected polls with one GET per task
    std::int64_t credits_worst_case = 0;  // every task billed at the longest duration
    std::int64_t credits_ceiling = 0;     // limits.max_credits
    std::int64_t credits_at_most = 0;     // min(worst case, ceiling - carried): what the run can add
    std::int64_t credits_to_cover = 0;    // the ceiling that would let every job go even at the most
    std::size_t jobs_surely_within_ceiling = 0; // jobs that fit even if each costs the most
    std::chrono::seconds submit_time{0};  // creates alone at the configured request rate
    std::chrono::seconds estimated_time{0}; // the whole batch, tasks taking k_typical_task_time
};

BatchPlan plan_batch(manifest::Manifest const& manifest, LedgerCounts const& ledger = {});

} // namespace evobatch::plan
