#pragma once
// The subcommands, each a function from its parsed options to an exit code.

#include "batch_options.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace evobatch::cli {

struct ValidateOptions {
    std::vector<std::string> manifests;
    bool json = false;
    std::size_t max_errors = 100; // per manifest, in text mode; 0 shows all
};

struct PlanOptions {
    BatchOptions batch;   // the same flags as `run`: the plan is of the run they would start
    bool balance = false; // read GET /v1/credits (the only request plan ever sends)
    bool jobs = false;    // list every job's effective request and what the run does with it
    bool json = false;
    bool probe = false;         // probe the media of the jobs to submit: exact credits per job
    std::size_t max_probes = 0; // --probe: jobs probed at once (0: limits.max_probes)
    std::size_t max_errors = 100;
};

int run_validate(ValidateOptions const& options);

} // namespace evobatch::cli

namespace CLI {
class App;
}
namespace evobatch::sim {
struct SimOptions;
}
namespace evobatch::cli {

// `evobatch sim` (cmd_sim.cpp): registers the subcommand, whose options fill `options`.
CLI::App* add_sim_command(CLI::App& app, sim::SimOptions& options);
int run_sim(sim::SimOptions const& options);

// `evobatch plan` (cmd_plan.cpp).
CLI::App* add_plan_command(CLI::App& app, PlanOptions& options);
int run_plan(PlanOptions const& options);

// `evobatch run` (cmd_run.cpp).
struct RunOptions {
    BatchOptions batch;
    bool simulate = false;
    double time_scale = 0.01; // --simulate only: a 300 s task takes about 3 s
    bool allow_overdraft = false;
    bool json = false;
    bool quiet = false;
    std::vector<std::string> adopt; // JOB=TASK: a person settles an uncertain job
    int max_list_pages = 100;       // the cap on task list pages read to settle uncertain jobs
    std::vector<std::string> command_line; // as typed: the summary's `Next:` lines repeat it
};
CLI::App* add_run_command(CLI::App& app, RunOptions& options);
int run_run(RunOptions const& options);

// `evobatch status` (cmd_status.cpp).
struct StatusOptions {
    std::string manifest;
    std::string ledger;
    std::vector<std::string> states;
    bool json = false;
    std::string program = "evobatch"; // argv[0] as typed: the commands it prints repeat it
    bool reconcile = false;   // settle uncertain jobs from the account's task list first (network, key)
    int max_list_pages = 100; // --reconcile: the cap on task list pages read
    std::string base_url;     // --reconcile: overrides api.base_url, as `run --base-url`
    std::string ca_file;      // --reconcile: overrides api.ca_file
};
CLI::App* add_status_command(CLI::App& app, StatusOptions& options);
int run_status(StatusOptions const& options);

} // namespace evobatch::cli

namespace evobatch::cli {

// `evobatch report` (cmd_report.cpp).
struct ReportOptions {
    std::string manifest;
    std::string format; // csv, json or html; empty: from the output file's extension
    std::string output; // empty: stdout
    std::string ledger; // overrides output.ledger
    std::string program = "evobatch"; // argv[0] as typed: the commands it prints repeat it
};
CLI::App* add_report_command(CLI::App& app, ReportOptions& options);
int run_report(ReportOptions const& options);

// `evobatch probe` (cmd_probe.cpp).
struct ProbeOptions {
    std::string manifest;
    bool json = false;
    std::size_t max_probes = 0; // 0: limits.max_probes
    std::size_t max_errors = 100;
    std::vector<std::string> command_line; // as typed: the `Next:` lines repeat it
};
CLI::App* add_probe_command(CLI::App& app, ProbeOptions& options);
int run_probe(ProbeOptions const& options);

} // namespace evobatch::cli
