#pragma once
// What `evobatch report` exports: one row per manifest job with what the ledger says about it,
// and the batch's totals. Pure: built from a loaded manifest, a replayed ledger and `now`; the
// writers (render.hpp) only format it.

#include "evobatch/ledger/event.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/jobs/credits.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evobatch::manifest {
struct Manifest;
} // namespace evobatch::manifest

namespace evobatch::report {

struct ResultFile {
    std::string file; // path as the run saved it
    std::uint64_t bytes = 0;
    std::string sha256;
    int version = 1; // the job's request it came from (1: the first; later ones are named <id>@vN)
    bool on_disk = true; // there with its recorded size when the report was made
};

// One create of a job that went out (ledger::Attempt), for the timeline and the attempt list:
// every task the batch paid for or had refunded, earlier requests of changed jobs included.
struct TaskRun {
    int version = 1;  // which request of the job id
    int attempt = 1;
    std::string task; // empty when the create made no task the ledger can name
    std::string phase; // submitting, running, completed, failed, uncertain, unsent, rejected
    std::int64_t submitting_t_ms = 0;
    std::int64_t submitted_t_ms = 0; // 0 when no task
    std::int64_t finished_t_ms = 0;  // 0 when not finished
    std::optional<double> actual_s;  // finished - submitted, for finished tasks only
    std::optional<int> estimated_s;
    std::int64_t credits = 0;  // charged (completed) or reserved now (running); 0 otherwise
    std::int64_t refunded = 0; // what a failed task had reserved and got back
    std::optional<ledger::EventError> error; // server text: untrusted, writers must escape it
    bool current = false; // the job's latest attempt of its current request
};

// One job as every command that lists jobs shows it (`report` and `status` render these rows).
struct Row {
    std::string id;
    // new (not in the ledger), changed (the ledger's request differs from the manifest's now),
    // removed (in the ledger, no longer in the manifest), or the ledger's phase: submitting,
    // running, completed, failed, uncertain, unsent, rejected.
    std::string state;
    std::string note;     // changed and removed jobs: what the next run does with them
    std::string next_run; // changed jobs: the next run's action (jobs::ResumeAction's name)
    std::string why;      // changed jobs: the reason behind it
    // Completed jobs: where their result files stand (downloaded, to download, expiring,
    // expired, or not downloaded at all); the flags below say the same for counting.
    std::string files_note;
    bool to_download = false, expiring_soon = false, expired = false;
    bool stale = false;   // running past 3x its estimate
    int progress = 0;     // the current task's last reported progress, 0-100
    std::int64_t last_t_ms = 0; // the job's last ledger event; 0 for new jobs
    std::vector<std::string> result_urls; // the current task's result links (valid ~24 h)
    std::string prompt; // the manifest's, as it is sent (untrusted text: writers escape it)
    std::string video;  // the source video URL
    std::string task;   // the current attempt's task id; empty when none
    int attempts = 0;   // the current attempt's number; 0 for new jobs
    std::int64_t credits = 0;  // charged and reserved now by all its tasks (jobs::credits_of)
    std::int64_t refunded = 0; // its failed tasks' credits, given back
    std::int64_t submitted_t_ms = 0; // UTC ms of the current task's `submitted`; 0 when no task
    std::int64_t finished_t_ms = 0;  // UTC ms of its `completed`/`failed`; 0 when not finished
    std::optional<double> actual_s;  // finished - submitted, for finished tasks only
    std::optional<int> estimated_s;  // the create answer's estimate
    std::vector<ResultFile> files;   // every result file on record, earlier requests' included
    std::optional<ledger::EventError> error; // server text: untrusted, writers must escape it
    std::vector<TaskRun> runs;       // every attempt that went out, oldest first
    // Uncertain jobs a reconcile could not settle (issue 18): the listed tasks its create may have
    // made (ledger::ListEvidence::candidates, as listed: newest first). Ids are server text:
    // untrusted, writers must escape them. A person settles the job with `run --adopt JOB=TASK`.
    std::vector<ledger::ListedCandidate> candidates;
};

struct FailureReason {
    std::string code;
    std::vector<std::string> jobs; // ids, in manifest order
};

struct Totals {
    std::size_t jobs = 0;
    std::size_t tasks = 0; // task ids over every attempt (the timeline's bars)
    std::vector<std::pair<std::string, std::size_t>> states; // count per state, in a fixed order, none zero
    jobs::CreditTotals credits; // the whole ledger's, as `run`, `plan` and `status` count them
    double credits_per_usd = 68; // api.credits_per_usd: approximate money
    std::int64_t first_t_ms = 0; // the ledger's first and last event; 0 when empty
    std::int64_t last_t_ms = 0;
    double wall_s = 0; // last - first event
    std::size_t files = 0;   // result files on disk (as `run` and `status` count them)
    std::uint64_t bytes = 0; // their recorded sizes
    // Failed and uncertain jobs per error code, most jobs first (then by code).
    std::vector<FailureReason> failure_reasons;
};

struct Report {
    std::string manifest; // paths as given
    std::string ledger;
    std::int64_t generated_t_ms = 0;
    std::uint64_t events = 0; // lines the ledger holds as events
    std::vector<Row> rows;    // in manifest order
    Totals totals;
};

// Every state a row can be in, in the order they are counted and listed: a batch's life, then
// what needs attention. `status --state` takes these.
inline constexpr std::array<std::string_view, 10> k_state_names = {
    "new",    "submitting", "running", "completed", "failed", "uncertain",
    "unsent", "rejected",   "changed", "removed"};

// Builds the report of `manifest`'s jobs from `replay` (of the ledger at `ledger_path`) at `now_ms`,
// deciding each job as `run` would (jobs::resume_options_of the manifest).
Report build_report(manifest::Manifest const& manifest, ledger::Replay const& replay,
                    std::filesystem::path const& ledger_path, std::int64_t now_ms);

// A running task is stale past this many times its estimate.
inline constexpr double k_stale_factor = 3.0;

// "2026-01-01T00:00:00.000Z": UTC milliseconds as ISO 8601.
std::string iso8601_utc(std::int64_t t_ms);

// "2026-12-05T12:00:00Z": server unix seconds (a listed task's created_at) as ISO 8601; a value
// outside years 1970-9999 as its number.
std::string iso8601_utc_s(std::int64_t unix_s);

// How `status` and `report` describe a listed candidate after its id: "created
// 2026-12-05T12:00:00Z, 8 s", with ": not its clip's length" when the reconcile found the listed
// length does not fit the job's probed source. The id is the caller's to escape.
std::string candidate_detail(ledger::ListedCandidate const& c);

// Where a task's timeline bar starts and ends: from `submitted` to its finish or, for tasks
// still running, to the ledger's last event (as far as the ledger knows). False for attempts
// without a task.
bool task_span(TaskRun const& run, Totals const& totals, std::int64_t& start_ms, std::int64_t& end_ms);

} // namespace evobatch::report
