// `evobatch plan`: what `run` would do with the same flags, what it could cost and how long,
// computed from the manifest and the ledger by the code `run` starts from. Sends nothing to
// the API, unless --balance asks for the account's balance; --probe reads the media of the
// jobs to submit from their hosts first and counts each job at its exact cost.

#include "account.hpp"
#include "commands.hpp"
#include "evobatch/cli/exit_code.hpp"
#include "ledger_state.hpp"
#include "plan_probe.hpp"
#include "probe_media.hpp"
#include "report_diagnostics.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/manifest/loader.hpp"
#include "evobatch/plan/batch_plan.hpp"
#include "evobatch/jobs/credits.hpp"
#include "evobatch/jobs/request_of.hpp"
#include "evobatch/util/terminal_text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <system_error>

namespace evobatch::cli {

namespace {

constexpr char const* k_plan_footer = R"(
Shows what `run` with the same flags would do now, given the ledger: jobs to submit (new,
sent again under the same key, new attempts), tasks to poll, jobs to skip, uncertain jobs,
changed jobs held until --rerun-changed, the API requests that takes, the credits it could
still reserve and a time estimate. Credits: what the ledger's tasks were charged, hold now
and had refunded, and what this run may add (each task counted at the most it can cost,
15, within limits.max_credits less every credit the ledger's tasks were charged or hold).
Nothing is sent to the API, unless --balance asks for the account's balance: then one GET /v1/credits,
with the key from api.key_env, says whether `run` would start (it refuses a batch that may
reserve more than the balance, unless --allow-overdraft).

With --probe, the media of every job the run would submit (new jobs and new attempts; jobs
sent again under their same key are not probed) are read first, as `evobatch probe` reads
them (ranges only, limits.max_probes or --max-probes at once, never the API key), even when
the manifest says preflight.probe: false. Each job is then counted at its exact cost (its
video's duration, billed as 6-20 s), a rejected job at 0 (the API would refuse it: never
sent), and a job whose cost could not be learned at 15; a table lists every job's seconds,
billed seconds and credits, and the ceiling admits the jobs in manifest order at their own
cost until the first that does not fit.

Exit codes: 0 planned, 1 --probe found jobs the API would refuse (rejected), 2 bad input
(manifest, ledger, flags, no key for --balance), 3 the balance could not be read, 4 the API
refused the key (3 and 4 before 1).

Examples:
  evobatch plan jobs/demo.yaml
  evobatch plan jobs/demo.yaml --jobs            # every job's request as it will be sent
  evobatch plan jobs/demo.yaml --max-credits 2000 --rerun-changed --json
  evobatch plan jobs/demo.yaml --probe           # exact credits per job, from its video
  EVOLINK_API_KEY=... evobatch plan jobs/night.yaml --balance)";

std::string human_duration(std::chrono::seconds s) {
    auto const total = s.count();
    if (total < 120) {
        return fmt::format("{} s", total);
    }
    if (total < 2 * 3600) {
        return fmt::format("{} min", (total + 59) / 60);
    }
    return fmt::format("{} h {:02} min", total / 3600, (total % 3600 + 59) / 60);
}

std::string plural(std::size_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// The ids of the jobs whose decision `pick` chooses, the first `limit` of them, then how many more.
template <class Pick>
std::string ids_where(manifest::Manifest const& m, jobs::ResumePlan const& r, Pick pick, std::size_t limit = 10) {
    std::string out;
    std::size_t shown = 0;
    std::size_t total = 0;
    for (std::size_t i = 0; i < m.jobs.size(); ++i) {
        if (!pick(r.starts[i].decision)) {
            continue;
        }
        if (shown < limit) {
            out += (shown++ == 0 ? "" : ", ") + m.jobs[i].id;
        }
        ++total;
    }
    if (total > shown) {
        out += fmt::format(" and {} more", total - shown);
    }
    return out;
}

std::string ids_with(manifest::Manifest const& m, jobs::ResumePlan const& r, jobs::ResumeAction action,
                     std::size_t limit = 10) {
    return ids_where(m, r, [action](jobs::ResumeDecision const& d) { return d.action == action; }, limit);
}

// The credits a job's decision may add: a create at the most a task costs, else nothing.
std::int64_t worst_case_of(jobs::ResumeAction action) {
    return sends(action) ? api::k_max_credits_per_task : 0;
}

boost::json::object credits_to_json(jobs::CreditTotals const& t) {
    return {{"charged", t.charged},
            {"reserved_now", t.reserved},
            {"refunded", t.refunded},
            {"at_risk", t.at_risk},
            {"at_risk_count", t.at_risk_count},
            {"against_ceiling", t.against_ceiling()}};
}

boost::json::object plan_to_json(manifest::Manifest const& m, plan::BatchPlan const& p, jobs::ResumePlan const& r,
                                 bool ledger_exists) {
    boost::json::object o;
    o["manifest"] = m.path.string();
    o["ledger"] = m.output.ledger.string();
    o["ledger_exists"] = ledger_exists;
    o["output_dir"] = m.output.dir.string();
    o["jobs"] = p.jobs;
    auto const& l = p.ledger;
    o["actions"] = {{"submit", p.to_submit - l.resend - l.retry},
                    {"resend", l.resend},
                    {"retry", l.retry},
                    {"poll", p.to_poll},
                    {"download", l.download},
                    {"download_expiring_within_2h", l.expiring_soon},
                    {"expired", l.expired},
                    {"skip", l.done + l.failed},
                    {"skip_completed", l.done},
                    {"skip_failed", l.failed},
                    {"uncertain", l.uncertain},
                    {"changed", l.changed},
                    {"held_changed", l.hold},
                    {"rerun_changed", l.rerun},
                    {"removed_from_manifest", r.not_in_manifest},
                    {"removed_running", r.removed_running},
                    {"removed_to_download", r.removed_to_download}};
    o["requests"] = {{"create", p.create_requests},
                     {"status_reads_batched", p.status_reads_batched},
                     {"status_reads_single", p.status_reads_single}};
    o["credits"] = {{"ledger", credits_to_json(r.credits)},
                    {"carried", p.credits_carried},
                    {"worst_case", p.credits_worst_case},
                    {"ceiling", p.credits_ceiling},
                    {"at_most", p.credits_at_most},
                    {"ceiling_to_cover_all", p.credits_to_cover},
                    {"rerun_changed_at_most",
                     static_cast<std::int64_t>(l.hold) * api::k_max_credits_per_task},
                    {"max_per_task", api::k_max_credits_per_task},
                    {"credits_per_usd", m.api.credits_per_usd},
                    {"probed", p.probed},
                    {"exact", p.credits_exact},
                    {"expected", p.credits_expected},
                    {"jobs_exact", p.jobs_exact},
                    {"jobs_rejected", p.jobs_rejected},
                    {"jobs_unprobed", p.jobs_unprobed},
                    {"jobs_within_ceiling", p.jobs_within_ceiling},
                    {"credits_within_ceiling", p.credits_within_ceiling},
                    // Its name before --probe: the same figure (every job at the most without it).
                    {"jobs_surely_within_ceiling", p.jobs_within_ceiling}};
    o["time"] = {{"submit_s", p.submit_time.count()},
                 {"estimated_s", p.estimated_time.count()},
                 {"assumed_task_s", plan::k_typical_task_time.count()}};
    return o;
}

void print_plan(manifest::Manifest const& m, plan::BatchPlan const& p, jobs::ResumePlan const& r,
                bool ledger_exists) {
    auto const& limits = m.limits;
    double const per_usd = m.api.credits_per_usd;
    fmt::print("plan for {}: {}{}\n", m.path.string(), plural(p.jobs, "job"),
               ledger_exists ? "" : ", no ledger yet (nothing submitted before)");
    auto const& l = p.ledger;
    std::size_t const fresh = p.to_submit - l.resend - l.retry;
    fmt::print("  submit     {}{}{}\n", plural(p.to_submit, "job"),
               l.resend + l.retry == 0
                   ? std::string()
                   : fmt::format(" ({} new, {} sent again under the same key, {} new attempts under a new key)", fresh,
                                 l.resend, l.retry),
               p.jobs_rejected == 0 ? std::string()
                                    : fmt::format("; {} of them rejected by the probe: never sent", p.jobs_rejected));
    if (l.reprobe > 0) {
        fmt::print("  rejected   {} by an earlier probe: probed again first, sent only if usable now: {}\n",
                   plural(l.reprobe, "job"), ids_where(m, r, [](jobs::ResumeDecision const& d) { return d.reprobe; }));
    }
    if (l.rejected > 0) {
        fmt::print("  rejected   {} by an earlier probe, not sent while probing is off (--no-probe, "
                   "preflight.probe: false): {}\n",
                   plural(l.rejected, "job"), ids_with(m, r, jobs::ResumeAction::rejected));
    }
    if (ledger_exists) {
        fmt::print("  poll       {} earlier runs left running (never resubmitted)\n", plural(p.to_poll, "task"));
        fmt::print("  skip       {} completed, {} failed for good (--retry-failed gives them a new attempt)\n", l.done,
                   l.failed);
        if (l.download + l.expired > 0) {
            fmt::print("  download   {} whose results are not on disk yet{}{}\n", plural(l.download, "completed job"),
                       l.expiring_soon > 0 ? fmt::format("; {} with links expiring within 2 h: run soon", l.expiring_soon)
                                           : std::string(),
                       l.expired > 0 ? fmt::format("; {} expired (links older than 24 h)", l.expired) : std::string());
        }
        if (l.uncertain > 0) {
            fmt::print("  uncertain  {} whose create got no answer too long ago; listed by `evobatch status`, "
                       "sent again only with run --resubmit-uncertain\n",
                       plural(l.uncertain, "job"));
        }
        if (l.hold > 0) {
            std::int64_t const cost = static_cast<std::int64_t>(l.hold) * api::k_max_credits_per_task;
            fmt::print("  held       {} changed in the manifest after an earlier request was paid for: not sent; "
                       "--rerun-changed pays up to {} credits ({}) for them again: {}\n",
                       plural(l.hold, "job"), cost, jobs::usd_text(cost, per_usd),
                       ids_with(m, r, jobs::ResumeAction::hold));
        }
        if (l.rerun > 0) {
            fmt::print("  rerun      {} changed since a paid request, paid for again as --rerun-changed asks (both "
                       "results kept)\n",
                       plural(l.rerun, "job"));
        }
        if (r.not_in_manifest > 0) {
            fmt::print("  removed    {} the ledger knows that the manifest no longer has: {} paid task{} still "
                       "running (polled to the end), {} with results to download; nothing is sent for them\n",
                       plural(r.not_in_manifest, "job"), r.removed_running, r.removed_running == 1 ? "" : "s",
                       r.removed_to_download);
        }
        if (l.changed > l.hold + l.rerun) {
            fmt::print("  changed    {} changed in the manifest since the ledger recorded them, nothing paid: new "
                       "jobs now\n",
                       plural(l.changed - l.hold - l.rerun, "job"));
        }
    }
    if (p.probed) {
        fmt::print("  probed     exact credits {} for {}; {} rejected (never sent); {} unprobed counted at the most "
                   "({})\n",
                   p.credits_exact, plural(p.jobs_exact, "job"), p.jobs_rejected, p.jobs_unprobed,
                   static_cast<std::int64_t>(p.jobs_unprobed) * api::k_max_credits_per_task);
    }
    fmt::print("  requests   {} + about {} status reads with batch reads ({} without)\n",
               plural(p.create_requests, "create"), p.status_reads_batched, p.status_reads_single);
    if (ledger_exists) {
        fmt::print("  ledger's   {} ({})\n", jobs::credits_text(r.credits),
                   jobs::usd_text(r.credits.charged, per_usd));
    }
    fmt::print("  credits    at most {} more ({}; {}), ceiling limits.max_credits = {}{}\n", p.credits_at_most,
               jobs::usd_text(p.credits_at_most, per_usd),
               p.probed ? fmt::format("probed jobs at their exact cost, the others at up to {}",
                                      api::k_max_credits_per_task)
                        : fmt::format("up to {} a task", api::k_max_credits_per_task),
               p.credits_ceiling,
               p.credits_carried > 0 ? fmt::format(", of which the ledger's tasks use {}", p.credits_carried)
                                     : std::string());
    if (p.credits_expected > p.credits_at_most) {
        if (p.probed) {
            fmt::print("             the ceiling covers {} of {} jobs in manifest order at their own cost ({} "
                       "credits); the run stops at the first that does not fit; --max-credits {} covers them all\n",
                       p.jobs_within_ceiling, p.to_submit, p.credits_within_ceiling, p.credits_to_cover);
        } else {
            fmt::print("             the ceiling surely covers {} of {} jobs; the others run only if tasks cost less "
                       "than the most; --max-credits {} covers them all\n",
                       p.jobs_within_ceiling, p.to_submit, p.credits_to_cover);
        }
    }
    fmt::print("  money      approximate, at {} credits to 1 USD (api.credits_per_usd; 68, the default, is the rate "
               "Evolink's own clients use)\n",
               per_usd);
    fmt::print("  time       about {} at {} requests/s with {} tasks in flight, if tasks take ~{} s\n",
               human_duration(p.estimated_time), limits.requests_per_second, limits.max_in_flight,
               plan::k_typical_task_time.count());
    fmt::print("  ledger     {}\n", m.output.ledger.string());
    fmt::print("  results    {}{}\n", m.output.dir.string(), m.output.download ? "" : " (download: false)");
}

// `plan --jobs`: each job's request as it will be sent, and what the run does with it.
struct JobLine {
    manifest::Job const* job;
    api::CreateRequest request;
    jobs::ResumeDecision const* decision;
    plan::JobCost const* cost; // --probe, a job to submit: its predicted cost; else nullptr
};

// The most a line's job may add: its predicted cost with --probe, else its decision's worst case.
std::int64_t credits_of(JobLine const& l) {
    return l.cost != nullptr ? l.cost->counted() : worst_case_of(l.decision->action);
}

std::vector<JobLine> job_lines(manifest::Manifest const& m, jobs::ResumePlan const& r,
                               std::optional<std::vector<ProbedJob>> const& probed) {
    std::vector<plan::JobCost const*> costs(m.jobs.size(), nullptr);
    if (probed) {
        for (ProbedJob const& j : *probed) {
            costs[j.index] = &j.cost;
        }
    }
    std::vector<JobLine> lines;
    lines.reserve(m.jobs.size());
    for (std::size_t i = 0; i < m.jobs.size(); ++i) {
        lines.push_back({&m.jobs[i], jobs::request_of(m.jobs[i]), &r.starts[i].decision, costs[i]});
    }
    return lines;
}

boost::json::array jobs_to_json(std::vector<JobLine> const& lines) {
    boost::json::array out;
    for (JobLine const& l : lines) {
        api::CreateRequest const& q = l.request;
        boost::json::object o;
        o["id"] = l.job->id;
        o["action"] = jobs::to_string(l.decision->action);
        o["video"] = q.video_urls.empty() ? std::string() : q.video_urls.front();
        o["images"] = boost::json::value_from(q.image_urls);
        o["prompt"] = q.prompt;
        o["keep_original_sound"] = q.keep_original_sound ? boost::json::value(*q.keep_original_sound) : nullptr;
        o["callback_url"] = q.callback_url ? boost::json::value(*q.callback_url) : nullptr;
        o["credits_at_most"] = credits_of(l);
        if (!l.decision->why.empty()) {
            o["why"] = l.decision->why;
        }
        out.push_back(std::move(o));
    }
    return out;
}

// A prompt on one line: its newlines shown as ⏎, cut to `width` characters' worth of bytes.
std::string one_line(std::string text, std::size_t width) {
    for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at)) {
        text.replace(at, 1, "\u23CE");
    }
    if (text.size() > width) {
        std::size_t cut = width;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0U) == 0x80U) {
            --cut; // not inside a UTF-8 sequence
        }
        text = text.substr(0, cut) + "...";
    }
    return text;
}

