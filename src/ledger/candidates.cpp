#include "evobatch/ledger/candidates.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace evobatch::ledger {

std::vector<ListedCandidate> parse_candidates(std::string_view text) {
    std::vector<ListedCandidate> out;
    while (!text.empty()) {
        auto const space = text.find(' ');
        std::string_view token = text.substr(0, space);
        text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
        auto const at = token.rfind('@');
        if (at == std::string_view::npos || at == 0) {
            continue;
        }
        ListedCandidate c(std::string(token.substr(0, at)), 0);
        std::string_view rest = token.substr(at + 1);
        if (!rest.empty() && rest.back() == '!') {
            c.fits_length = false;
            rest.remove_suffix(1);
        }
        auto const tilde = rest.find('~');
        std::string_view const when = rest.substr(0, tilde);
        auto const [end, ec] = std::from_chars(when.data(), when.data() + when.size(), c.created_at);
        if (when.empty() || ec != std::errc() || end != when.data() + when.size()) {
            continue;
        }
        if (tilde != std::string_view::npos) {
            std::string_view const length = rest.substr(tilde + 1);
            double seconds = 0;
            auto const [lend, lec] = std::from_chars(length.data(), length.data() + length.size(), seconds);
            if (length.empty() || lec != std::errc() || lend != length.data() + length.size() ||
                !std::isfinite(seconds)) {
                continue;
            }
            c.duration = seconds;
        }
        out.push_back(std::move(c));
    }
    return out;
}

std::string candidates_text(std::vector<ListedCandidate> const& candidates) {
    std::string out;
    for (ListedCandidate const& c : candidates) {
        out += fmt::format("{}{}@{}", out.empty() ? "" : " ", c.id, c.created_at);
        if (c.duration) {
            out += fmt::format("~{}", *c.duration);
        }
        if (!c.fits_length) {
            out += '!';
        }
    }
    return out;
}

} // namespace evobatch::ledger
