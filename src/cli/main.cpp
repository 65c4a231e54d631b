#include "evobatch/cli/main.hpp"

#include "commands.hpp"
#include "evobatch/cli/exit_code.hpp"

#include "evobatch/sim/simulator.hpp"
#include "evobatch/version.hpp"

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <exception>

namespace evobatch::cli {

namespace {

constexpr char const* k_overview = R"(evobatch: run large batches of Evolink video edits (kling-o1-video-edit-fast)
from a YAML manifest, within your rate, concurrency and credit limits, with a
ledger that makes every batch resumable.)";

constexpr char const* k_footer = R"(
Exit codes: 0 done (or valid), 1 some jobs failed, are uncertain or are held (changed
after they were paid for), 2 bad input or usage, 3 interrupted or unfinished (the summary's
Next: line says what resumes it), 4 stopped by the API.

Start with:  evobatch validate jobs/demo.yaml && evobatch plan jobs/demo.yaml
Before paying: evobatch probe <manifest>   (reads each job's media: usable, rejected, exact credits)
Try it:      evobatch run --simulate jobs/demo.yaml   (the built-in simulator, no key)
Manifest format: jobs/README.md. Each command has --help.)";

constexpr char const* k_validate_footer = R"(
Every problem is reported at once, compiler style (file:line:col: error: ...).
Exit code 0 when every manifest is valid, 2 otherwise. Nothing is sent.

Examples:
  evobatch validate jobs/demo.yaml
  evobatch validate batches/*.yaml --max-errors 0
  evobatch validate jobs/demo.yaml --json | jq '.manifests[0].errors')";

} // namespace

int main(int argc, char** argv) {
    CLI::App app{k_overview, "evobatch"};
    app.footer(k_footer);
    app.set_version_flag("--version", fmt::format("evobatch {}", k_version));
    app.require_subcommand(1);

    ValidateOptions validate;
    auto* validate_cmd = app.add_subcommand("validate", "Check manifests against the API's limits; print every problem");
    validate_cmd->add_option("manifest", validate.manifests, "Manifest files (YAML)")->required();
    validate_cmd->add_flag("--json", validate.json, "Print one JSON document on stdout for machines");
    validate_cmd->add_option("--max-errors", validate.max_errors, "Show at most N problems per manifest (0: all)")
        ->capture_default_str();
    validate_cmd->footer(k_validate_footer);

    PlanOptions plan;
    auto* plan_cmd = add_plan_command(app, plan);

    RunOptions run;
    run.command_line.assign(argv, argv + argc);
    auto* run_cmd = add_run_command(app, run);

    StatusOptions status;
    if (argc > 0) {
        status.program = argv[0];
    }
    auto* status_cmd = add_status_command(app, status);

    ReportOptions report;
    if (argc > 0) {
        report.program = argv[0];
    }
    auto* report_cmd = add_report_command(app, report);

    ProbeOptions probe;
    probe.command_line.assign(argv, argv + argc);
    auto* probe_cmd = add_probe_command(app, probe);

    sim::SimOptions sim_options;
    auto* sim_cmd = add_sim_command(app, sim_options);

    try {
        app.parse(argc, argv);
    } catch (CLI::ParseError const& e) {
        int const code = app.exit(e);
        return code == 0 ? exit_ok : exit_bad_input;
    }

    try {
        if (validate_cmd->parsed()) {
            return run_validate(validate);
        }
        if (plan_cmd->parsed()) {
            return run_plan(plan);
        }
        if (run_cmd->parsed()) {
            return run_run(run);
        }
        if (status_cmd->parsed()) {
            return run_status(status);
        }
        if (report_cmd->parsed()) {
            return run_report(report);
        }
        if (probe_cmd->parsed()) {
            return run_probe(probe);
        }
        if (sim_cmd->parsed()) {
            return run_sim(sim_options);
        }
    } catch (std::exception const& e) {
        fmt::print(stderr, "evobatch: error: {}\n", e.what());
        return exit_bad_input;
    }
    return exit_bad_input;
}

} // namespace evobatch::cli
