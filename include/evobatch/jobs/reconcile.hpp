#pragma once
// Reconcile (issue 18): which task, if any, a create whose answer was lost made, read from the
// account's task list (api.md "Other endpoints"). Pure: the matching rules only. A caller first
// asks reconcile_scope() which jobs need settling and how far back to list, reads list pages
// newest first until an item is older than `list_until` (or the last page, or its cap), then
// hands the pages to reconcile(), which decides each job with its evidence. No I/O.
// Pages are read without a status filter (a failed or cancelled task was made all the same); a
// model filter may narrow them to the models of the jobs settled.
//
// Times: the ledger's are local UTC ms; a listed task's created_at is the server's unix seconds.
// A span is in the server's seconds: the local times moved by the clock skew (server minus
// local, from the answers' Date headers) and widened by a margin on both sides.

#include "evobatch/api/task_list.hpp"
#include "evobatch/jobs/resume.hpp"
#include "evobatch/ledger/replay.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace evobatch::manifest {
struct Job;
} // namespace evobatch::manifest

namespace evobatch::jobs {

// Inclusive, in the server's unix seconds: a listed task belongs to it when from <= created_at <= to.
struct ListSpan {
    std::int64_t from = 0;
    std::int64_t to = 0;
    [[nodiscard]] bool holds(std::int64_t created_at) const noexcept {
        return from <= created_at && created_at <= to;
    }
    friend bool operator==(ListSpan const&, ListSpan const&) = default;
};

struct ReconcileOptions {
    std::chrono::milliseconds skew{0}; // server clock minus local clock
    // Each side of a span: Date's whole seconds, latency, a create the server made late.
    std::chrono::milliseconds margin{10'000};
    // A listed `duration` (the clip's seconds) and a probed one agree within this.
    std::chrono::milliseconds duration_tolerance{1'000};
    // Two creates sent at least this far apart are taken to have made their tasks in that order
    // (created_at not decreasing); closer ones may have been made in either order.
    std::chrono::milliseconds order_gap{2'000};
    // Each job's source video length (probed_durations(), or the caller's): separates tasks.
    std::unordered_map<std::string, std::chrono::milliseconds> durations;
    // Each job's model; a job not here has manifest::k_default_model, one here with "" any model
    // (a changed job whose earlier request's model the ledger does not keep).
    std::unordered_map<std::string, std::string> models;
};

// A create that may have made a task no job of the ledger names: an attempt, current or
// earlier, of any job, `submitting` or `uncertain` without a task id.
struct Claimant {
    std::string job;
    int attempt = 1;
    std::string key;
    bool settle = false;         // decided here: the current attempt that resume rules call uncertain.
                                 // The others (a key still trusted, an earlier attempt at risk) only
                                 // claim the tasks of their span, so that no job adopts one of theirs.
    bool earlier = false;        // an earlier attempt of the job (JobHistory::earlier)
    std::int64_t sent_t_ms = 0;  // local: its first send under the key
    std::int64_t ended_t_ms = 0; // local: its `uncertain` event, or now
    ListSpan span;               // server seconds
    std::optional<std::chrono::milliseconds> duration;
    std::string model;
};

struct ReconcileScope {
    std::vector<Claimant> claimants;       // in send order (then job, attempt)
    std::unordered_set<std::string> named; // every task id the ledger names, any job, any attempt
    // List pages until an item's created_at is below this (server seconds): the earliest start
    // of a span to settle. Absent: no job needs settling, list nothing.
    std::optional<std::int64_t> list_until;
    [[nodiscard]] std::size_t to_settle() const noexcept;
};

// The jobs whose create may have made a task nobody recorded, as resume rules decide them at
// `resume.now_ms` (ResumeAction::uncertain; the one-off --resubmit-uncertain selections are
// ignored), with the other claimants and their spans.
ReconcileScope reconcile_scope(ledger::Replay const& replay, ResumeOptions const& resume,
                               ReconcileOptions const& options);

// What the list read gave: pages newest first (as read, duplicates allowed: a page can repeat
// items when tasks are made meanwhile).
struct Listing {
    bool available = true;              // false: the list endpoint answered 404/405 (api::endpoint_missing())
    std::vector<api::ListedTask> tasks; // every page's items, in reading order
    std::size_t pages = 0;
    // The read went past list_until: an item older than it, or the last page. Otherwise only
    // spans that start after the oldest item read are covered.
    bool reached_start = false;
    // Items whose id no client can use (api::UnusableListedTask): a task all the same, maybe
    // ours, with no time read. Each as the seconds its neighbours on the page put it within
    // (an open end: the whole range that way). A job whose span meets one is never `unsent`.
    std::vector<ListSpan> unusable;
};

// Adds the next page (pages are read in order from 1) and says whether paging can stop: an item
// older than `list_until`, or the last page as the server tells it (an empty page, fewer items
// than the page size it says it used, or `total` read; a page short of the size asked for is not
// enough: a server may cap pages without saying), which also sets `reached_start`. Nothing to
// settle (no list_until): stop at once.
bool add_page(Listing& listing, api::TaskList const& page, std::optional<std::int64_t> list_until);

enum class ReconcileVerdict {
    unsent,        // no unknown task its create could have made: resend as a new attempt (new key)
    adopt,         // its task is `task`: record `adopted`, poll it
    ambiguous,     // stays uncertain; `candidates` for a person (run --adopt JOB=TASK)
    not_available, // the list endpoint is missing here: nothing decided
    unlisted,      // the read stopped (its cap) before the job's span: nothing decided
};

std::string_view to_string(ReconcileVerdict verdict) noexcept;

// A task a job's create may have made: as the ledger keeps it with the decision's evidence.
using Candidate = ledger::ListedCandidate;

struct ReconcileDecision {
    std::string job;
    int attempt = 1;
    ReconcileVerdict verdict = ReconcileVerdict::ambiguous;
    std::string task; // adopt only
    // The evidence, for the ledger event and for people.
    ListSpan span;
    std::size_t pages = 0;
    std::size_t items = 0;             // items read (distinct ids)
    std::vector<Candidate> candidates; // unknown tasks of its model in its span, newest first
    std::string why;
};

// Whether a task whose clip the list (or the task) gives as `listed` seconds can be of a source
// probed at `probed`: both taken as billed (6-20 s), within `tolerance`. Unknown on either side: it can.
bool duration_fits(std::optional<std::chrono::milliseconds> probed, std::optional<double> listed,
                   std::chrono::milliseconds tolerance);

// A task a person names for a job (`run --adopt JOB=TASK`), as GET /v1/tasks/{id} shows it.
struct AdoptionCandidate {
    std::string model;
    std::int64_t created_at = 0;    // server unix seconds
    std::optional<double> duration; // the source clip's seconds, when the task says
};

// Why that task cannot be the one the claimant's create made, by the rules reconcile() pairs
// with: another model, a clip length that does not fit the probed one, or made outside the
// create's span. Empty: it can be.
std::string adoption_mismatch(Claimant const& c, AdoptionCandidate const& task, ReconcileOptions const& options);

// Decides every claimant with `settle`, in scope order. One task is adopted by at most one job.
std::vector<ReconcileDecision> reconcile(ReconcileScope const& scope, Listing const& listing,
                                         ReconcileOptions const& options);

// Each job's source video length from the ledger's `probed` events of its video URL.
std::unordered_map<std::string, std::chrono::milliseconds>
probed_durations(ledger::Replay const& replay, std::vector<manifest::Job> const& jobs);

} // namespace evobatch::jobs
