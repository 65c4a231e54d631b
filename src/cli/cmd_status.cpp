// `evobatch status`: where a batch stands, from its ledger alone (no network): counts per
// state and one row per job.

#include "commands.hpp"
#include "evobatch/cli/exit_code.hpp"
#include "ledger_state.hpp"
#include "next_steps.hpp"
#include "report_diagnostics.hpp"
#include "settle.hpp"

#include "evobatch/manifest/loader.hpp"
#include "evobatch/report/report_model.hpp"
#include "evobatch/jobs/credits.hpp"
#include "evobatch/util/duration.hpp"
#include "evobatch/util/suggest.hpp"
#include "evobatch/util/terminal_text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <map>
#include <unordered_set>

namespace evobatch::cli {

namespace {

constexpr char const* k_status_footer = R"(
Reads only the ledger: no key, no network, safe while a run is going on; except with
--reconcile, which first settles the uncertain jobs from the account's task list as `run`
does before it sends anything (the key, a few GET /v1/tasks pages, decisions written to the
ledger; refused while a run holds the ledger). States: new (not
submitted yet), submitting (create sent, answer not recorded), running (stale: running
past 3x its estimate), completed, failed, uncertain (the create may have made a task the
ledger cannot name; `run` sends it again under its key inside api.idempotency_window; after
that it looks the task up in the account's task list: adopts it, or sends a new attempt when
there is none; where another client's tasks leave it ambiguous, the candidate tasks are listed,
with their times and clip lengths, and the `run --adopt JOB=TASK` that settles it), unsent (its create made no task: sent again
under its key while the server keeps it, else as a new attempt under a new key), rejected (its
probe found a source unusable: never sent, costs nothing; the next run that probes judges
it again), changed (the
manifest entry changed since: the note says whether the next run sends it, or holds it
until --rerun-changed because an earlier request of it was paid for), removed (in the
ledger, no longer in the manifest: listed after the manifest's jobs, as its tasks were paid
for; the next run still polls a running one and downloads its results).
Credits are the ledger's, earlier requests of changed jobs included: charged (completed
tasks), reserved now (tasks running), refunded (failed tasks), and creates that may have
made a task at the most a task costs; `run`, `plan` and `report` count them the same way.

Examples:
  evobatch status jobs/demo.yaml
  evobatch status jobs/demo.yaml --state failed,uncertain
  evobatch status jobs/demo.yaml --json | jq '.counts'
  evobatch status jobs/demo.yaml --reconcile)";

// A task running this many times its estimate is flagged stale (as the run's progress does).
// Seconds since the job's last ledger event.
std::int64_t age_s(report::Row const& r, std::int64_t now_ms) {
    return std::max<std::int64_t>(0, (now_ms - r.last_t_ms) / 1000);
}

using report::k_state_names;

boost::json::object row_to_json(report::Row const& r, std::int64_t now_ms) {
    boost::json::object o;
    o["id"] = r.id;
    o["state"] = r.state;
    o["stale"] = r.stale;
    if (r.state != "new") {
        o["task"] = r.task.empty() ? boost::json::value(nullptr) : boost::json::value(r.task);
        o["progress"] = r.progress;
        o["credits"] = r.credits;
        o["credits_refunded"] = r.refunded;
        o["attempt"] = r.attempts;
        o["age_s"] = age_s(r, now_ms);
        if (r.error) {
            o["error"] = {{"code", r.error->code}, {"message", r.error->message}};
        }
        if (!r.result_urls.empty()) {
            o["results"] = boost::json::value_from(r.result_urls);
        }
        if (!r.files_note.empty()) {
            o["files"] = r.files_note;
        }
        if (r.state == "changed") {
            o["next_run"] = r.next_run;
            o["why"] = r.why;
        }
        if (r.state == "removed") {
            o["why"] = r.note;
        }
        if (!r.candidates.empty()) {
            boost::json::array candidates;
            for (ledger::ListedCandidate const& c : r.candidates) {
                candidates.push_back({{"id", c.id},
                                      {"created_at", report::iso8601_utc_s(c.created_at)},
                                      {"duration_s", c.duration ? boost::json::value(*c.duration) : nullptr},
                                      {"fits_length", c.fits_length}});
            }
            o["candidates"] = std::move(candidates);
        }
    }
    return o;
}

