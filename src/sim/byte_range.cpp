#include "byte_range.hpp"

#include <charconv>
#include <optional>

namespace evobatch::sim {

namespace {

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<std::uint64_t> number(std::string_view s) noexcept {
    std::uint64_t n = 0;
    auto const [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return n;
}

bool iequals_prefix(std::string_view s, std::string_view prefix) noexcept {
    if (s.size() < prefix.size()) {
        return false;
    }
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != prefix[i]) {
            return false;
        }
    }
    return true;
}

} // namespace

RangeRequest parse_range(std::string_view header, std::uint64_t size) noexcept {
    using Kind = RangeRequest::Kind;
    header = trim(header);
    if (!iequals_prefix(header, "bytes=")) {
        return {};
    }
    std::string_view const spec = trim(header.substr(6));
    auto const dash = spec.find('-');
    if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) {
        return {};
    }
    auto const first_text = trim(spec.substr(0, dash));
    auto const last_text = trim(spec.substr(dash + 1));
    if (first_text.empty()) { // suffix range: the last n bytes
        auto const n = number(last_text);
        if (!n) {
            return {};
        }
        if (*n == 0 || size == 0) {
            return {Kind::unsatisfiable};
        }
        return {Kind::partial, *n >= size ? 0 : size - *n, size - 1};
    }
    auto const first = number(first_text);
    std::optional<std::uint64_t> last;
    if (!last_text.empty()) {
        last = number(last_text);
        if (!last) {
            return {};
        }
    }
    if (!first || (last && *last < *first)) {
        return {}; // syntactically invalid: ignored, as RFC 9110 says
    }
    if (*first >= size) {
        return {Kind::unsatisfiable};
    }
    std::uint64_t const end = last && *last < size ? *last : size - 1;
    return {Kind::partial, *first, end};
}

} // namespace evobatch::sim
