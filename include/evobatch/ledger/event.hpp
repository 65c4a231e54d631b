#pragma once
// One ledger event and its JSON Lines form (design.md "Ledger"). Every line is one JSON object:
// `v` (format version), `t` (UTC ms), `job` and `req` (absent on `batch`), `ev`, then the
// fields the event carries. The writer only appends these lines; replay reads them back.

#include <boost/system/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::ledger {

inline constexpr int k_format_version = 1;

// The events (design.md "Ledger"), in their usual order for one job.
enum class EventType {
    batch,      // a run started (no job): manifest path and digest
    submitting, // the attempt's idempotency key, durable before the POST leaves
    submitted,  // the create answered: a task exists
    progress,   // the task's progress changed
    completed,
    failed,
    uncertain,  // the create may have made a task that the ledger cannot name
    unsent,     // the create under this key was refused (429, 401, 402, 403) or never left: no task
                // exists, so resume re-POSTs the same key rather than treating the job as uncertain
    downloaded, // a result file saved
    probed,     // one source of the job (`url`) probed before its create: facts, validators, verdict
    rejected,   // the job's sources are unusable (error: the first reason): never sent, costs nothing
    adopted,    // the current attempt (`attempt`, `key`) is now known to have made task `task`: read from the
                // account's task list (reconcile, verdict "listed") or named by a person (`run --adopt
                // JOB=TASK`, verdict "asked"); `credits` as listed, or the caller's estimate. Polled like
                // a `submitted` task from then on
};

// The `ev` spelling of each event ("batch", "submitting", ...).
std::string_view to_string(EventType type) noexcept;
std::optional<EventType> parse_event_type(std::string_view name) noexcept;

// An event's error, and the event itself, over any text type: `Event` owns its text; the
// line parser's view of a line (src/ledger) is the same shape over std::string_view, so that
// the one field table (src/ledger/fields.hpp) drives both. A new field is a member here and a
// line in that table.
template <class Text> struct BasicEventError {
    Text code;
    Text message;
    friend bool operator==(BasicEventError const&, BasicEventError const&) = default;
};

template <class Text, class TextList> struct BasicEvent {
    EventType type = EventType::progress;
    std::int64_t t_ms = 0;
    Text job, req; // empty for `batch`
    std::optional<Text> task, key, rid;
    std::optional<int> attempt, progress, eta_s;
    std::optional<std::int64_t> credits;
    TextList results;
    std::optional<BasicEventError<Text>> error;
    std::optional<Text> file, sha256;
    std::optional<std::uint64_t> bytes;
    std::optional<Text> manifest, digest; // `batch` only
    // `probed` only: the source's URL, its length, container or image format, the host's
    // validators (to reuse the probe while they hold) and what the rules made of it
    // ("usable", "warned", "rejected", "unreachable", "transient"; error: why).
    std::optional<Text> url;
    std::optional<std::int64_t> duration_ms;
    std::optional<Text> format, etag, last_modified, verdict;
    // A reconcile's evidence (jobs/reconcile.hpp), on `adopted` and on the `unsent` and
    // `uncertain` a reconcile writes: list pages read, the create's span in the server's unix
    // seconds (inclusive), and the candidate tasks as space-separated `id@created_at` tokens
    // (text, not a list: the line parser keeps one text list, `results`). `verdict` says how it
    // was decided: "listed" (the task list) or "asked" (a person's `run --adopt`).
    std::optional<std::int64_t> pages, span_from, span_to;
    std::optional<Text> candidates;
    friend bool operator==(BasicEvent const&, BasicEvent const&) = default;
};

using EventError = BasicEventError<std::string>;
using Event = BasicEvent<std::string, std::vector<std::string>>;

// The event as one line ending in '\n', starting with `{"v":`. JSON escapes every control
// character, so the line holds no raw newline; text that is not valid UTF-8 (a server message
// cut mid-character) gets U+FFFD for each bad byte, so every line we write parses back.
// `job`/`req` are written for every event but `batch`; empty `results` are left out.
std::string to_json_line(Event const& event);

// Appends the same line to `out`: the writer batches lines into one buffer per group commit.
void append_json_line(Event const& event, std::string& out);

// Parses one line (with or without its '\n'). Defensive: unknown fields are ignored and a null
// field counts as absent; a torn line (any prefix of a valid one) is a boost::json error; a
// missing `v`/`t`/`ev` (or `job`/`req` on a job event), a field of the wrong type, a number out
// of range, an unknown `ev` or a `v` other than 1 are LedgerErrc errors. Never throws.
boost::system::result<Event> parse_json_line(std::string_view line);

// Now, as UTC milliseconds since the epoch (system_clock): the `t` of new events.
std::int64_t now_ms() noexcept;

} // namespace evobatch::ledger
