#pragma once
// What a run does with each job given what the ledger knows (design.md "resume rules"). Pure:
// `run` starts its scheduler from these decisions and `plan` counts them, so both always agree.

#include "evobatch/jobs/credits.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace evobatch::ledger {
struct Attempt;
struct Download;
struct JobHistory;
struct Replay;
} // namespace evobatch::ledger
namespace evobatch::manifest {
struct Job;
struct Manifest;
} // namespace evobatch::manifest

namespace evobatch::jobs {

enum class ResumeAction {
    submit,         // never sent (or the request changed): a first attempt
    resend,         // POST again under the same key: the last create got no answer while the
                    // server still keeps keys, or it made no task (`unsent`) and the key is still
                    // trusted, or the user asked (--resubmit-uncertain, a new attempt number)
    poll,           // a task exists (`submitted`, or `adopted` from the task list): poll it, never resubmit
    retry,          // a new attempt (attempt + 1) under a new key: the task failed with an error a new
                    // attempt can fix, or the create made no task (`unsent`, a reconcile's
                    // among them) and its key is too old to trust
    done,           // completed: skip
    failed,         // failed for good (or 404 on its task): reported, not resubmitted
    uncertain,      // may have made a task the ledger cannot name: listed, never re-POSTed by itself
    hold,           // the manifest changed the job since an earlier request of it was (or may have
                    // been) paid for: sent again only when asked (--rerun-changed)
    rejected,       // an earlier run judged its sources unusable, and this run does not probe
                    // (--no-probe, preflight.probe: false): not sent on a verdict it cannot renew.
                    // A run that probes sends it as `submit` when the new probe finds it usable.
};

std::string_view to_string(ResumeAction action) noexcept;

struct ResumeOptions {
    std::chrono::seconds idempotency_window{15 * 60};
    int max_attempts = 3;
    // run --retry-failed=all: every failed job whose error a new attempt can fix gets one, its
    // attempts used or not (not content_policy_violation, invalid_parameters, ...: the same input
    // fails again); --retry-failed=JOB,...: those jobs, whatever their error.
    bool retry_all_failed = false;
    std::set<std::string> retry_failed;
    bool resubmit_all_uncertain = false;   // run --resubmit-uncertain without ids
    std::set<std::string> resubmit_uncertain; // run --resubmit-uncertain JOB...
    bool rerun_all_changed = false;        // run --rerun-changed=all: pay again for every changed job
    std::set<std::string> rerun_changed;   // run --rerun-changed=JOB,...
    std::int64_t now_ms = 0;               // UTC ms, as the ledger's `t`
    bool probe = true;                     // the run probes sources before creates (preflight.probe, --no-probe)
    bool downloads = false;                // output.download: completed jobs need their files
    std::filesystem::path output_dir;      // where the files go
};

// What a run with no one-off selections decides for `manifest` at `now_ms`: every command that
// shows jobs decides with these, so they agree with `run`.
ResumeOptions resume_options_of(manifest::Manifest const& manifest, std::int64_t now_ms);

// Result links live about this long after the task completed (api.md).
inline constexpr std::chrono::hours k_result_validity{24};
// `plan` and `status` warn about links that expire sooner than this.
inline constexpr std::chrono::hours k_expiry_warning{2};

// The result files the ledger records, as the disk holds them: read once (a stat per recorded
// file) before any decision, so decide_resume() and every file count read no filesystem and a
// test can hand them whatever disk it means.
class DiskSnapshot {
public:
    static DiskSnapshot of(ledger::Replay const& replay); // every file a `downloaded` event names
    void put(std::string path, std::uintmax_t bytes);     // a file as it is (tests)
    // There, with the size its `downloaded` event recorded. Cheap enough for `plan` and
    // `status`; `run` also checks each file's hash and downloads a changed one.
    [[nodiscard]] bool holds(ledger::Download const& file) const;

private:
    std::unordered_map<std::string, std::uintmax_t> m_bytes; // path as recorded -> size now
};

struct ResumeDecision {
    ResumeAction action = ResumeAction::submit;
    int attempt = 1;      // the attempt the action sends or polls
    bool changed = false; // the ledger knows this id with another request (a new job, held, or its
                          // earlier request's task still polled)
    std::string why;      // for people: the reason behind uncertain/failed/resend/hold
    bool rerun = false;   // changed, and sent again although an earlier request was paid for (asked)
    bool forced = false;  // a resend asked for with --resubmit-uncertain: sent however old its key
    bool download = false; // done, but some result file is not on disk yet: download it
    bool expired = false;  // ... and its links are older than k_result_validity: reported, not tried
    bool expiring_soon = false; // to download, and its links expire within k_expiry_warning
    bool reprobe = false;  // submit: an earlier run rejected it; sent only if the new probe finds it usable
};

// `history` is the ledger's record of the job (nullptr: never seen); `request_digest` is the
// job's normalized request now. With options.downloads, a result counts as downloaded when the
// ledger says so and `disk` holds its file with the recorded size.
ResumeDecision decide_resume(ledger::JobHistory const* history, std::string_view job_id,
                             std::string_view request_digest, ResumeOptions const& options,
                             DiskSnapshot const& disk);

// The result files of a completed attempt as its `downloaded` events recorded them: the latest
// event per result URL, matched by name (`run --output-dir` may have put them in another folder
// than output.dir); a result never downloaded is left out. Every command counts files this way.
std::vector<ledger::Download const*> recorded_files(ledger::Attempt const& attempt, std::string_view job);

// recorded_files() that `disk` holds: of one attempt, or of every attempt of a job (earlier
// requests' included: their results are as paid for as the latest).
std::vector<ledger::Download const*> files_on_disk(ledger::Attempt const& attempt, std::string_view job,
                                                   DiskSnapshot const& disk);
std::vector<ledger::Download const*> files_on_disk(ledger::JobHistory const& history, DiskSnapshot const& disk);

// How `status` and `report` name where a job stands: new (the ledger never saw it), changed (the
// manifest entry differs from the ledger's latest request), else the ledger's phase.
std::string_view state_name(ledger::JobHistory const* history, ResumeDecision const& decision) noexcept;

// How one job enters the run when the ledger already knows it.
struct JobStart {
    ResumeDecision decision;
    ledger::JobHistory const* history = nullptr; // the ledger's record (nullptr: unknown); outlives the run
    // Which request of the job id the run's attempt is about (ledger::Attempt::version): names
    // its result files, so that a changed job's new results never replace the earlier ones.
    int version = 1;
    bool removed = false; // a job the manifest no longer has (ResumePlan::removed)
};

// Every job of a manifest against a replayed ledger: what `run` starts from and `plan` counts.
struct ResumePlan {
    std::vector<JobStart> starts;      // one per manifest job, in order
    std::size_t submit = 0, resend = 0, poll = 0, retry = 0, done = 0, failed = 0, uncertain = 0;
    std::size_t rejected = 0;          // rejected earlier and not probed again (ResumeAction::rejected)
    std::size_t reprobe = 0;           // rejected earlier, probed again (among `submit`)
    std::size_t download = 0, expired = 0, expiring_soon = 0; // among `done`
    std::size_t hold = 0;              // changed since a paid request: not sent without --rerun-changed
    std::size_t changed = 0;           // known with another request: new jobs, held, or polled to the end
    std::size_t rerun = 0;             // changed jobs paid for again because --rerun-changed asked
    std::size_t not_in_manifest = 0;   // jobs the ledger knows that the manifest no longer has
    // Those of them a run still owes something: a task running (polled to its end, never sent
    // again) or results not on disk (downloaded). Their decisions are poll or hold, `changed` set:
    // nothing of theirs is ever submitted. In the ledger's order.
    std::vector<JobStart> removed;
    std::size_t removed_running = 0, removed_to_download = 0;
    CreditTotals credits;              // the whole ledger's (credits.hpp), jobs outside the manifest included
    DiskSnapshot disk;                 // the recorded result files as the decisions saw them
    // What counts against limits.max_credits before the run sends anything: the ledger's
    // against_ceiling(), less the creates this run sends again (it reserves those itself).
    std::int64_t credits_carried = 0;
};

// Takes the DiskSnapshot of `replay` itself (plan.disk), or uses `disk` when given (tests).
ResumePlan plan_resume(std::vector<manifest::Job> const& jobs, ledger::Replay const& replay,
                       ResumeOptions const& options, DiskSnapshot const* disk = nullptr);

} // namespace evobatch::jobs
