#pragma once

namespace evobatch::cli {

// design.md's exit codes; scripts rely on them, so they never change meaning.
enum ExitCode : int {
    exit_ok = 0,          // every job completed (or: the input is valid)
    exit_jobs_failed = 1, // some jobs failed or are uncertain
    exit_bad_input = 2,   // bad manifest, flags or files
    exit_interrupted = 3, // interrupted or unfinished: run again to resume
    exit_api_stopped = 4, // the API refused to go on (key, credits)
};

} // namespace evobatch::cli