void print_jobs(std::vector<JobLine> const& lines) {
    std::size_t id_width = 2;
    for (JobLine const& l : lines) {
        id_width = std::max(id_width, l.job->id.size());
    }
    fmt::print("{:<{}}  {:<9}  {:>7}  {:<5}  {:<6}  {:<8}  {:<44}  {}\n", "id", id_width, "action", "credits",
               "sound", "images", "callback", "video", "prompt (as sent)");
    for (JobLine const& l : lines) {
        api::CreateRequest const& q = l.request;
        std::int64_t const cost = credits_of(l);
        bool const exact = l.cost != nullptr && l.cost->kind != plan::JobCost::Kind::unknown;
        fmt::print("{:<{}}  {:<9}  {:>7}  {:<5}  {:<6}  {:<8}  {:<44}  \"{}\"\n", l.job->id, id_width,
                   jobs::to_string(l.decision->action),
                   cost > 0 && !exact ? fmt::format("<={}", cost) : fmt::format("{}", cost),
                   !q.keep_original_sound ? "-" : *q.keep_original_sound ? "keep" : "drop", q.image_urls.size(),
                   q.callback_url ? "yes" : "-", q.video_urls.empty() ? "" : q.video_urls.front(),
                   one_line(q.prompt, 60));
    }
}

