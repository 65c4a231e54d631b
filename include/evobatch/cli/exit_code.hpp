#pragma once
// The process's exit codes, decided here only: the modules below report facts (a run's progress::Summary),
// and the command line says what they mean to a script.

namespace evobatch::progress {
struct Summary;
} // namespace evobatch::progress

namespace evobatch::cli {

// design.md's exit codes; scripts rely on them, so they never change meaning.
enum ExitCode : int {
    exit_ok = 0,          // every job completed (or: the input is valid)
    exit_jobs_failed = 1, // some jobs failed, are uncertain or were rejected by their probe
    exit_bad_input = 2,   // bad manifest, flags or files
    exit_interrupted = 3, // interrupted or unfinished: run again to resume
    exit_api_stopped = 4, // the API refused to go on (key, credits)
};

// A run's exit code: 4 when the API stopped it; 3 when anything is left for the next run
// (interrupted, unsubmitted, running, a download to retry); 1 when jobs failed, are uncertain,
// held or rejected, or results expired; else 0.
ExitCode exit_code_of(progress::Summary const& run) noexcept;

} // namespace evobatch::cli
