#pragma once
// Durations as people write them in a manifest: "90s", "15m", "1h30m", or a plain number of seconds.

#include <chrono>
#include <optional>
#include <string_view>

namespace evobatch::util {

// Parses `text`; nothing when it is not a duration. Units: s, m, h, d; parts in decreasing order.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

} // namespace evobatch::util
