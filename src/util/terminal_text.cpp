#include "evobatch/util/terminal_text.hpp"

#include "evobatch/util/utf8.hpp"

namespace evobatch::util {

namespace {

// `text` with every byte that does not start a well-formed sequence replaced by '?'.
std::string repair_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    while (!text.empty()) {
        auto const bad = find_invalid_utf8(text);
        if (!bad) {
            out.append(text);
            break;
        }
        out.append(text.substr(0, *bad));
        out.push_back('?');
        text.remove_prefix(*bad + 1);
    }
    return out;
}

} // namespace

std::string clean_text(std::string_view text) {
    std::string out = repair_utf8(text);
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto const c = static_cast<unsigned char>(out[i]);
        if (c < 0x20 || c == 0x7F) {
            out[i] = ' ';
        } else if (c == 0xC2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) < 0xA0) {
            // U+0080..U+009F, the C1 controls: U+009B is a one-character CSI for some terminals.
            out[i] = ' ';
            out[i + 1] = ' ';
            ++i;
        }
    }
    return out;
}

} // namespace evobatch::util
