#pragma once
// Where a URL points: scheme, host, port and request target, checked for our rules.

#include <boost/system/error_code.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace evobatch::net::detail {

struct Endpoint {
    bool tls = true;
    bool ip_literal = false;   // no SNI for IP addresses
    std::string host;          // without brackets for IPv6
    std::string port;
    std::string target;        // path and query, at least "/"
    std::string host_header;   // host[:port] as the Host header wants it
    [[nodiscard]] std::string pool_key() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

// Parses an absolute http(s) URL; http is refused (NetErrc::insecure_url) unless the host is
// a loopback address or "localhost".
std::optional<Endpoint> parse_endpoint(std::string_view url, boost::system::error_code& ec);

} // namespace evobatch::net::detail
