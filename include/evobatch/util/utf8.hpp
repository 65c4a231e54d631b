#pragma once
// UTF-8 checks done before any parser sees user text, so a bad byte is reported with its
// line and column instead of as a parser's generic complaint.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace evobatch::util {

struct TextPosition {
    std::uint32_t line = 1; // 1-based
    std::uint32_t column = 1; // 1-based, in characters
};

// Byte offset of the first byte that does not start a well-formed UTF-8 sequence (overlongs,
// surrogates and code points above U+10FFFF are ill-formed too), or nothing when `text` is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept;

// Line and column of byte `offset` in `text`, counting columns in characters.
TextPosition position_of(std::string_view text, std::size_t offset) noexcept;

// Number of Unicode code points in valid UTF-8 text: what "characters" means in api.md limits.
std::size_t count_code_points(std::string_view valid_utf8) noexcept;

} // namespace evobatch::util
