#pragma once
// What `run`, `plan` and `status` share about an existing ledger: reading it (errors printed
// compiler style, `ledger:line: error: ...`) and the resume rules the manifest sets.

#include "evobatch/ledger/replay.hpp"
#include "evobatch/sched/resume.hpp"

#include <filesystem>
#include <optional>

namespace evobatch::manifest {
struct Manifest;
} // namespace evobatch::manifest

namespace evobatch::cli {

// The replayed ledger (empty when the file does not exist), or nothing after printing why not.
std::optional<ledger::Replay> read_ledger(std::filesystem::path const& path);

// The manifest's resume settings (idempotency window, attempts), as of now.
sched::ResumeOptions resume_options(manifest::Manifest const& manifest);

} // namespace evobatch::cli