// An uncertain job's listed candidates (issue 18) and how to settle it, under its row:
// "candidates: T1 (created ..., 8 s), T2 (...); settle with: evobatch run M --adopt JOB=TASK ...".
std::string candidates_line(report::Row const& r, StatusOptions const& options) {
    std::string line = "candidates: ";
    for (std::size_t i = 0; i < r.candidates.size(); ++i) {
        line += fmt::format("{}{} ({})", i == 0 ? "" : ", ", r.candidates[i].id,
                            report::candidate_detail(r.candidates[i]));
    }
    line += fmt::format("; settle with: {} ({})", adopt_command(options.program, options.manifest, options.ledger, r.id),
                        k_adopt_task_hint);
    return util::clean_text(line);
}

// Task ids and error texts come from the server, and ids from a manifest someone else may have
// written: each cell is cleaned (util/terminal_text.hpp), as `run` shows them. JSON escapes.
void print_table(std::vector<report::Row const*> const& rows, std::int64_t now_ms, StatusOptions const& options) {
    std::size_t id_width = 2;
    for (report::Row const* r : rows) {
        id_width = std::max(id_width, util::clean_text(r->id).size());
    }
    fmt::print("{:<{}}  {:<10}  {:<34}  {:>4}  {:>7}  {:>7}  {:>6}  {}\n", "id", id_width, "state", "task", "done",
               "credits", "attempt", "age", "note");
    for (report::Row const* r : rows) {
        bool const known = r->state != "new";
        std::string note = r->stale ? "stale: running past 3x its estimate" : r->files_note;
        if (r->error && r->state != "completed" && r->state != "changed" && r->state != "removed") {
            note = r->error->code + ": " + r->error->message;
        }
        if (r->state == "changed" || r->state == "removed") {
            note = r->note;
        }
        fmt::print("{:<{}}  {:<10}  {:<34}  {:>3}%  {:>7}  {:>7}  {:>6}  {}\n", util::clean_text(r->id), id_width,
                   r->state, !r->task.empty() ? util::clean_text(r->task) : "-", r->progress, r->credits,
                   r->attempts, known ? util::format_duration(std::chrono::seconds(age_s(*r, now_ms))) : "-",
                   util::clean_text(note));
        if (!r->candidates.empty()) {
            fmt::print("{:<{}}  {}\n", "", id_width, candidates_line(*r, options));
        }
    }
}

} // namespace

// Nothing, after printing what the user may have meant, when a --state is no state.
bool states_known(std::vector<std::string> const& states) {
    for (std::string const& s : states) {
        if (std::find(k_state_names.begin(), k_state_names.end(), s) != k_state_names.end()) {
            continue;
        }
        auto const near = util::closest_match(s, k_state_names);
        fmt::print(stderr, "evobatch: error: --state '{}' is no state{}; the states are {}\n", s,
                   near ? fmt::format(" (did you mean '{}'?)", *near) : std::string(), fmt::join(k_state_names, ", "));
        return false;
    }
    return true;
}

