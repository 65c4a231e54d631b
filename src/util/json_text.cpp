#include "evobatch/util/json_text.hpp"

#include "evobatch/util/utf8.hpp"

namespace evobatch::util {

namespace {

constexpr std::string_view k_replacement_char = "\xEF\xBF\xBD"; // U+FFFD

// Escapes valid UTF-8 text, copying runs that need no escape in one append.
void append_escaped_valid(std::string_view text, std::string& out) {
    constexpr std::string_view k_hex = "0123456789abcdef";
    std::size_t run = 0; // start of the pending run of bytes that need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto const c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20U && c != '"' && c != '\\') {
            continue;
        }
        out.append(text.substr(run, i - run));
        run = i + 1;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            out += "\\u00";
            out += k_hex[c >> 4U];
            out += k_hex[c & 0xFU];
        }
    }
    out.append(text.substr(run));
}

} // namespace

void append_json_string(std::string_view text, std::string& out) {
    out += '"';
    while (!text.empty()) {
        auto const bad = util::find_invalid_utf8(text);
        if (!bad) {
            append_escaped_valid(text, out);
            break;
        }
        append_escaped_valid(text.substr(0, *bad), out);
        out += k_replacement_char;
        text.remove_prefix(*bad + 1);
    }
    out += '"';
}

} // namespace evobatch::util
