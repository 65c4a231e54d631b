#include "next_steps.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::cli {

namespace {

std::string joined(std::vector<std::string> const& args) {
    std::string out;
    for (std::string const& a : args) {
        out += (out.empty() ? "" : " ") + shell_quote(a);
    }
    return out;
}

// The same run, with `extra` added (and every earlier `flag` removed first).
std::string run_with(std::vector<std::string> const& command_line, std::string_view flag, bool takes_value,
                     std::vector<std::string> const& extra) {
    std::vector<std::string> args = without_flag(command_line, flag, takes_value);
    args.insert(args.end(), extra.begin(), extra.end());
    return joined(args);
}

// `evobatch <command> <manifest> [--ledger L] <extra...>`, with the program as typed.
std::string batch_command(std::vector<std::string> const& command_line, std::string_view command,
                          std::string const& manifest, std::string const& ledger_flag,
                          std::vector<std::string> const& extra = {}) {
    std::vector<std::string> args{command_line.empty() ? std::string("evobatch") : command_line.front(),
                                  std::string(command), manifest};
    if (!ledger_flag.empty()) {
        args.insert(args.end(), {"--ledger", ledger_flag});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    return joined(args);
}

std::string plural(std::size_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

} // namespace

std::string adopt_command(std::string const& program, std::string const& manifest, std::string const& ledger_flag,
                          std::string_view job) {
    return batch_command({program}, "run", manifest, ledger_flag, {"--adopt", fmt::format("{}=TASK", job)});
}

std::string shell_quote(std::string_view arg) {
    bool const safe = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("@%_+=:,./-").find(c) != std::string_view::npos;
    });
    if (safe) {
        return std::string(arg);
    }
    std::string out = "'";
    for (char const c : arg) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

std::vector<std::string> without_flag(std::vector<std::string> args, std::string_view flag, bool takes_value) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == flag) {
            i += takes_value ? 1 : 0; // and its value
            continue;
        }
        if (args[i].size() > flag.size() && args[i].starts_with(flag) && args[i][flag.size()] == '=') {
            continue;
        }
        out.push_back(std::move(args[i]));
    }
    return out;
}

std::vector<std::string> next_steps(RunEnd const& e, std::vector<std::string> const& cl, std::string const& manifest,
                                    std::string const& ledger_flag) {
    std::vector<std::string> next;
    // Running again never repeats a forced resend: a job whose answer was lost again would be sent
    // once more under a key the server may have forgotten.
    std::vector<std::string> const resume = without_flag(cl, "--resubmit-uncertain", false);
    std::string const again = joined(resume);
    if (e.ledger_rescued) {
        // Only this: any other step would start from a ledger that lacks this run's events.
        next.push_back(fmt::format("`mv {} {}` puts this run's events back where the manifest's ledger belongs "
                                   "(check first what is at that path now); then `{}` resumes without paying twice",
                                   shell_quote(e.ledger_rescued->first), shell_quote(e.ledger_rescued->second),
                                   again));
        return next;
    }
    if (e.api_stopped) {
        next.push_back(fmt::format("fix what the API refused (credits, the key or its limits), then `{}` resumes "
                                   "where this run stopped",
                                   again));
    } else if (e.ceiling_reached) {
        next.push_back(fmt::format(
            "`{}` lets the rest go (or set limits.max_credits: {} in {}); running the same command again would "
            "stop at the same ceiling",
            run_with(resume, "--max-credits", true, {"--max-credits", std::to_string(e.ceiling_to_cover)}),
            e.ceiling_to_cover, manifest));
    } else if (e.interrupted || e.unfinished > 0) {
        next.push_back(fmt::format("`{}` resumes: the ledger records every task already paid for, so none is "
                                   "submitted twice",
                                   again));
    }
    if (e.failed > 0) {
        std::string line = fmt::format("`{}` lists the failed jobs and their errors",
                                       batch_command(cl, "status", manifest, ledger_flag, {"--state", "failed"}));
        if (e.failed_fixable > 0) {
            line += fmt::format("; `{}` gives the {} a new attempt can fix another (=ID,... names jobs whatever "
                                "their error)",
                                run_with(resume, "--retry-failed", false, {"--retry-failed"}),
                                plural(e.failed_fixable, "job"));
        }
        next.push_back(std::move(line));
    }
    if (e.uncertain > 0) {
        next.push_back(fmt::format(
            "`{}` lists the uncertain jobs (a create that may have made a task nobody can name), why, and the "
            "tasks each may have made; a later run first looks them up in the account's task list (adopts a "
            "job's task, or sends a new attempt when it made none); one it cannot settle takes --adopt "
            "JOB=TASK, or --resubmit-uncertain (a server that forgot the key then makes a second, paid task)",
            batch_command(cl, "status", manifest, ledger_flag, {"--state", "uncertain"})));
    }
    if (e.rejected > 0) {
        next.push_back(fmt::format("`{}` lists the {} rejected before paying and why (a source that cannot be "
                                   "fetched, is not an MP4/MOV video, is over 100 MB, ...); fix their sources and "
                                   "run again: it probes them again and sends the usable ones",
                                   batch_command(cl, "status", manifest, ledger_flag, {"--state", "rejected"}),
                                   plural(e.rejected, "job")));
    }
    if (e.held > 0) {
        // Paying for them again must fit under the ceiling too, or the command would stop there.
        std::vector<std::string> args = without_flag(resume, "--rerun-changed", false);
        args.emplace_back("--rerun-changed");
        std::int64_t const needed = e.against_ceiling + e.pending_cost + e.held_cost;
        if (needed > e.ceiling) {
            args = without_flag(std::move(args), "--max-credits", true);
            args.insert(args.end(), {"--max-credits", std::to_string(needed)});
        }
        next.push_back(fmt::format("{} changed after an earlier request was paid for; `{}` pays up to {} credits "
                                   "for them again (both results kept; `{}` lists them)",
                                   plural(e.held, "job"), joined(args), e.held_cost,
                                   batch_command(cl, "plan", manifest, ledger_flag)));
    }
    if (next.empty() || e.exit_code == 0 || e.exit_code == 1) {
        next.push_back(fmt::format("`{}` writes a report: a row per job, totals, a timeline",
                                   batch_command(cl, "report", manifest, ledger_flag, {"-o", "report.html"})));
    }
    return next;
}

std::vector<std::string> probe_next_steps(ProbeEnd const& e, std::vector<std::string> const& cl,
                                          std::string const& manifest) {
    std::string const again = joined(cl);
    std::string const run = batch_command(cl, "run", manifest, "");
    if (e.rejected > 0) {
        return {fmt::format("the API would refuse the {} listed as rejected: fix their URLs or files (the WHY "
                            "column says what is wrong), then `{}` probes again",
                            plural(e.rejected, "job"), again)};
    }
    if (e.unprobed > 0) {
        return {fmt::format("`{}` tries the {} whose hosts failed for now again; `{}` sends them anyway, each "
                            "reserved at the most a task costs",
                            again, plural(e.unprobed, "job"), run)};
    }
    return {fmt::format("`{}` sends the batch", run)};
}

} // namespace evobatch::cli
