#include "commands.hpp"
#include "evobatch/cli/exit_code.hpp"
#include "report_diagnostics.hpp"

#include "evobatch/manifest/loader.hpp"

#include <boost/json/serialize.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::cli {

namespace {

std::size_t count(std::vector<util::Diagnostic> const& ds, util::Severity s) {
    return static_cast<std::size_t>(
        std::count_if(ds.begin(), ds.end(), [s](util::Diagnostic const& d) { return d.severity == s; }));
}

} // namespace

int run_validate(ValidateOptions const& options) {
    bool all_ok = true;
    boost::json::array reports;
    for (std::string const& path : options.manifests) {
        manifest::LoadResult const result = manifest::load_manifest(path);
        std::size_t const errors = count(result.diagnostics, util::Severity::error);
        std::size_t const warnings = count(result.diagnostics, util::Severity::warning);
        all_ok = all_ok && result.ok();
        if (options.json) {
            boost::json::object report;
            report["path"] = path;
            report["ok"] = result.ok();
            report["jobs"] = result.ok() ? result.manifest->jobs.size() : 0;
            report["errors"] = errors;
            report["warnings"] = warnings;
            report["diagnostics"] = diagnostics_to_json(result.diagnostics);
            reports.push_back(std::move(report));
            continue;
        }
        print_diagnostics(result.diagnostics, options.max_errors);
        if (result.ok()) {
            fmt::print("{}: ok, {} job{}{}\n", path, result.manifest->jobs.size(),
                       result.manifest->jobs.size() == 1 ? "" : "s",
                       warnings != 0 ? fmt::format(" ({} warning{})", warnings, warnings == 1 ? "" : "s") : "");
        } else {
            fmt::print(stderr, "{}: {} error{}; nothing was sent\n", path, errors, errors == 1 ? "" : "s");
        }
    }
    if (options.json) {
        boost::json::object out;
        out["ok"] = all_ok;
        out["manifests"] = std::move(reports);
        fmt::print("{}\n", boost::json::serialize(out));
    }
    return all_ok ? exit_ok : exit_bad_input;
}

} // namespace evobatch::cli
