#pragma once
// What `run` would do for a manifest, computed without sending anything. Pure: no I/O; what
// the ledger already holds comes in as LedgerCounts (from jobs::plan_resume), and what probing
// the jobs' media found (`plan --probe`) as one JobCost per job to submit.

#include "evobatch/manifest/manifest.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

namespace evobatch::plan {

// The time one task usually takes when nothing better is known (api.md's example estimate).
inline constexpr std::chrono::seconds k_typical_task_time{300};

// What the ledger says about the manifest's jobs; all zero when there is no ledger yet.
struct LedgerCounts {
    std::size_t resend = 0, poll = 0, retry = 0, done = 0, failed = 0, uncertain = 0, changed = 0;
    std::size_t hold = 0;  // changed since a paid request: not sent without --rerun-changed
    std::size_t reprobe = 0;  // rejected by an earlier probe, probed again (among the ones to submit)
    std::size_t rejected = 0; // rejected by an earlier probe, not sent (probing off)
    std::size_t rerun = 0; // changed jobs paid for again (--rerun-changed), among the ones to submit
    std::size_t download = 0, expired = 0, expiring_soon = 0; // completed jobs whose files are missing
    // Against the ceiling before the run sends anything: every credit the ledger's tasks were
    // charged or hold, creates that may have made a task at the most a task costs
    // (jobs::ResumePlan::credits_carried).
    std::int64_t credits_carried = 0;
};

// What one job to submit is predicted to cost, from a probe of its media.
struct JobCost {
    enum class Kind {
        exact,    // the source video's duration is known: `credits` is what the task will cost
        rejected, // the API would refuse its media: never sent, costs nothing
        unknown,  // not probed, or its cost not learned: counted at the most a task costs
    };
    Kind kind = Kind::unknown;
    std::int64_t credits = 0; // exact only

    static JobCost exact(std::int64_t credits) noexcept { return {Kind::exact, credits}; }
    static JobCost rejected() noexcept { return {Kind::rejected, 0}; }
    static JobCost unknown() noexcept { return {Kind::unknown, 0}; }
    // What it counts for against the ceiling: exact credits, 0 when rejected, else the most.
    [[nodiscard]] std::int64_t counted() const noexcept;
};

struct BatchPlan {
    std::size_t jobs = 0;
    std::size_t to_submit = 0;            // creates to send: new jobs, retries and resends
    std::size_t to_poll = 0;              // tasks earlier runs left running
    LedgerCounts ledger;                  // as given
    std::int64_t credits_carried = 0;     // by the ledger's tasks (counts against the ceiling)
    std::size_t create_requests = 0;     // one POST per submitted job (rejected ones are never sent)
    std::size_t status_reads_batched = 0; // expected polls with batch reads (50 ids a request)
    std::size_t status_reads_single = 0;  // expected polls with one GET per task
    std::int64_t credits_worst_case = 0;  // every task sent billed at the longest duration
    // Per-job costs (probed); without them every job to submit is unknown (at the most).
    bool probed = false;                  // plan_batch was given costs
    std::size_t jobs_exact = 0, jobs_rejected = 0, jobs_unprobed = 0; // among to_submit
    std::int64_t credits_exact = 0;       // the sum of the exact costs
    std::int64_t credits_expected = 0;    // exact + unprobed at the most (= worst case unprobed)
    std::int64_t credits_ceiling = 0;     // limits.max_credits
    std::int64_t credits_at_most = 0;     // min(expected, ceiling - carried): what the run can add
    std::int64_t credits_to_cover = 0;    // the ceiling that would let every job go: carried + expected
    // The jobs to submit that fit under ceiling - carried in manifest order, each at what it
    // counts (JobCost::counted), up to the first that does not: the run submits in that order
    // and stops there. Rejected jobs cost nothing and count as fitting.
    std::size_t jobs_within_ceiling = 0;
    std::int64_t credits_within_ceiling = 0; // what those jobs count for
    std::chrono::seconds submit_time{0};  // creates alone at the configured request rate
    std::chrono::seconds estimated_time{0}; // the whole batch, tasks taking k_typical_task_time
};

// `costs`, when given, holds one entry per job to submit (new, resent, retried), in manifest
// order; throws std::invalid_argument when their number is not the plan's to_submit.
BatchPlan plan_batch(manifest::Manifest const& manifest, LedgerCounts const& ledger = {},
                     std::optional<std::span<JobCost const>> costs = std::nullopt);

} // namespace evobatch::plan
