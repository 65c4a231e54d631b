// `evobatch status`: where a batch stands, from its ledger alone (no network): counts per
// state and one row per job.

#include "commands.hpp"
#include "evobatch/cli/exit_code.hpp"
#include "ledger_state.hpp"
#include "report_diagnostics.hpp"

#include "evobatch/manifest/loader.hpp"
#include "evobatch/sched/request_of.hpp"
#include "evobatch/sched/credits.hpp"
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
Reads only the ledger: no key, no network, safe while a run is going on. States: new (not
submitted yet), submitting (create sent, answer not recorded), running (stale: running
past 3x its estimate), completed, failed, uncertain (the create may have made a task the
ledger cannot name; `run` sends it again under its key inside api.idempotency_window, after
that only with --resubmit-uncertain), unsent (its create made no task), changed (the
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
  evobatch status jobs/demo.yaml --json | jq '.counts')";

// A task running this many times its estimate is flagged stale (as the run's progress does).
constexpr double k_stale_factor = 3.0;

constexpr std::array<std::string_view, 9> k_states = {"new",       "submitting", "running", "completed",
                                                      "failed",    "uncertain",  "unsent",  "changed",
                                                      "removed"};

struct Row {
    std::string id;
    std::string state;
    ledger::JobHistory const* history = nullptr;
    sched::ResumeDecision const* decision = nullptr;
    sched::CreditTotals credits; // of all its attempts
    bool stale = false;
    std::int64_t age_s = 0;
    std::string results; // for completed jobs: downloaded, to download, expiring, expired
};

std::string results_text(sched::ResumeDecision const& d, manifest::Manifest const& m) {
    if (!m.output.download) {
        return "not downloaded (output.download: false)";
    }
    if (d.expired) {
        return "expired: links older than 24 h";
    }
    if (d.expiring_soon) {
        return "to download: links expire within 2 h";
    }
    return d.download ? "to download" : "downloaded";
}

std::vector<Row> rows_of(manifest::Manifest const& m, ledger::Replay const& replay,
                         sched::ResumePlan const& resume, std::int64_t now_ms) {
    std::vector<Row> rows;
    rows.reserve(m.jobs.size());
    for (std::size_t i = 0; i < m.jobs.size(); ++i) {
        manifest::Job const& job = m.jobs[i];
        sched::ResumeDecision const& d = resume.starts[i].decision;
        ledger::JobHistory const* h = replay.find(job.id);
        Row row{job.id, std::string(sched::state_name(h, d)), h, &d, {}, false, 0, {}};
        if (d.action == sched::ResumeAction::done) {
            row.results = results_text(d, m);
        }
        if (h != nullptr) {
            row.credits = sched::credits_of(*h);
            row.age_s = std::max<std::int64_t>(0, (now_ms - h->last_t_ms) / 1000);
            if (h->phase == ledger::JobPhase::running && h->eta_s && *h->eta_s > 0) {
                row.stale = static_cast<double>(now_ms - h->submitted_t_ms) > k_stale_factor * *h->eta_s * 1000.0;
            }
        }
        rows.push_back(std::move(row));
    }
    // Then the ledger's jobs the manifest no longer has: paid for all the same.
    std::unordered_set<std::string_view> in_manifest;
    for (manifest::Job const& job : m.jobs) {
        in_manifest.insert(job.id);
    }
    for (ledger::JobHistory const& h : replay.jobs) {
        if (in_manifest.count(h.job) > 0) {
            continue;
        }
        auto const owed = std::find_if(resume.removed.begin(), resume.removed.end(),
                                       [&](sched::JobStart const& s) { return s.history == &h; });
        Row row{h.job, "removed", &h, nullptr, sched::credits_of(h), false,
                std::max<std::int64_t>(0, (now_ms - h.last_t_ms) / 1000), {}};
        row.results = owed == resume.removed.end() ? "no longer in the manifest; nothing left to do"
                      : owed->decision.action == sched::ResumeAction::poll
                          ? "no longer in the manifest; its task runs: the next run polls it to the end"
                          : "no longer in the manifest; the next run downloads its results";
        rows.push_back(std::move(row));
    }
    return rows;
}

boost::json::object row_to_json(Row const& r) {
    boost::json::object o;
    o["id"] = r.id;
    o["state"] = r.state;
    o["stale"] = r.stale;
    if (r.history != nullptr) {
        ledger::JobHistory const& h = *r.history;
        o["task"] = h.task.empty() ? boost::json::value(nullptr) : boost::json::value(h.task);
        o["progress"] = h.progress;
        o["credits"] = r.credits.charged + r.credits.reserved;
        o["credits_refunded"] = r.credits.refunded;
        o["attempt"] = h.attempt;
        o["age_s"] = r.age_s;
        if (h.error) {
            o["error"] = {{"code", h.error->code}, {"message", h.error->message}};
        }
        if (!h.results.empty()) {
            o["results"] = boost::json::value_from(h.results);
        }
        if (!r.results.empty()) {
            o["files"] = r.results;
        }
        if (r.state == "changed") {
            o["next_run"] = sched::to_string(r.decision->action);
            o["why"] = r.decision->why;
        }
        if (r.state == "removed") {
            o["why"] = r.results;
        }
    }
    return o;
}

