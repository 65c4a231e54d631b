#pragma once
// The subcommands, each a function from its parsed options to an exit code.

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
    std::string manifest;
    bool json = false;
    std::size_t max_errors = 100;
};

int run_validate(ValidateOptions const& options);
int run_plan(PlanOptions const& options);

} // namespace evobatch::cli

// `evobatch sim` (cmd_sim.cpp): registers the subcommand, whose options fill `options`.
namespace CLI {
class App;
}
namespace evobatch::sim {
struct SimOptions;
}
namespace evobatch::cli {
CLI::App* add_sim_command(CLI::App& app, sim::SimOptions& options);
int run_sim(sim::SimOptions const& options);
} // namespace evobatch::cli
