#pragma once
// The scheduler's state for one job during a run. Internal to src/sched.

#include "evobatch/api/types.hpp"
#include "evobatch/sched/clock.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace evobatch::manifest {
struct Job;
} // namespace evobatch::manifest

namespace evobatch::sched::detail {

enum class JobState {
    queued,      // waiting to be submitted (first time or for another attempt)
    submitting,  // `submitting` durable, create in flight
    running,     // `submitted` durable, task being polled
    completed,
    failed,      // for good
    uncertain,   // the create may or may not have made a task; never re-POSTed under a new key
    unsubmitted, // left unsent: submission stopped (API refusal, ceiling, interrupt)
    held,        // changed since an earlier request was paid for: not sent (--rerun-changed)
    rejected,    // its sources are unusable (the probe's verdict): never sent, costs nothing
};

inline constexpr std::size_t k_job_states = static_cast<std::size_t>(JobState::rejected) + 1;

// Where a queued job stands with its preflight probe (sched/detail/preflight.hpp).
enum class PreflightState : std::uint8_t {
    none,    // not probed: probing is off, or the job goes out under a key already sent (a resend)
    waiting, // to be probed before its create
    probing,
    done,    // probed: usable (its exact cost known or not) or unprobed (sent at the most)
};

constexpr char const* name_of(JobState s) noexcept {
    switch (s) {
    case JobState::queued: return "queued";
    case JobState::submitting: return "submitting";
    case JobState::running: return "running";
    case JobState::completed: return "completed";
    case JobState::failed: return "failed";
    case JobState::uncertain: return "uncertain";
    case JobState::unsubmitted: return "unsubmitted";
    case JobState::held: return "held";
    case JobState::rejected: return "rejected";
    }
    return "?";
}

class JobTable;

struct JobRecord {
    // Where the job is: read by all, moved only by JobTable::set_state, which keeps the run's
    // counters, queue and credit reservation true to it.
    [[nodiscard]] JobState state() const noexcept { return m_state; }

    manifest::Job const* job = nullptr;
    api::CreateRequest request;
    std::string digest; // of the normalized request the run's events are about (a changed job's
                        // earlier request while its task is polled to the end)
    int version = 1;    // which request of the job id (ledger::Attempt::version): names its files
    bool earlier_request = false; // the manifest changed it: this run only finishes the ledger's
                                  // request (polls its task, fetches its files), never sends it
    bool removed = false;         // no longer in the manifest: polled and downloaded, not counted as a job
    int attempt = 1;
    std::string key;  // idempotency key of the current attempt
    std::string resend_key; // a resumed attempt's key as the ledger has it: sent again as it is
    bool key_may_have_task = false; // resend_key went out before and may have made a task
    // The server is trusted to remember `key` until then (api.idempotency_window from its
    // first use, less a margin): a create that may have made a task is sent again under it
    // only before. Unset: counts from this run's first send of the key (a new key, an `unsent`
    // one, or one --resubmit-uncertain sends whatever its age).
    std::optional<TimePoint> key_trusted_until;
    std::string task; // current task id
    PreflightState preflight = PreflightState::none;
    std::optional<std::int64_t> predicted_credits; // the probe's exact cost; unset: the most a task costs
    std::int64_t reservation = 0;        // held in the budget from the create until its answer

    // What the budget holds for its create: the probe's exact cost, else the most a task costs.
    [[nodiscard]] std::int64_t cost_to_reserve() const noexcept;
    std::int64_t credits = 0;            // what the server reserved for the current task
    std::chrono::seconds estimate{0};
    int progress = 0;
    int polls = 0;
    bool status_unknown = false;
    std::vector<std::string> results; // result URLs of the completed task
    std::int64_t completed_ms = 0;    // when the task completed (UTC ms): its links last ~24 h
    bool needs_download = false;      // completed in an earlier run, files not all on disk
    std::size_t expired_results = 0;  // completed in an earlier run, its links expired since
    std::vector<std::pair<std::string, std::string>> files_to_verify; // earlier downloads: file, sha256
    bool stale_noted = false;
    TimePoint submitted_at{};
    TimePoint progress_seen_at{};
    TimePoint next_poll{};

private:
    friend class JobTable;
    JobState m_state = JobState::queued;
};

} // namespace evobatch::sched::detail
