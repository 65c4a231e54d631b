#pragma once
// Reading a user's text file whole, with the checks every input deserves: it exists, is a
// regular file, is not huge, and is UTF-8 (a bad byte is reported at its line and column).

#include "evobatch/util/utf8.hpp"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::manifest::detail {

inline constexpr std::size_t k_max_input_bytes = std::size_t{256} << 20;

struct TextProblem {
    std::string message;                     // e.g. "no such file; check the path"
    std::optional<util::TextPosition> at;    // set for a problem inside the text (a bad byte)
};

struct TextFile {
    std::string text;
    std::optional<TextProblem> problem;
};

TextFile read_text_file(std::filesystem::path const& path);

// The problem with `text` when it is not UTF-8.
std::optional<TextProblem> check_utf8(std::string_view text);

} // namespace evobatch::manifest::detail
