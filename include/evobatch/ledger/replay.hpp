#pragma once
// Ledger replay: reads a ledger back into what is known about each job, so that a run can
// resume without paying twice and `plan`/`status` can say where a batch stands (design.md
// "Ledger", resume rules). Pure reading: no lock, no writes; a run takes the writer's lock (which
// repairs a torn tail) before it replays.

#include "evobatch/ledger/candidates.hpp"
#include "evobatch/ledger/event.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace evobatch::ledger {

// Where the current attempt of a job stands, from its last lifecycle event (`progress` and
// `downloaded` do not change it).
enum class JobPhase {
    submitting, // `submitting` without an answer: the POST may or may not have made a task
    running,    // `submitted` or `adopted`: a task exists; poll it, never resubmit
    completed,
    failed,
    uncertain,  // the create may have made a task that the ledger cannot name
    unsent,     // the create under this key was refused or never left: no task exists
    rejected,   // its sources were judged unusable before any create (`rejected`): never sent
    probed,     // only probed (`probed` with nothing sent yet): a new job
};

std::string_view to_string(JobPhase phase) noexcept;

struct Download {
    std::string file;
    std::uint64_t bytes = 0;
    std::string sha256;
    std::int64_t t_ms = 0;
};

// What the account's task list said of an attempt (issue 18, jobs/reconcile.hpp), from the last
// event of it that carried `span_from` (`adopted`, `unsent` or `uncertain` written by a reconcile).
struct ListEvidence {
    std::string verdict;           // the event's `verdict`: "listed" (the task list decided) or "asked"
    std::int64_t pages = 0;        // list pages read
    std::int64_t span_from = 0;    // the create's span, server unix seconds, inclusive
    std::int64_t span_to = 0;
    std::vector<ListedCandidate> candidates; // from `candidates` (parse_candidates; malformed tokens skipped)
    friend bool operator==(ListEvidence const&, ListEvidence const&) = default;
};


// One create of a job (an attempt, under one idempotency key) and where it stands: the
// current one is the JobHistory itself, earlier ones (a failed task retried, a request the
// manifest changed since) are kept in JobHistory::earlier, because their credits and result
// files stay real after the job moved on.
struct Attempt {
    std::string req;    // digest of the normalized request this attempt sent
    int version = 1;    // which request of the job id: 1 for the first the ledger saw, +1 per change
    JobPhase phase = JobPhase::submitting;
    int attempt = 1;    // the attempt's number (`attempt` of its last `submitting`)
    std::string key;    // its idempotency key
    std::string task;   // its task id; empty before `submitted` (or `adopted`)
    std::int64_t submitting_t_ms = 0; // its latest `submitting`
    std::int64_t submitted_t_ms = 0;  // its `submitted` (or `adopted`); 0 before
    std::int64_t finished_t_ms = 0;   // its `completed`/`failed`/`uncertain`; 0 before
    int progress = 0;
    std::optional<int> eta_s;         // `estimated_time` from the create answer
    std::int64_t credits = 0;         // reserved (`submitted`, `adopted`) or used (`completed`) by its task
    std::vector<std::string> results; // result URLs of `completed`
    std::optional<EventError> error;  // of the last `failed`/`uncertain`/`unsent`, or a completed task's problem
    std::vector<Download> downloads;  // `downloaded` events of its task
    // What the task list said of this create, when a reconcile read it; cleared by a new POST.
    std::optional<ListEvidence> listed;
};

// Everything the ledger says about one job id: its current attempt (the base: the latest
// request's latest create) and every earlier one.
struct JobHistory : Attempt {
    std::string job;
    std::int64_t first_t_ms = 0;          // the first event of the current request
    std::int64_t key_first_sent_t_ms = 0; // the first `submitting` with the current key: the
                                          // idempotency window counts from there, not from a resend
    std::int64_t last_t_ms = 0;           // the latest event of any kind
    std::uint64_t superseded_events = 0;  // events about earlier requests under this id (the manifest changed)
    std::vector<Attempt> earlier;         // earlier attempts, oldest first, earlier requests' included
};

// The latest `probed` event of one source URL: what a later run reuses while the host's
// validators still match (the probe module decides; this is only what the ledger says).
struct ProbeRecord {
    std::string url;
    std::string job;              // the job that probed it last
    std::int64_t t_ms = 0;
    std::uint64_t bytes = 0;      // the file's length
    std::optional<std::int64_t> duration_ms;
    std::string format, etag, last_modified;
    std::string verdict;          // usable, warned, rejected, unreachable, transient
    std::optional<EventError> error; // why, for all but usable
    std::optional<std::int64_t> credits; // a usable video's exact cost
};

struct BatchStart {
    std::int64_t t_ms = 0;
    std::string manifest; // path as the run saw it
    std::string digest;   // sha256 of the manifest's bytes
};

struct Replay {
    std::vector<JobHistory> jobs; // in the order their ids first appear
    std::vector<BatchStart> batches;
    std::vector<ProbeRecord> probes;   // the latest per URL, in the order the URLs first appear
    std::uint64_t events = 0;          // lines read as events
    std::uint64_t torn_tail_bytes = 0; // a last line without '\n' that is not a whole event: ignored

    // The job's history, or nullptr when the ledger never mentions it.
    [[nodiscard]] JobHistory const* find(std::string_view job) const;
    // The latest probe of `url`, or nullptr.
    [[nodiscard]] ProbeRecord const* find_probe(std::string_view url) const;

    // Looks up by std::string_view without building a string (heterogeneous lookup).
    struct IdHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view id) const noexcept { return std::hash<std::string_view>{}(id); }
    };
    std::unordered_map<std::string, std::size_t, IdHash, std::equal_to<>> index; // job id -> position in `jobs`
    std::unordered_map<std::string, std::size_t, IdHash, std::equal_to<>> probe_index; // url -> position in `probes`
};

// A line other than a torn last one that is not an event: never skipped silently.
class ReplayError : public std::runtime_error {
public:
    ReplayError(std::uint64_t line, std::string const& what) : std::runtime_error(what), m_line(line) {}
    // 1-based line number of the bad line; 0 when the file could not be read at all.
    [[nodiscard]] std::uint64_t line() const noexcept { return m_line; }

private:
    std::uint64_t m_line;
};

// Replays ledger text. A last line without '\n' that parses as a whole event counts (only its
// newline was lost, as LedgerWriter's repair also decides); any other torn last line is ignored
// and measured in torn_tail_bytes. Throws ReplayError for a bad line elsewhere, naming it.
Replay replay_text(std::string_view text);

// Replays the ledger file at `path`; a file that does not exist is an empty ledger. Throws
// ReplayError (line 0 with the system's reason) when it cannot be read, and as replay_text.
Replay replay_file(std::filesystem::path const& path);

} // namespace evobatch::ledger
