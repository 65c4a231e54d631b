#pragma once
// What `run` reads from its ledger before it sends anything (where each job resumes, said in
// words) and after it ends (the summary completed from the ledger it wrote, and the figures of
// the Next: lines), with the code `plan`, `status` and `report` use. Internal to src/cli.

#include "commands.hpp"
#include "next_steps.hpp"

#include "evobatch/jobs/resume.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/progress/summary.hpp"

#include <chrono>
#include <filesystem>
#include <optional>

namespace evobatch::ledger {
class LedgerWriter;
} // namespace evobatch::ledger

namespace evobatch::cli {

struct Resume {
    ledger::Replay replay; // the plan's starts point into it
    jobs::ResumeOptions options;
    jobs::ResumePlan plan;
};

// Replays the ledger and decides where each job resumes; says what it found. Problems are
// printed and nothing is returned.
std::optional<Resume> read_resume(ledger::LedgerWriter const& writer, manifest::Manifest const& m,
                                  RunOptions const& o);

// How the run ended: the run's summary completed from the ledger it wrote, replayed with the
// code `plan`, `status` and `report` use (the credits and files shown, and what the next run
// would do: the `Next:` lines' figures). Counts of jobs come from the run.
struct Ending {
    progress::Summary summary;
    RunEnd end;
};

// `ledger` is where the run's events are: output.ledger, or the copy the writer saved when that
// path was deleted or replaced under the run.
Ending ending_of(progress::Summary run, manifest::Manifest const& m, jobs::ResumeOptions const& options,
                 std::chrono::seconds wall, std::filesystem::path const& ledger);

} // namespace evobatch::cli
