#include "yaml_source.hpp"

#include <algorithm>

namespace evobatch::manifest::detail {

namespace {

bool is_continuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }
bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }
bool is_space(char c) noexcept { return is_blank(c) || c == '\r' || c == '\n'; }
// Ends a word that is not inside a flow collection's brackets too.
bool ends_word(char c) noexcept { return is_space(c) || c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

} // namespace

std::uint32_t CharColumns::at(std::size_t offset, std::size_t byte_column) noexcept {
    offset = std::min(offset, m_text.size());
    std::size_t const line_start = offset - std::min(offset, byte_column);
    if (line_start != m_line_start || offset < m_offset) {
        m_line_start = line_start;
        m_offset = line_start;
        m_column = 1;
    }
    for (; m_offset < offset; ++m_offset) {
        m_column += is_continuation(m_text[m_offset]) ? 0 : 1;
    }
    return m_column;
}

std::size_t skip_properties(std::string_view text, std::size_t at) noexcept {
    while (at < text.size() && (text[at] == '&' || text[at] == '!')) {
        while (at < text.size() && !is_space(text[at])) {
            ++at;
        }
        while (at < text.size() && is_space(text[at])) {
            ++at;
        }
    }
    return at;
}

ScalarStyle style_at(std::string_view text, std::size_t at) noexcept {
    if (at >= text.size()) {
        return ScalarStyle::plain;
    }
    switch (text[at]) {
    case '\'': return ScalarStyle::single_quoted;
    case '"': return ScalarStyle::double_quoted;
    case '|':
    case '>': return ScalarStyle::block;
    default: return ScalarStyle::plain;
    }
}

std::optional<std::size_t> plain_end(std::string_view text, std::size_t start, std::string_view value) noexcept {
    std::size_t i = 0;
    std::size_t j = start;
    while (i < value.size()) {
        if (j >= text.size()) {
            return std::nullopt;
        }
        bool const value_fold = value[i] == ' ' || value[i] == '\n';
        if (value_fold && is_space(text[j])) {
            // A run of blanks and line breaks in the text is one space (or line feeds) in the value.
            while (i < value.size() && is_space(value[i])) {
                ++i;
            }
            while (j < text.size() && is_space(text[j])) {
                ++j;
            }
            continue;
        }
        if (value[i] != text[j]) {
            return std::nullopt;
        }
        ++i;
        ++j;
    }
    return j;
}

bool quote_is_closed(std::string_view text, std::size_t at) noexcept {
    if (at >= text.size()) {
        return false;
    }
    char const quote = text[at];
    for (std::size_t i = at + 1; i < text.size(); ++i) {
        if (quote == '"' && text[i] == '\\') {
            ++i; // an escape: the next character is never the end
        } else if (text[i] == quote) {
            if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
                ++i; // '' is a quote inside single quotes
            } else {
                return true;
            }
        }
    }
    return false;
}

std::string_view null_word_at(std::string_view text, std::size_t at) noexcept {
    for (std::string_view const word : {"~", "null", "Null", "NULL"}) {
        std::size_t const end = at + word.size();
        if (text.substr(at, word.size()) == word && (end == text.size() || ends_word(text[end]) || text[end] == '#')) {
            return text.substr(at, word.size());
        }
    }
    return {};
}

std::string_view alias_name_at(std::string_view text, std::size_t at) noexcept {
    if (at >= text.size() || text[at] != '*') {
        return {};
    }
    std::size_t end = at + 1;
    while (end < text.size() && !ends_word(text[end])) {
        ++end;
    }
    return text.substr(at + 1, end - at - 1);
}

std::optional<std::size_t> find_control_character(std::string_view text) noexcept {
    auto const bad = std::find_if(text.begin(), text.end(), [](char c) {
        auto const u = static_cast<unsigned char>(c);
        return (u < 0x20U && c != '\t' && c != '\n' && c != '\r') || u == 0x7FU;
    });
    if (bad == text.end()) {
        return std::nullopt;
    }
    return static_cast<std::size_t>(bad - text.begin());
}

} // namespace evobatch::manifest::detail
