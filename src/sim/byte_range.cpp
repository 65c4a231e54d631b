#include "byte_range.hpp"

#include "evobatch/util/text.hpp"

#include <optional>

namespace evobatch::sim {

RangeRequest parse_range(std::string_view header, std::uint64_t size) noexcept {
    using Kind = RangeRequest::Kind;
    header = util::trim_ows(header);
    if (header.size() < 6 || !util::iequals(header.substr(0, 6), "bytes=")) {
        return {};
    }
    std::string_view const spec = util::trim_ows(header.substr(6));
    auto const dash = spec.find('-');
    if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) {
        return {};
    }
    auto const first_text = util::trim_ows(spec.substr(0, dash));
    auto const last_text = util::trim_ows(spec.substr(dash + 1));
    if (first_text.empty()) { // suffix range: the last n bytes
        auto const n = util::parse_decimal(last_text);
        if (!n) {
            return {};
        }
        if (*n == 0 || size == 0) {
            return {Kind::unsatisfiable};
        }
        return {Kind::partial, *n >= size ? 0 : size - *n, size - 1};
    }
    auto const first = util::parse_decimal(first_text);
    std::optional<std::uint64_t> last;
    if (!last_text.empty()) {
        last = util::parse_decimal(last_text);
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
