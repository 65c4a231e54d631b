#include "evobatch/net/http_fields.hpp"

#include "evobatch/util/text.hpp"

namespace evobatch::net {

std::optional<ContentRange> parse_content_range(std::string_view value) {
    if (!value.starts_with("bytes ")) {
        return std::nullopt;
    }
    value.remove_prefix(6);
    auto const dash = value.find('-');
    auto const slash = value.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) {
        return std::nullopt;
    }
    auto const first = util::parse_decimal(value.substr(0, dash));
    auto const last = util::parse_decimal(value.substr(dash + 1, slash - dash - 1));
    std::string_view const total_text = value.substr(slash + 1);
    auto const total = total_text == "*" ? std::optional<std::uint64_t>() : util::parse_decimal(total_text);
    if (!first || !last || *last < *first || (total_text != "*" && (!total || *last >= *total))) {
        return std::nullopt;
    }
    return ContentRange{*first, *last, total};
}

std::optional<std::string> redirect_target(std::string const& from, std::string_view location) {
    if (location.starts_with("https://") || location.starts_with("http://")) {
        return std::string(location); // http is refused by the client unless it is loopback
    }
    if (location.starts_with("/") && !location.starts_with("//")) {
        auto const scheme = from.find("://");
        auto const path = from.find('/', scheme == std::string::npos ? 0 : scheme + 3);
        return from.substr(0, path) + std::string(location);
    }
    return std::nullopt;
}

} // namespace evobatch::net
