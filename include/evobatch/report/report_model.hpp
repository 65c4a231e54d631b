#pragma once
// What `evobatch report` exports: one row per manifest job with what the ledger says about it,
// and the batch's totals. Pure: built from a loaded manifest, a replayed ledger and `now`; the
// writers (render.hpp) only format it.

#include "evobatch/ledger/event.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace evobatch::ledger {
struct Replay;
} // namespace evobatch::ledger
namespace evobatch::manifest {
struct Manifest;
} // namespace evobatch::manifest

namespace evobatch::report {

struct ResultFile {
    std::string file; // path as the run saved it
    std::uint64_t bytes = 0;
    std::string sha256;
};

struct Row {
    std::string id;
    // new (not in the ledger), changed (the ledger's request differs from the manifest's now),
    // or the ledger's phase: submitting, running, completed, failed, uncertain, unsent.
    std::string state;
    std::string task; // the current attempt's task id; empty when none
    int attempts = 0; // the current attempt's number; 0 for new jobs
    std::int64_t credits =
        0; // reserved (running) or used (completed) by the current task; 0 when failed (refunded)
    std::int64_t submitted_t_ms = 0; // UTC ms of `submitted`; 0 when no task
    std::int64_t finished_t_ms = 0;  // UTC ms of `completed`/`failed`; 0 when not finished
    std::optional<double> actual_s;  // finished - submitted, for finished tasks only
    std::optional<int> estimated_s;  // the create answer's estimate
    std::vector<ResultFile> files;
    std::optional<ledger::EventError> error; // server text: untrusted, writers must escape it
};

struct Totals {
    std::size_t jobs = 0;
    std::size_t tasks = 0;                                   // rows with a task id
    std::vector<std::pair<std::string, std::size_t>> states; // count per state, in a fixed order, none zero
    std::int64_t credits = 0;    // every row's credits, changed rows included (paid)
    std::int64_t first_t_ms = 0; // the ledger's first and last event; 0 when empty
    std::int64_t last_t_ms = 0;
    double wall_s = 0; // last - first event
    std::size_t files = 0;
    std::uint64_t bytes = 0;
    // Jobs per error code among failed and uncertain rows, most frequent first (then by code).
    std::vector<std::pair<std::string, std::size_t>> failure_reasons;
};

struct Report {
    std::string manifest; // paths as given
    std::string ledger;
    std::int64_t generated_t_ms = 0;
    std::uint64_t events = 0; // lines the ledger holds as events
    std::vector<Row> rows;    // in manifest order
    Totals totals;
};

// Builds the report of `manifest`'s jobs from `replay` (of the ledger at `ledger_path`) at `now_ms`.
Report build_report(manifest::Manifest const& manifest, ledger::Replay const& replay,
                    std::filesystem::path const& ledger_path, std::int64_t now_ms);

// "2026-01-01T00:00:00.000Z": UTC milliseconds as ISO 8601.
std::string iso8601_utc(std::int64_t t_ms);

// Where a task's timeline bar starts and ends: from `submitted` to its finish or, for tasks
// still running, to the ledger's last event (as far as the ledger knows). False for rows
// without a task.
bool task_span(Row const& row, Totals const& totals, std::int64_t& start_ms, std::int64_t& end_ms);

} // namespace evobatch::report
