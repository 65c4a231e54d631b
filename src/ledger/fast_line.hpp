#pragma once
// The fast path of LineParser: a ledger line exactly as append_json_line writes it, read by
// hand. Internal to src/ledger.

#include "line_parser.hpp"

#include <string_view>
#include <vector>

namespace evobatch::ledger::detail {

// True when `line` is in our writer's exact form; `out` (and `results`, which out.results
// shows) then hold what the SAX parser would say of it. False leaves the line to that parser.
bool read_fast_line(std::string_view line, EventView& out, std::vector<std::string_view>& results);

} // namespace evobatch::ledger::detail
