#pragma once
// Text pieces of the progress output: durations for people, widths of text made safe for a
// terminal (util/terminal_text.hpp), JSON string literals. Pure.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

namespace evobatch::progress::detail {

// "45s", "12m05s", "3h07m", "2d04h"; negative counts as 0.
std::string format_duration(std::chrono::seconds d);

// Columns `clean` takes: one per code point (the bar is ASCII but for user text).
std::size_t columns_of(std::string_view clean) noexcept;

// The first `columns` code points of `clean`, ending in "..." when something was cut.
std::string cut_to_columns(std::string_view clean, std::size_t columns);

// A JSON string literal, quotes included: escapes per RFC 8259, ill-formed UTF-8 replaced.
std::string json_quote(std::string_view text);

} // namespace evobatch::progress::detail