// `plan --balance`: the balance, and whether `run` would start.
struct BalanceAnswer {
    std::optional<api::Credits> credits;
    std::string problem; // why it could not be read
    int exit_code = exit_ok;
};

// Nothing, after printing why, when it cannot even be asked (no key, a bad CA file).
std::optional<BalanceAnswer> read_balance(manifest::Manifest const& m) {
    auto key = read_api_key(m.api, "plan without --balance");
    if (!key) {
        return std::nullopt;
    }
    api::ApiResult<api::Credits> result;
    try {
        result = read_credits_once(m.api.base_url, m.api.ca_file, api::Secret(std::move(*key)), m.api.request_timeout);
    } catch (std::exception const& e) {
        fmt::print(stderr, "evobatch: error: {}\n", e.what());
        return std::nullopt;
    }
    BalanceAnswer answer;
    if (result.ok()) {
        answer.credits = *result.value;
    } else if (key_refused(result)) {
        answer.problem = "the API refused the key: " + result.detail;
        answer.exit_code = exit_api_stopped;
    } else {
        answer.problem = fmt::format("could not read the balance from {}: {}", m.api.base_url, result.detail);
        answer.exit_code = exit_interrupted;
    }
    return answer;
}

boost::json::object balance_to_json(BalanceAnswer const& b, plan::BatchPlan const& p) {
    if (!b.credits) {
        return {{"error", b.problem}};
    }
    return {{"remaining", b.credits->remaining},
            {"unlimited", b.credits->unlimited},
            {"may_reserve", p.credits_at_most},
            {"fits", !above_balance(*b.credits, p)}};
}

