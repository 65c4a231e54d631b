// `evobatch report`: a batch's results from its manifest and ledger (no network), as CSV, JSON
// or one self-contained HTML page.

#include "commands.hpp"
#include "evobatch/cli/exit_code.hpp"
#include "ledger_state.hpp"
#include "report_diagnostics.hpp"

#include "evobatch/manifest/loader.hpp"
#include "evobatch/report/render.hpp"
#include "evobatch/report/report_model.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace evobatch::cli {

namespace {

namespace fs = std::filesystem;

constexpr char const* k_report_footer = R"(
One row per job of the manifest, in its order (id, state, task id, attempts, credits,
submitted and finished times in UTC, actual and estimated duration, result files, their
sha256, error; then prompt, source video, note, refunded credits, every task id and each
file's request version), from the ledger alone: no key, no network, safe while a run goes on.
JSON also lists each job's attempts (every task, earlier requests' included) and adds the
totals: credits, wall time (first to last ledger event), jobs per state and per failure
reason, with their ids. The HTML page is one file with no script and nothing fetched: the
totals, failure reasons linking to their jobs' rows, a timeline with one bar per task (hover
for its times, click for its job; above 300 tasks, charts of jobs, durations against their
estimates and credits over time instead), and the job table with prompts, source videos and
result files linked relative to the page's folder; each row's details list every attempt
and file.
CSV follows RFC 4180; text a spreadsheet would run as a formula gets a leading '.
Without --format, the -o file's extension (.csv, .json, .html) chooses. With -o the file
is replaced whole (written aside, then renamed), never left half written.

Exit codes: 0 written, 2 bad manifest, ledger, flags or output file.

Examples:
  evobatch report jobs/demo.yaml --format html -o report.html
  evobatch report jobs/demo.yaml --format csv > results.csv
  evobatch report jobs/demo.yaml -o results.json --ledger build/demo.ledger.jsonl
  evobatch report jobs/demo.yaml --format json | jq '.totals.failure_reasons')";

std::string format_from_extension(fs::path const& file) {
    std::string const ext = file.extension().string();
    if (ext == ".csv" || ext == ".json" || ext == ".html") {
        return ext.substr(1);
    }
    if (ext == ".htm") {
        return "html";
    }
    return {};
}

// Writes `text` to `path` atomically: a temporary file beside it, fsync, rename, fsync of the
// folder. On failure nothing of ours is left behind and the old file (if any) is untouched.
bool write_atomically(fs::path const& path, std::string const& text) {
    fs::path const dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
    fs::path const temp = dir / fmt::format(".{}.tmp-{}", path.filename().string(), ::getpid());
    auto fail = [&](char const* what, int error) {
        fmt::print(stderr, "{}: error: cannot {}: {}\n", path.string(), what, std::strerror(error));
        ::unlink(temp.c_str());
        return false;
    };
    int const fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        fmt::print(stderr, "{}: error: cannot create it: {}\n", path.string(), std::strerror(errno));
        return false;
    }
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t const n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int const error = n < 0 ? errno : EIO;
            ::close(fd);
            return fail("write", error);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        int const error = errno;
        ::close(fd);
        return fail("write", error);
    }
    if (::close(fd) != 0) {
        return fail("write", errno);
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        return fail("replace the file", errno);
    }
    // So that the new name survives a crash too (fsync(2)); the report is complete either way.
    int const dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
    return true;
}

} // namespace

CLI::App* add_report_command(CLI::App& app, ReportOptions& o) {
    auto* cmd =
        app.add_subcommand("report", "Export a batch's results (CSV, JSON or an HTML page) from its ledger");
    cmd->add_option("manifest", o.manifest, "Manifest file (YAML)")->required();
    cmd->add_option("--format", o.format, "csv, json or html (default: from the -o file's extension)")
        ->check(CLI::IsMember({"csv", "json", "html"}));
    cmd->add_option("-o,--output", o.output, "Write to FILE, replaced whole (default: stdout)");
    cmd->add_option("--ledger", o.ledger, "Ledger file (overrides output.ledger)");
    cmd->footer(k_report_footer);
    return cmd;
}

int run_report(ReportOptions const& options) {
    std::string format = options.format;
    if (format.empty()) {
        format = format_from_extension(options.output);
        if (format.empty()) {
            fmt::print(stderr, "evobatch: error: report needs --format csv, json or html{}\n",
                       options.output.empty() ? "" : " (the -o file's extension does not say which)");
            return exit_bad_input;
        }
    }
    auto const batch = load_batch(options.manifest, options.ledger, options.program);
    if (!batch) {
        return exit_bad_input;
    }
    report::Report const r = report::build_report(batch->manifest, batch->replay, batch->ledger, ledger::now_ms());
    // The page links result files relative to its own folder (stdout: the current one).
    fs::path const links_from = fs::path(options.output).parent_path();
    std::string const text = format == "csv"    ? report::render_csv(r)
                             : format == "json" ? report::render_json(r)
                                                : report::render_html(r, links_from);
    if (options.output.empty()) {
        if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
            fmt::print(stderr, "evobatch: error: cannot write the report to stdout: {}\n",
                       std::strerror(errno));
            return exit_bad_input;
        }
        return exit_ok;
    }
    if (!write_atomically(options.output, text)) {
        return exit_bad_input;
    }
    fmt::print(stderr, "{}: {} report of {} jobs ({} tasks; credits: {}){}\n", options.output, format,
               r.totals.jobs, r.totals.tasks, jobs::credits_text(r.totals.credits),
               format == "html" ? fmt::format("; result files linked from {}/",
                                              links_from.empty() ? "." : links_from.string())
                                : "");
    return exit_ok;
}

} // namespace evobatch::cli
