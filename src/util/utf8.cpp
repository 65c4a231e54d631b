#include "evobatch/util/utf8.hpp"

namespace evobatch::util {

namespace {

bool is_continuation(unsigned char c) noexcept { return (c & 0xC0U) == 0x80U; }

// Length of the well-formed sequence starting at text[i], or 0 (Unicode table 3-7).
std::size_t sequence_length(std::string_view text, std::size_t i) noexcept {
    auto const at = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char const c = at(i);
    std::size_t const left = text.size() - i;
    if (c < 0x80U) {
        return 1;
    }
    if (c >= 0xC2U && c <= 0xDFU) {
        return left >= 2 && is_continuation(at(i + 1)) ? 2 : 0;
    }
    if (c >= 0xE0U && c <= 0xEFU) {
        if (left < 3 || !is_continuation(at(i + 1)) || !is_continuation(at(i + 2))) {
            return 0;
        }
        unsigned char const c1 = at(i + 1);
        if ((c == 0xE0U && c1 < 0xA0U) || (c == 0xEDU && c1 > 0x9FU)) {
            return 0; // overlong, or a UTF-16 surrogate
        }
        return 3;
    }
    if (c >= 0xF0U && c <= 0xF4U) {
        if (left < 4 || !is_continuation(at(i + 1)) || !is_continuation(at(i + 2)) ||
            !is_continuation(at(i + 3))) {
            return 0;
        }
        unsigned char const c1 = at(i + 1);
        if ((c == 0xF0U && c1 < 0x90U) || (c == 0xF4U && c1 > 0x8FU)) {
            return 0; // overlong, or above U+10FFFF
        }
        return 4;
    }
    return 0;
}

} // namespace

std::optional<std::size_t> find_invalid_utf8(std::string_view text) noexcept {
    std::size_t i = 0;
    while (i < text.size()) {
        // Fast path: ASCII runs, eight bytes at a time would be faster still but this is not hot.
        if (static_cast<unsigned char>(text[i]) < 0x80U) {
            ++i;
            continue;
        }
        std::size_t const n = sequence_length(text, i);
        if (n == 0) {
            return i;
        }
        i += n;
    }
    return std::nullopt;
}

TextPosition position_of(std::string_view text, std::size_t offset) noexcept {
    TextPosition pos;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        unsigned char const c = static_cast<unsigned char>(text[i]);
        if (c == '\n') {
            ++pos.line;
            pos.column = 1;
        } else if (!is_continuation(c)) {
            ++pos.column;
        }
    }
    return pos;
}

std::size_t count_code_points(std::string_view valid_utf8) noexcept {
    std::size_t n = 0;
    for (char const ch : valid_utf8) {
        if (!is_continuation(static_cast<unsigned char>(ch))) {
            ++n;
        }
    }
    return n;
}

} // namespace evobatch::util