void print_balance(BalanceAnswer const& b, plan::BatchPlan const& p) {
    if (!b.credits) {
        fmt::print(stderr, "evobatch: error: {}\n", util::clean_text(b.problem)); // holds the server's words
        return;
    }
    fmt::print("{}\n", balance_line(*b.credits, p));
    if (above_balance(*b.credits, p)) {
        fmt::print(
            "  that is above the balance: `run` would refuse to start; lower limits.max_credits, top up, or "
            "pass --allow-overdraft to run\n");
    } else if (!b.credits->unlimited) {
        fmt::print("  within the balance: `run` would start\n");
    }
}

} // namespace

CLI::App* add_plan_command(CLI::App& app, PlanOptions& o) {
    auto* cmd = app.add_subcommand(
        "plan", "Show what `run` would do, what it could cost and how long; sends nothing (but --balance, and "
        "--probe to the media hosts)");
    add_batch_options(*cmd, o.batch);
    cmd->add_flag("--balance", o.balance,
                  "Also read the account's balance (GET /v1/credits, with the key) and say whether the batch fits "
                  "in it");
    cmd->add_flag("--jobs", o.jobs,
                  "List every job's request as it will be sent (video, images, prompt, sound, callback) and what "
                  "the run does with it");
    cmd->add_flag("--json", o.json, "Print the plan as JSON on stdout");
    cmd->add_flag("--probe", o.probe,
                  "Probe the media of the jobs to submit first (ranges only, never the API key; even with "
                  "preflight.probe: false) and count each at its exact cost; exit 1 when some would be rejected");
    add_max_probes_option(*cmd, o.max_probes);
    cmd->add_option("--max-errors", o.max_errors, "Show at most N problems (0: all)")->capture_default_str();
    cmd->footer(k_plan_footer);
    return cmd;
}

