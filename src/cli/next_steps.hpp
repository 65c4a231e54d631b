#pragma once
// The `Next:` lines a run's summary ends with: each one a command that works pasted as
// printed (the program, manifest and flags as the user typed them, quoted for a POSIX shell),
// and only the ones that apply to how the run ended. Pure.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evobatch::cli {

// How a run ended, as far as what to do next depends on it.
struct RunEnd {
    int exit_code = 0;
    bool interrupted = false;
    bool api_stopped = false;
    bool ceiling_reached = false;      // submission stopped at limits.max_credits
    std::int64_t ceiling = 0;          // limits.max_credits as the run had it
    std::int64_t against_ceiling = 0;  // what the ledger's tasks use of it now
    std::int64_t ceiling_to_cover = 0; // the ceiling that would let the rest go even at the most
    std::size_t failed = 0;
    std::size_t failed_fixable = 0; // failed jobs --retry-failed=all would try again
    std::size_t uncertain = 0;
    std::size_t rejected = 0; // their probe found unusable sources: never sent
    std::size_t held = 0; // changed since a paid request: wait for --rerun-changed
    std::int64_t held_cost = 0;    // paying for them again, at the most a task costs
    std::int64_t pending_cost = 0; // what the next run sends by itself, at the most a task costs
    std::size_t unfinished = 0; // not submitted, still running, or files not downloaded
    // The ledger's path was deleted or replaced under the run: {the copy of its events, the path}.
    // Nothing may run again before they are back: a new ledger would pay for every job again.
    std::optional<std::pair<std::string, std::string>> ledger_rescued;
};

// `command_line` is argv as typed (argv[0] first, then `run`, flags and the manifest);
// `manifest` and `ledger_flag` (empty: the manifest's own ledger) name the batch for
// `status` and `report`.
std::vector<std::string> next_steps(RunEnd const& end, std::vector<std::string> const& command_line,
                                    std::string const& manifest, std::string const& ledger_flag);

// How `evobatch probe` ended, as far as what to do next depends on it.
struct ProbeEnd {
    std::size_t rejected = 0; // jobs the API would refuse
    std::size_t unprobed = 0; // jobs whose hosts failed for now
};

// The `Next:` lines of `evobatch probe`: with jobs rejected, fix their sources and probe again
// (`command_line` as typed); with some unprobed, probe again later or run (they are sent at the
// most a task costs); with every job usable, `run` on the same manifest.
std::vector<std::string> probe_next_steps(ProbeEnd const& end, std::vector<std::string> const& command_line,
                                          std::string const& manifest);

// What follows that command: which TASK to put there, and what a wrong one gets.
inline constexpr std::string_view k_adopt_task_hint =
    "TASK: the candidate its create made; one of another model, clip length or time is refused";

// `<program> run <manifest> [--ledger L] --adopt JOB=TASK`, quoted for a POSIX shell: how
// `status` says to settle an uncertain job whose create the task list could not decide (issue
// 18). TASK stays a word for the person to replace with one of the candidates.
std::string adopt_command(std::string const& program, std::string const& manifest, std::string const& ledger_flag,
                          std::string_view job);

// `arg` as a POSIX shell reads it back: bare when it holds only safe characters, else in single quotes.
std::string shell_quote(std::string_view arg);

// `args` with every occurrence of `flag` (as `--flag value` or `--flag=value`) removed; `takes_value`
// says whether the flag's value is a separate argument.
std::vector<std::string> without_flag(std::vector<std::string> args, std::string_view flag, bool takes_value);

} // namespace evobatch::cli
