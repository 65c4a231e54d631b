#pragma once
// What `run`, `plan` and `status` share about an existing ledger: reading it (errors printed
// compiler style, `ledger:line: error: ...`) and the resume rules the manifest sets.

#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/plan/batch_plan.hpp"
#include "evobatch/jobs/resume.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>


namespace evobatch::cli {

// The replayed ledger (empty when the file does not exist), or nothing after printing why not.
std::optional<ledger::Replay> read_ledger(std::filesystem::path const& path);

// A manifest with its replayed ledger, as `status` and `report` read them.
struct Batch {
    manifest::Manifest manifest;
    std::filesystem::path ledger; // output.ledger, or the --ledger override
    ledger::Replay replay;
};

// Loads the manifest and replays its ledger (`ledger_override` when not empty); nothing when
// either fails, or when `ledger_override` names no file. A manifest's own ledger that does not
// exist yet is an empty one (with a notice). Read offline (manifest::LoadOptions): a missing
// api.ca_file is only a warning. The manifest's errors are printed in full; more
// than a few warnings are counted in one line with the `<program> validate` command that lists
// them (status and report look at a batch already run: the warnings would bury their answer).
std::optional<Batch> load_batch(std::string const& manifest_path, std::string const& ledger_override,
                                std::string const& program);

// The manifest's resume settings (idempotency window, attempts), as of now.
jobs::ResumeOptions resume_options(manifest::Manifest const& manifest);

// What a resume plan found in the ledger, as `plan::plan_batch` counts it.
plan::LedgerCounts ledger_counts(jobs::ResumePlan const& resume);

// Whether a job's decision sends a create: a new job, a new attempt or a resend.
bool sends(jobs::ResumeAction action) noexcept;

// What each job the run sends costs by the ledger's probes alone (no network), in manifest
// order as plan_batch takes them: a new job or attempt whose video's latest probe found it
// usable with a known length, that exact cost; any other, the most a task costs (a resend is
// never probed; a job rejected before is probed again and may be fixed). Nothing when probing
// is off or no cost is known: the plan is then every job at the most, as it always was.
std::optional<std::vector<plan::JobCost>> remembered_costs(manifest::Manifest const& manifest,
                                                           jobs::ResumePlan const& resume, ledger::Replay const& replay);

} // namespace evobatch::cli