int run_plan(PlanOptions const& options) {
    manifest::LoadResult const result = manifest::load_manifest(options.batch.manifest);
    if (!result.ok()) {
        if (options.json) {
            boost::json::object out;
            out["ok"] = false;
            out["diagnostics"] = diagnostics_to_json(result.diagnostics);
            fmt::print("{}\n", boost::json::serialize(out));
        } else {
            print_diagnostics(result.diagnostics, options.max_errors);
            fmt::print(stderr, "{}: the manifest has errors; nothing was planned or sent\n", options.batch.manifest);
        }
        return exit_bad_input;
    }
    manifest::Manifest m = *result.manifest;
    apply_overrides(m, options.batch);
    auto const resume = resume_options_for(m, options.batch);
    if (!resume) {
        return exit_bad_input;
    }
    std::error_code ec;
    bool const ledger_exists = std::filesystem::exists(m.output.ledger, ec);
    ledger::Replay replay;
    if (ledger_exists) {
        auto read = read_ledger(m.output.ledger);
        if (!read) {
            return exit_bad_input;
        }
        replay = std::move(*read);
    }
    jobs::ResumePlan const r = jobs::plan_resume(m.jobs, replay, *resume);
    std::optional<std::vector<ProbedJob>> probed;
    std::optional<std::vector<plan::JobCost>> costs;
    if (options.probe) {
        probed = probe_to_submit(m, r, replay, options.max_probes, !options.json);
        costs = costs_of(*probed);
    } else {
        costs = remembered_costs(m, r, replay); // what earlier probes found, as `run` will reserve
    }
    plan::BatchPlan const p = plan::plan_batch(m, ledger_counts(r), costs);
    std::optional<BalanceAnswer> balance;
    if (options.balance) {
        balance = read_balance(m);
        if (!balance) {
            return exit_bad_input;
        }
    }
    int const exit_code = balance && balance->exit_code != exit_ok ? balance->exit_code
                          : p.jobs_rejected > 0                   ? exit_jobs_failed
                                                                  : exit_ok;
    if (options.json) {
        boost::json::object out = plan_to_json(m, p, r, ledger_exists);
        out["ok"] = exit_code == exit_ok;
        out["diagnostics"] = diagnostics_to_json(result.diagnostics);
        if (balance) {
            out["balance"] = balance_to_json(*balance, p);
        }
        if (options.jobs) {
            out["job_requests"] = jobs_to_json(job_lines(m, r, probed));
        }
        if (probed) {
            out["probe"] = {{"jobs", probed_to_json(m, *probed)}};
        }
        fmt::print("{}\n", boost::json::serialize(out));
        return exit_code;
    }
    print_diagnostics(result.diagnostics, options.max_errors);
    if (options.jobs) {
        print_jobs(job_lines(m, r, probed));
    }
    if (probed && !probed->empty()) {
        print_probed(m, *probed);
    }
    print_plan(m, p, r, ledger_exists);
    if (balance) {
        print_balance(*balance, p);
    }
    fmt::print("{}\n", !balance           ? "nothing was sent."
                       : balance->credits ? "only the balance was read; nothing was submitted."
                                          : "nothing was submitted.");
    return exit_code;
}

} // namespace evobatch::cli
