#pragma once
// What a torn last line of ours can look like. LedgerFile's tail repair and replay must decide
// alike, so both read it here. Internal to src/ledger.

#include <cstddef>
#include <string_view>

namespace evobatch::ledger::detail {

// Our lines are a few hundred bytes; a last line longer than this without '\n' is not ours.
inline constexpr std::size_t k_max_torn_tail = std::size_t{1} << 20U;

// Every line we write starts like this.
inline constexpr std::string_view k_line_start = "{\"v\":";

// Whether `tail`, a last line without its '\n', can be the start of a line we wrote.
constexpr bool could_be_our_line(std::string_view tail) noexcept {
    return tail.size() <= k_max_torn_tail && (tail.starts_with(k_line_start) || k_line_start.starts_with(tail));
}

} // namespace evobatch::ledger::detail
