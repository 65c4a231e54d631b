#include "batch_options.hpp"

#include "ledger_state.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace evobatch::cli {

namespace {

// `--flag` alone (CLI11 stores "true") or `--flag=all` means all; `--flag=a,b` names jobs. A flag
// takes its value only after '=': `--retry-failed jobs/x.yaml` must not read the manifest as a
// job id, and the Next: lines can drop or repeat the flag as one argument.
void add_job_selection(CLI::App& cmd, std::string const& name, std::vector<std::string>& target,
                       std::string const& description) {
    cmd.add_flag(name, target, description)->delimiter(',');
}

struct Selection {
    bool all = false;
    std::set<std::string> ids;
};

// "all" or ids that must be jobs of the manifest; nothing after printing when one is not.
std::optional<Selection> selection(std::vector<std::string> const& values, std::string_view flag,
                                   manifest::Manifest const& m) {
    Selection s;
    for (std::string const& value : values) {
        if (value == "all" || value == "true") {
            s.all = true;
            continue;
        }
        bool const known =
            std::any_of(m.jobs.begin(), m.jobs.end(), [&](manifest::Job const& j) { return j.id == value; });
        if (!known) {
            fmt::print(stderr,
                       "evobatch: error: {} names '{}', which is no job of {}; `evobatch status {}` lists the "
                       "jobs and their states\n",
                       flag, value, m.path.string(), m.path.string());
            return std::nullopt;
        }
        s.ids.insert(value);
    }
    return s;
}

} // namespace

void add_batch_options(CLI::App& cmd, BatchOptions& o) {
    cmd.add_option("manifest", o.manifest, "Manifest file (YAML)")->required();
    cmd.add_option("--ledger", o.ledger, "Ledger file (overrides output.ledger)");
    cmd.add_option("--output-dir", o.output_dir, "Folder for the result files (overrides output.dir)");
    cmd.add_flag("--no-download", o.no_download, "Do not download results (overrides output.download)");
    cmd.add_flag("--no-probe", o.no_probe,
                 "Do not probe source media before paying for them (overrides preflight.probe): every job counts "
                 "at the most a task costs, and jobs an earlier probe rejected stay rejected");
    cmd.add_option("--rps", o.rps, "Requests per second (overrides limits.requests_per_second)")
        ->check(CLI::PositiveNumber);
    cmd.add_option("--burst", o.burst, "Token bucket size (overrides limits.burst)")->check(CLI::Range(1, 100'000));
    cmd.add_option("--max-in-flight", o.max_in_flight, "Tasks submitted and not finished (overrides limits.max_in_flight)")
        ->check(CLI::Range(1, 100'000));
    cmd.add_option("--max-credits", o.max_credits,
                   "Credit ceiling for the whole ledger: every credit its tasks were charged or hold, earlier runs "
                   "and changed jobs' earlier requests included (overrides limits.max_credits)")
        ->check(CLI::PositiveNumber);
    add_job_selection(cmd, "--retry-failed", o.retry_failed,
                      "New attempts (new keys) for failed jobs, attempts used or not: alone or =all, those a new "
                      "attempt can fix (not content_policy_violation, invalid_parameters, ...); =ID,... those "
                      "jobs whatever their error");
    add_job_selection(cmd, "--resubmit-uncertain", o.resubmit_uncertain,
                      "Send uncertain jobs again under their same key: alone or =all, or =ID,... A server that "
                      "forgot the key may then make a second, paid task");
    add_job_selection(cmd, "--rerun-changed", o.rerun_changed,
                      "Pay again for jobs whose manifest entry changed after an earlier request of them was paid "
                      "for: alone or =all, or =ID,... Both results are kept (the new one as <id>@v<N>.<ext>)");
    cmd.add_option("--base-url", o.base_url, "API base URL (overrides api.base_url)");
    cmd.add_option("--ca-file", o.ca_file, "Extra trusted CA file, PEM (overrides api.ca_file)");
}

void apply_overrides(manifest::Manifest& m, BatchOptions const& o) {
    auto& limits = m.limits;
    if (o.rps > 0) {
        limits.requests_per_second = o.rps;
    }
    if (o.burst > 0) {
        limits.burst = o.burst;
    }
    if (o.max_in_flight > 0) {
        limits.max_in_flight = static_cast<std::uint32_t>(o.max_in_flight); // checked: at most 100,000
    }
    if (o.max_credits > 0) {
        limits.max_credits = o.max_credits;
    }
    if (!o.ledger.empty()) {
        m.output.ledger = o.ledger;
    }
    if (!o.output_dir.empty()) {
        m.output.dir = o.output_dir;
    }
    if (o.no_download) {
        m.output.download = false;
    }
    if (o.no_probe) {
        m.preflight.probe = false;
    }
    if (!o.base_url.empty()) {
        m.api.base_url = o.base_url;
    }
    if (!o.ca_file.empty()) {
        m.api.ca_file = o.ca_file;
    }
}

std::optional<jobs::ResumeOptions> resume_options_for(manifest::Manifest const& m, BatchOptions const& o) {
    auto const retry = selection(o.retry_failed, "--retry-failed", m);
    auto const resubmit = selection(o.resubmit_uncertain, "--resubmit-uncertain", m);
    auto const rerun = selection(o.rerun_changed, "--rerun-changed", m);
    if (!retry || !resubmit || !rerun) {
        return std::nullopt;
    }
    jobs::ResumeOptions options = resume_options(m);
    options.retry_all_failed = retry->all;
    options.retry_failed = retry->ids;
    options.resubmit_all_uncertain = resubmit->all;
    options.resubmit_uncertain = resubmit->ids;
    options.rerun_all_changed = rerun->all;
    options.rerun_changed = rerun->ids;
    return options;
}

} // namespace evobatch::cli
