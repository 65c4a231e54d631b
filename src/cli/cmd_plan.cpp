#include "account.hpp"
#include "commands.hpp"
#include "exit_code.hpp"
#include "ledger_state.hpp"
#include "report_diagnostics.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/manifest/loader.hpp"
#include "evobatch/plan/batch_plan.hpp"

#include <boost/json/serialize.hpp>

#include <fmt/format.h>

#include <system_error>

namespace evobatch::cli {

namespace {

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

boost::json::object plan_to_json(manifest::Manifest const& m, plan::BatchPlan const& p, bool ledger_exists) {
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
                    {"changed", l.changed}};
    o["requests"] = {{"create", p.create_requests},
                     {"status_reads_batched", p.status_reads_batched},
                     {"status_reads_single", p.status_reads_single}};
    o["credits"] = {{"reserved", p.credits_reserved},
                    {"worst_case", p.credits_worst_case},
                    {"ceiling", p.credits_ceiling},
                    {"at_most", p.credits_at_most},
                    {"max_per_task", api::k_max_credits_per_task},
                    {"jobs_surely_within_ceiling", p.jobs_surely_within_ceiling}};
    o["time"] = {{"submit_s", p.submit_time.count()},
                 {"estimated_s", p.estimated_time.count()},
                 {"assumed_task_s", plan::k_typical_task_time.count()}};
    return o;
}

void print_plan(manifest::Manifest const& m, plan::BatchPlan const& p, bool ledger_exists) {
    auto const& limits = m.limits;
    fmt::print("plan for {}: {} job{}{}\n", m.path.string(), p.jobs, p.jobs == 1 ? "" : "s",
               ledger_exists ? "" : ", no ledger yet (nothing submitted before)");
    auto const& l = p.ledger;
    std::size_t const fresh = p.to_submit - l.resend - l.retry;
    fmt::print("  submit     {} job{}{}\n", p.to_submit, p.to_submit == 1 ? "" : "s",
               l.resend + l.retry == 0
                   ? std::string()
                   : fmt::format(" ({} new, {} sent again under the same key, {} new attempts of failed tasks)", fresh,
                                 l.resend, l.retry));
    if (ledger_exists) {
        fmt::print("  poll       {} task{} earlier runs left running (never resubmitted)\n", p.to_poll,
                   p.to_poll == 1 ? "" : "s");
        fmt::print("  skip       {} completed, {} failed for good (--retry-failed gives them a new attempt)\n", l.done,
                   l.failed);
        if (l.download + l.expired > 0) {
            fmt::print("  download   {} completed job{} whose results are not on disk yet{}{}\n", l.download,
                       l.download == 1 ? "" : "s",
                       l.expiring_soon > 0 ? fmt::format("; {} with links expiring within 2 h: run soon", l.expiring_soon)
                                           : std::string(),
                       l.expired > 0 ? fmt::format("; {} expired (links older than 24 h)", l.expired) : std::string());
        }
        if (l.uncertain > 0) {
            fmt::print("  uncertain  {} job{} whose create got no answer too long ago; listed by `evobatch status`, "
                       "sent again only with run --resubmit-uncertain\n",
                       l.uncertain, l.uncertain == 1 ? "" : "s");
        }
        if (l.changed > 0) {
            fmt::print("  changed    {} job{} changed in the manifest since the ledger recorded them: new jobs now\n",
                       l.changed, l.changed == 1 ? "" : "s");
        }
    }
    fmt::print("  requests   {} create{} + about {} status reads with batch reads ({} without)\n",
               p.create_requests, p.create_requests == 1 ? "" : "s", p.status_reads_batched, p.status_reads_single);
    fmt::print("  credits    at most {} more (up to {} a task; ceiling limits.max_credits = {}{})\n", p.credits_at_most,
               api::k_max_credits_per_task, p.credits_ceiling,
               p.credits_reserved > 0 ? fmt::format(", {} reserved by earlier runs", p.credits_reserved) : std::string());
    if (p.credits_worst_case > p.credits_ceiling) {
        fmt::print("             the ceiling surely covers {} of {} jobs; the others run only if tasks cost less "
                   "than the most, else they wait for a larger limits.max_credits\n",
                   p.jobs_surely_within_ceiling, p.to_submit);
    }
    fmt::print("  time       about {} at {} requests/s with {} tasks in flight, if tasks take ~{} s\n",
               human_duration(p.estimated_time), limits.requests_per_second, limits.max_in_flight,
               plan::k_typical_task_time.count());
    fmt::print("  ledger     {}\n", m.output.ledger.string());
    fmt::print("  results    {}{}\n", m.output.dir.string(), m.output.download ? "" : " (download: false)");
}

// `plan --balance`: the balance, and whether `run` would start.
struct BalanceAnswer {
    std::optional<api::Credits> credits;
    std::string problem; // why it could not be read
    int exit_code = exit_ok;
};

// Nothing, after printing why, when it cannot even be asked (no key, a bad CA file).
std::optional<BalanceAnswer> read_balance(PlanOptions const& options, manifest::Manifest const& m) {
    auto key = read_api_key(m.api, "plan without --balance");
    if (!key) {
        return std::nullopt;
    }
    std::optional<std::filesystem::path> ca_file = m.api.ca_file;
    if (!options.ca_file.empty()) {
        ca_file = options.ca_file;
    }
    std::string const& base_url = options.base_url.empty() ? m.api.base_url : options.base_url;
    api::ApiResult<api::Credits> result;
    try {
        result = read_credits_once(base_url, ca_file, api::Secret(std::move(*key)), m.api.request_timeout);
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
        answer.problem = fmt::format("could not read the balance from {}: {}", base_url, result.detail);
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
        fmt::print(stderr, "evobatch: error: {}\n", b.problem);
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

int run_plan(PlanOptions const& options) {
    manifest::LoadResult const result = manifest::load_manifest(options.manifest);
    if (!result.ok()) {
        if (options.json) {
            boost::json::object out;
            out["ok"] = false;
            out["diagnostics"] = diagnostics_to_json(result.diagnostics);
            fmt::print("{}\n", boost::json::serialize(out));
        } else {
            print_diagnostics(result.diagnostics, options.max_errors);
            fmt::print(stderr, "{}: the manifest has errors; nothing was planned or sent\n", options.manifest);
        }
        return exit_bad_input;
    }
    manifest::Manifest m = *result.manifest;
    if (!options.ledger.empty()) {
        m.output.ledger = options.ledger;
    }
    std::error_code ec;
    bool const ledger_exists = std::filesystem::exists(m.output.ledger, ec);
    plan::LedgerCounts counts;
    if (ledger_exists) {
        auto const replay = read_ledger(m.output.ledger);
        if (!replay) {
            return exit_bad_input;
        }
        counts = ledger_counts(sched::plan_resume(m.jobs, *replay, resume_options(m)));
    }
    plan::BatchPlan const p = plan::plan_batch(m, counts);
    std::optional<BalanceAnswer> balance;
    if (options.balance) {
        balance = read_balance(options, m);
        if (!balance) {
            return exit_bad_input;
        }
    }
    int const exit_code = balance ? balance->exit_code : exit_ok;
    if (options.json) {
        boost::json::object out = plan_to_json(m, p, ledger_exists);
        out["ok"] = exit_code == exit_ok;
        out["diagnostics"] = diagnostics_to_json(result.diagnostics);
        if (balance) {
            out["balance"] = balance_to_json(*balance, p);
        }
        fmt::print("{}\n", boost::json::serialize(out));
    } else {
        print_diagnostics(result.diagnostics, options.max_errors);
        print_plan(m, p, ledger_exists);
        if (balance) {
            print_balance(*balance, p);
        }
        fmt::print("{}\n", !balance           ? "nothing was sent."
                           : balance->credits ? "only the balance was read; nothing was submitted."
                                              : "nothing was submitted.");
    }
    return exit_code;
}

} // namespace evobatch::cli
