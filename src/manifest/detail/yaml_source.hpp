#pragma once
// Reading the manifest's own text around a position yaml-cpp reports. yaml-cpp's events give
// where a node starts (a byte offset, a line and a byte column) and its parsed value, but not
// how it was written, where it ends or what an alias is called; these answer that from the
// source, so diagnostics can say it. All offsets are bytes into the text yaml-cpp read.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace evobatch::manifest::detail {

// 1-based character columns from yaml-cpp's byte columns. Asked in document order, it goes
// on from the last answer on the same line, so a manifest written as one long line costs one
// pass, not one per node.
class CharColumns {
public:
    explicit CharColumns(std::string_view text) noexcept : m_text(text) {}
    std::uint32_t at(std::size_t offset, std::size_t byte_column) noexcept;

private:
    std::string_view m_text;
    std::size_t m_line_start = 0;
    std::size_t m_offset = 0;
    std::uint32_t m_column = 1;
};

enum class ScalarStyle : std::uint8_t { plain, single_quoted, double_quoted, block };

// Past a node's properties (`&anchor`, `!tag`) and the blanks after them, to where its own
// text starts; `at` itself when it has none.
std::size_t skip_properties(std::string_view text, std::size_t at) noexcept;

// How the scalar whose text starts at `at` is written.
ScalarStyle style_at(std::string_view text, std::size_t at) noexcept;

// Just past the last character of a plain scalar that starts at `start` and whose parsed
// value is `value` (line folds read as one space), or nothing when the text does not match.
std::optional<std::size_t> plain_end(std::string_view text, std::size_t start, std::string_view value) noexcept;

// Whether the quoted scalar whose opening quote is at `at` has its closing quote. yaml-cpp
// 0.7 ends an unclosed one silently at the end of the input, with the rest of the file in it.
bool quote_is_closed(std::string_view text, std::size_t at) noexcept;

// The null word written at `at` ("~", "null", "Null", "NULL"), or "" for an empty value.
std::string_view null_word_at(std::string_view text, std::size_t at) noexcept;

// The name of the alias written at `at` (`*name`), without the star.
std::string_view alias_name_at(std::string_view text, std::size_t at) noexcept;

// The first character YAML does not allow anywhere (C0 controls but tab, CR and LF; DEL).
// yaml-cpp reads byte 0x04 as the end of its input and would drop everything after it.
std::optional<std::size_t> find_control_character(std::string_view text) noexcept;

} // namespace evobatch::manifest::detail
