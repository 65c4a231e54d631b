#pragma once
// yaml-cpp's syntax errors in words that say what to do. yaml-cpp names the symptom ("illegal
// map value"); a person editing a manifest needs the cause (a ': ' inside a value, a tab, a
// line indented too far) and the fix.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::manifest::detail {

// yaml-cpp's message `problem`, found at byte `at` of `text`, explained.
std::string explain_syntax_error(std::string_view problem, std::string_view text, std::size_t at);

// The first tab in the indentation of the line of byte `at` (up to `at`): where a syntax
// error there really is.
std::optional<std::size_t> tab_in_indentation(std::string_view text, std::size_t at) noexcept;

// yaml-cpp's words for a flow list or mapping still open where another token was expected.
bool is_unclosed_flow(std::string_view problem) noexcept;

} // namespace evobatch::manifest::detail
