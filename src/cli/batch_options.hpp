#pragma once
// What `run` and `plan` share on the command line: the manifest, where its ledger and results
// are, the limits, and which jobs a resumed run may pay for again. `plan` takes the same flags
// as `run`, so it plans exactly the run those flags would start.

#include "evobatch/manifest/manifest.hpp"
#include "evobatch/jobs/resume.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace evobatch::cli {

struct BatchOptions {
    std::string manifest;
    std::string ledger;     // overrides output.ledger
    std::string output_dir; // overrides output.dir
    bool no_download = false;
    bool no_probe = false;  // overrides preflight.probe
    double rps = 0; // 0: the manifest's
    std::uint32_t burst = 0;
    std::size_t max_in_flight = 0;
    long long max_credits = 0;
    // "all" or job ids; empty: not asked.
    std::vector<std::string> retry_failed;
    std::vector<std::string> resubmit_uncertain;
    std::vector<std::string> rerun_changed;
    std::string base_url; // overrides api.base_url
    std::string ca_file;  // overrides api.ca_file
};

// Registers the flags above (the manifest as the positional argument) on `run` or `plan`.
void add_batch_options(CLI::App& command, BatchOptions& options);

// Applies the flags' overrides to a loaded manifest: limits, ledger, results folder, downloads.
void apply_overrides(manifest::Manifest& manifest, BatchOptions const& options);

// The resume rules for this manifest and these flags; nothing, after printing what to do, when
// a flag names an id that is no job of the manifest.
std::optional<jobs::ResumeOptions> resume_options_for(manifest::Manifest const& manifest, BatchOptions const& options);

} // namespace evobatch::cli
