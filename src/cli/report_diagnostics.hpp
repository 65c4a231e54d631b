#pragma once
// Printing manifest problems for people (compiler style, on stderr) and for machines (JSON).

#include "evobatch/util/diagnostic.hpp"

#include <boost/json/array.hpp>

#include <cstddef>
#include <vector>

namespace evobatch::cli {

// Prints up to `max_errors` diagnostics (0: all) to stderr, `error:` in red on a terminal
// unless NO_COLOR is set, then says how many were left out.
void print_diagnostics(std::vector<util::Diagnostic> const& diagnostics, std::size_t max_errors);

boost::json::array diagnostics_to_json(std::vector<util::Diagnostic> const& diagnostics);

} // namespace evobatch::cli
