#include "url_rules.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <fmt/format.h>

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include "evobatch/util/utf8.hpp"

namespace evobatch::manifest::detail {

namespace urls = boost::urls;

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool is_internal_ipv4(std::uint32_t a) {
    struct Range {
        std::uint32_t base;
        int prefix;
    };
    // RFC 6890 special-purpose blocks that never name a public server.
    static constexpr std::array<Range, 9> k_blocked{{
        {0x00000000U, 8},  // "this network"
        {0x0A000000U, 8},  // 10/8 private
        {0x64400000U, 10}, // 100.64/10 carrier-grade NAT
        {0x7F000000U, 8},  // 127/8 loopback
        {0xA9FE0000U, 16}, // 169.254/16 link-local (cloud metadata lives here)
        {0xAC100000U, 12}, // 172.16/12 private
        {0xC0A80000U, 16}, // 192.168/16 private
        {0xE0000000U, 4},  // multicast
        {0xF0000000U, 4},  // reserved and broadcast
    }};
    return std::any_of(k_blocked.begin(), k_blocked.end(), [a](Range const& r) {
        std::uint32_t const mask = r.prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - r.prefix);
        return (a & mask) == r.base;
    });
}

bool is_internal_ipv6(std::array<unsigned char, 16> const& b) {
    bool const first_80_zero = std::all_of(b.begin(), b.begin() + 10, [](unsigned char c) { return c == 0; });
    std::uint32_t const low32 = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                                (std::uint32_t{b[14]} << 8) | std::uint32_t{b[15]};
    if (first_80_zero && b[10] == 0 && b[11] == 0) {
        return low32 <= 1 || is_internal_ipv4(low32); // ::, ::1, or IPv4-compatible
    }
    if (first_80_zero && b[10] == 0xFF && b[11] == 0xFF) {
        return is_internal_ipv4(low32); // IPv4-mapped
    }
    return (b[0] & 0xFEU) == 0xFCU                   // fc00::/7 unique local
           || (b[0] == 0xFEU && (b[1] & 0xC0U) == 0x80U) // fe80::/10 link-local
           || b[0] == 0xFFU;                          // multicast
}

// inet_aton accepts every legacy IPv4 spelling a resolver might honour ("127.1",
// "0x7f.0.0.1", "2130706433"), which is exactly what a filter must not miss.
std::optional<std::uint32_t> legacy_ipv4(std::string const& host) {
    bool const numeric_looking = !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isxdigit(c) != 0 || c == '.' || c == 'x' || c == 'X';
    });
    in_addr addr{};
    if (!numeric_looking || inet_aton(host.c_str(), &addr) == 0) {
        return std::nullopt;
    }
    return ntohl(addr.s_addr);
}

bool is_internal_host(urls::url_view const& u) {
    switch (u.host_type()) {
    case urls::host_type::ipv4:
        return is_internal_ipv4(u.host_ipv4_address().to_uint());
    case urls::host_type::ipv6:
        return is_internal_ipv6(u.host_ipv6_address().to_bytes());
    case urls::host_type::ipvfuture:
        return true;
    case urls::host_type::name: {
        std::string host = lower(u.host());
        while (!host.empty() && host.back() == '.') {
            host.pop_back();
        }
        if (host.empty() || host == "localhost" || host.ends_with(".localhost")) {
            return true;
        }
        if (auto const v4 = legacy_ipv4(host)) {
            return is_internal_ipv4(*v4);
        }
        return false;
    }
    default:
        return true;
    }
}

bool is_loopback_host(urls::url_view const& u) {
    switch (u.host_type()) {
    case urls::host_type::ipv4:
        return (u.host_ipv4_address().to_uint() >> 24) == 127;
    case urls::host_type::ipv6:
        return u.host_ipv6_address().is_loopback();
    case urls::host_type::name:
        return lower(u.host()) == "localhost";
    default:
        return false;
    }
}

// Parses an absolute http(s) URL with a host, or says what is wrong with it.
std::optional<std::string> parse_web_url(std::string_view url, urls::url_view& out) {
    auto parsed = urls::parse_uri(url);
    if (!parsed) {
        return fmt::format("'{}' is not a valid URL (spaces and some characters must be %-encoded)", url);
    }
    out = *parsed;
    if (out.scheme_id() != urls::scheme::http && out.scheme_id() != urls::scheme::https) {
        return fmt::format("'{}' must be an http or https URL", url);
    }
    if (!out.has_authority() || out.host().empty()) {
        return fmt::format("'{}' has no host name", url);
    }
    return std::nullopt;
}

std::string last_segment(urls::url_view const& u) {
    std::string path = u.path();
    auto const slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

std::optional<std::string> check_media_url(std::string_view url, std::span<std::string_view const> extensions) {
    urls::url_view u;
    if (auto problem = parse_web_url(url, u)) {
        return problem;
    }
    std::string const name = lower(last_segment(u));
    bool const allowed = std::any_of(extensions.begin(), extensions.end(),
                                     [&](std::string_view ext) { return name.ends_with(ext) && name.size() > ext.size(); });
    if (!allowed) {
        return fmt::format("'{}' must name a {} file (the path must end in {})", url,
                           fmt::join(extensions, "/"), fmt::join(extensions, " or "));
    }
    return std::nullopt;
}

std::optional<std::string> check_callback_url(std::string_view url) {
    std::size_t const length = util::count_code_points(url);
    if (length > k_max_callback_length) {
        return fmt::format("has {} characters; the limit is {}", length, k_max_callback_length);
    }
    urls::url_view u;
    if (auto problem = parse_web_url(url, u)) {
        return problem;
    }
    if (u.scheme_id() != urls::scheme::https) {
        return fmt::format("'{}' must use https (the API calls back over HTTPS only)", url);
    }
    if (is_internal_host(u)) {
        return fmt::format("'{}' points at localhost or an internal address, which the API refuses; use a public "
                           "https endpoint",
                           url);
    }
    return std::nullopt;
}

std::optional<std::string> check_base_url(std::string_view url) {
    urls::url_view u;
    if (auto problem = parse_web_url(url, u)) {
        return problem;
    }
    if (u.scheme_id() == urls::scheme::http && !is_loopback_host(u)) {
        return fmt::format("'{}' must use https; plain http is accepted only for a loopback host (the simulator)",
                           url);
    }
    if (u.has_query() || u.has_fragment() || u.has_userinfo()) {
        return fmt::format("'{}' must not carry a query, fragment or user name", url);
    }
    return std::nullopt;
}

bool has_internal_host(std::string_view url) {
    urls::url_view u;
    return !parse_web_url(url, u) && is_internal_host(u);
}

std::string file_stem_of(std::string_view url) {
    auto parsed = urls::parse_uri(url);
    if (!parsed) {
        return {};
    }
    std::string name = last_segment(*parsed);
    auto const dot = name.rfind('.');
    if (dot != std::string::npos && dot != 0) {
        name.resize(dot);
    }
    return name;
}

} // namespace evobatch::manifest::detail