CLI::App* add_status_command(CLI::App& app, StatusOptions& o) {
    auto* cmd = app.add_subcommand("status", "Show where a batch stands, from its ledger only (no network unless --reconcile)");
    cmd->add_option("manifest", o.manifest, "Manifest file (YAML)")->required();
    cmd->add_option("--ledger", o.ledger, "Ledger file (overrides output.ledger); it must exist");
    cmd->add_option("--state", o.states, "Show only jobs in these states (comma-separated): new, submitting, "
                                          "running, completed, failed, uncertain, unsent, rejected, changed, removed")
        ->delimiter(',');
    cmd->add_flag("--json", o.json, "Print counts and rows as JSON on stdout");
    cmd->add_flag("--reconcile", o.reconcile,
                  "First settle the uncertain jobs from the account's task list (needs the key; writes the "
                  "decisions to the ledger)");
    cmd->add_option("--max-list-pages", o.max_list_pages,
                    "With --reconcile: pages of the task list read at most (100 tasks a page)")
        ->capture_default_str()
        ->check(CLI::Range(1, 10'000));
    cmd->add_option("--base-url", o.base_url, "With --reconcile: API base URL (overrides api.base_url, as run's)");
    cmd->add_option("--ca-file", o.ca_file, "With --reconcile: extra trusted CA file, PEM (overrides api.ca_file)");
    cmd->footer(k_status_footer);
    return cmd;
}

int run_status(StatusOptions const& options) {
    if (!states_known(options.states)) {
        return exit_bad_input;
    }
    auto batch = load_batch(options.manifest, options.ledger, options.program);
    if (!batch) {
        return exit_bad_input;
    }
    if (options.reconcile) {
        SettleOptions settle;
        settle.max_list_pages = options.max_list_pages;
        manifest::Manifest against = batch->manifest; // the server the runs used
        if (!options.base_url.empty()) {
            against.api.base_url = options.base_url;
        }
        if (!options.ca_file.empty()) {
            against.api.ca_file = options.ca_file;
        }
        if (int const code = settle_standalone(against, batch->ledger, settle); code != exit_ok) {
            return code;
        }
        auto settled = read_ledger(batch->ledger); // with the decisions just written
        if (!settled) {
            return exit_bad_input;
        }
        batch->replay = std::move(*settled);
    }
    manifest::Manifest const& m = batch->manifest;
    std::filesystem::path const& path = batch->ledger;
    ledger::Replay const* replay = &batch->replay;
    std::int64_t const now = ledger::now_ms();
    report::Report const report = report::build_report(m, *replay, path, now);
    std::map<std::string, std::size_t> counts;
    std::size_t stale = 0;
    std::vector<report::Row const*> shown;
    std::size_t to_download = 0;
    std::size_t expiring = 0;
    std::size_t expired = 0;
    for (report::Row const& r : report.rows) {
        ++counts[r.state];
        to_download += r.to_download ? 1 : 0;
        expiring += r.expiring_soon ? 1 : 0;
        expired += r.expired ? 1 : 0;
        stale += r.stale ? 1 : 0;
        if (options.states.empty() ||
            std::find(options.states.begin(), options.states.end(), r.state) != options.states.end()) {
            shown.push_back(&r);
        }
    }
    jobs::CreditTotals const& credits = report.totals.credits;
    if (options.json) {
        boost::json::object out;
        out["manifest"] = m.path.string();
        out["ledger"] = path.string();
        out["events"] = replay->events;
        out["torn_tail_bytes"] = replay->torn_tail_bytes;
        boost::json::object c;
        for (auto const& [state, n] : counts) {
            c[state] = n;
        }
        c["stale"] = stale;
        c["to_download"] = to_download;
        c["expiring_within_2h"] = expiring;
        c["expired"] = expired;
        out["counts"] = std::move(c);
        out["credits"] = {{"charged", credits.charged},
                          {"reserved_now", credits.reserved},
                          {"refunded", credits.refunded},
                          {"at_risk", credits.at_risk},
                          {"at_risk_count", credits.at_risk_count},
                          {"credits_per_usd", m.api.credits_per_usd}};
        boost::json::array jobs;
        for (report::Row const* r : shown) {
            jobs.push_back(row_to_json(*r, now));
        }
        out["jobs"] = std::move(jobs);
        fmt::print("{}\n", boost::json::serialize(out));
        return exit_ok;
    }
    std::string summary;
    for (auto const& [state, n] : counts) {
        summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, state);
    }
    fmt::print("{}: {} jobs: {}{}\n", path.string(), report.rows.size(), summary,
               stale > 0 ? fmt::format(" ({} stale)", stale) : std::string());
    fmt::print("credits: {} ({} charged)\n", jobs::credits_text(credits),
               jobs::usd_text(credits.charged, m.api.credits_per_usd));
    if (to_download + expired > 0) {
        fmt::print("results: {} completed job{} to download{}{}\n", to_download, to_download == 1 ? "" : "s",
                   expiring > 0 ? fmt::format(" ({} with links expiring within 2 h: run soon)", expiring) : std::string(),
                   expired > 0 ? fmt::format("; {} expired", expired) : std::string());
    }
    if (replay->torn_tail_bytes > 0) {
        fmt::print("notice: the last line is incomplete ({} bytes): a run is writing it, or one crashed mid-write\n",
                   replay->torn_tail_bytes);
    }
    print_table(shown, now, options);
    return exit_ok;
}

} // namespace evobatch::cli
