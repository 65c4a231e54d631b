#pragma once
// Durations as people write them in a manifest: "90s", "15m", "1h30m", or a plain number of seconds.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::util {

// Parses `text`; nothing when it is not a duration. Units: s, m, h, d; parts in decreasing order.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// The same form back, largest units first, at most two of them: "42s", "15m", "1h30m", "3d2h".
// Negative durations read as 0s.
std::string format_duration(std::chrono::seconds d);

} // namespace evobatch::util