// Task ids and error texts come from the server, and ids from a manifest someone else may have
// written: each cell is cleaned (util/terminal_text.hpp), as `run` shows them. JSON escapes.
void print_table(std::vector<Row const*> const& rows) {
    std::size_t id_width = 2;
    for (Row const* r : rows) {
        id_width = std::max(id_width, util::clean_text(r->id).size());
    }
    fmt::print("{:<{}}  {:<10}  {:<34}  {:>4}  {:>7}  {:>7}  {:>6}  {}\n", "id", id_width, "state", "task", "done",
               "credits", "attempt", "age", "note");
    for (Row const* r : rows) {
        ledger::JobHistory const* h = r->history;
        std::string note = r->stale ? "stale: running past 3x its estimate" : r->results;
        if (h != nullptr && h->error && r->state != "completed" && r->state != "changed" && r->state != "removed") {
            note = h->error->code + ": " + h->error->message;
        }
        if (r->state == "changed") {
            note = r->decision->action == sched::ResumeAction::hold ? "held: " + r->decision->why
                   : r->decision->action == sched::ResumeAction::poll
                       ? "its earlier request's task is polled to the end first"
                       : "the next run sends the new request";
        }
        fmt::print("{:<{}}  {:<10}  {:<34}  {:>3}%  {:>7}  {:>7}  {:>6}  {}\n", util::clean_text(r->id), id_width,
                   r->state, h != nullptr && !h->task.empty() ? util::clean_text(h->task) : "-",
                   h != nullptr ? h->progress : 0, r->credits.charged + r->credits.reserved,
                   h != nullptr ? h->attempt : 0,
                   h != nullptr ? util::format_duration(std::chrono::seconds(r->age_s)) : "-", util::clean_text(note));
    }
}

} // namespace

// Nothing, after printing what the user may have meant, when a --state is no state.
bool states_known(std::vector<std::string> const& states) {
    for (std::string const& s : states) {
        if (std::find(k_states.begin(), k_states.end(), s) != k_states.end()) {
            continue;
        }
        auto const near = util::closest_match(s, k_states);
        fmt::print(stderr, "evobatch: error: --state '{}' is no state{}; the states are {}\n", s,
                   near ? fmt::format(" (did you mean '{}'?)", *near) : std::string(), fmt::join(k_states, ", "));
        return false;
    }
    return true;
}

CLI::App* add_status_command(CLI::App& app, StatusOptions& o) {
    auto* cmd = app.add_subcommand("status", "Show where a batch stands, from its ledger only (no network)");
    cmd->add_option("manifest", o.manifest, "Manifest file (YAML)")->required();
    cmd->add_option("--ledger", o.ledger, "Ledger file (overrides output.ledger); it must exist");
    cmd->add_option("--state", o.states, "Show only jobs in these states (comma-separated): new, submitting, "
                                          "running, completed, failed, uncertain, unsent, changed, removed")
        ->delimiter(',');
    cmd->add_flag("--json", o.json, "Print counts and rows as JSON on stdout");
    cmd->footer(k_status_footer);
    return cmd;
}

int run_status(StatusOptions const& options) {
    if (!states_known(options.states)) {
        return exit_bad_input;
    }
    auto const batch = load_batch(options.manifest, options.ledger);
    if (!batch) {
        return exit_bad_input;
    }
    manifest::Manifest const& m = batch->manifest;
    std::filesystem::path const& path = batch->ledger;
    ledger::Replay const* replay = &batch->replay;
    std::int64_t const now = ledger::now_ms();
    sched::ResumePlan const resume = sched::plan_resume(m.jobs, *replay, resume_options(m));
    std::vector<Row> const rows = rows_of(m, *replay, resume, now);
    std::map<std::string, std::size_t> counts;
    std::size_t stale = 0;
    std::vector<Row const*> shown;
    std::size_t to_download = 0;
    std::size_t expiring = 0;
    std::size_t expired = 0;
    for (Row const& r : rows) {
        ++counts[r.state];
        to_download += r.results.starts_with("to download") || r.results.ends_with("downloads its results") ? 1 : 0;
        expiring += r.results.find("within 2 h") != std::string::npos ? 1 : 0;
        expired += r.results.starts_with("expired") ? 1 : 0;
        stale += r.stale ? 1 : 0;
        if (options.states.empty() ||
            std::find(options.states.begin(), options.states.end(), r.state) != options.states.end()) {
            shown.push_back(&r);
        }
    }
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
        out["credits"] = {{"charged", resume.credits.charged},
                          {"reserved_now", resume.credits.reserved},
                          {"refunded", resume.credits.refunded},
                          {"at_risk", resume.credits.at_risk},
                          {"at_risk_count", resume.credits.at_risk_count},
                          {"credits_per_usd", m.api.credits_per_usd}};
        boost::json::array jobs;
        for (Row const* r : shown) {
            jobs.push_back(row_to_json(*r));
        }
        out["jobs"] = std::move(jobs);
        fmt::print("{}\n", boost::json::serialize(out));
        return exit_ok;
    }
    std::string summary;
    for (auto const& [state, n] : counts) {
        summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, state);
    }
    fmt::print("{}: {} jobs: {}{}\n", path.string(), rows.size(), summary,
               stale > 0 ? fmt::format(" ({} stale)", stale) : std::string());
    fmt::print("credits: {} ({} charged)\n", sched::credits_text(resume.credits),
               sched::usd_text(resume.credits.charged, m.api.credits_per_usd));
    if (to_download + expired > 0) {
        fmt::print("results: {} completed job{} to download{}{}\n", to_download, to_download == 1 ? "" : "s",
                   expiring > 0 ? fmt::format(" ({} with links expiring within 2 h: run soon)", expiring) : std::string(),
                   expired > 0 ? fmt::format("; {} expired", expired) : std::string());
    }
    if (replay->torn_tail_bytes > 0) {
        fmt::print("notice: the last line is incomplete ({} bytes): a run is writing it, or one crashed mid-write\n",
                   replay->torn_tail_bytes);
    }
    print_table(shown);
    return exit_ok;
}

} // namespace evobatch::cli
