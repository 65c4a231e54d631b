#include "endpoint.hpp"

#include "evobatch/net/error.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace evobatch::net::detail {

namespace urls = boost::urls;

std::optional<Endpoint> parse_endpoint(std::string_view url, boost::system::error_code& ec) {
    auto parsed = urls::parse_uri(url);
    if (!parsed || !parsed->has_authority() || parsed->host().empty()) {
        ec = NetErrc::bad_url;
        return std::nullopt;
    }
    urls::url_view const& u = *parsed;
    Endpoint ep;
    if (u.scheme_id() == urls::scheme::https) {
        ep.tls = true;
    } else if (u.scheme_id() == urls::scheme::http) {
        ep.tls = false;
    } else {
        ec = NetErrc::bad_url;
        return std::nullopt;
    }
    switch (u.host_type()) {
    case urls::host_type::ipv4:
        ep.host = u.host_ipv4_address().to_string();
        ep.ip_literal = true;
        break;
    case urls::host_type::ipv6:
        ep.host = u.host_ipv6_address().to_string();
        ep.ip_literal = true;
        break;
    case urls::host_type::name:
        ep.host = u.host();
        break;
    default:
        ec = NetErrc::bad_url;
        return std::nullopt;
    }
    bool const loopback = (u.host_type() == urls::host_type::ipv4 && (u.host_ipv4_address().to_uint() >> 24) == 127) ||
                          (u.host_type() == urls::host_type::ipv6 && u.host_ipv6_address().is_loopback()) ||
                          ep.host == "localhost";
    if (!ep.tls && !loopback) {
        ec = NetErrc::insecure_url;
        return std::nullopt;
    }
    ep.port = u.has_port() ? std::string(u.port()) : (ep.tls ? "443" : "80");
    ep.host_header = std::string(u.encoded_host_and_port());
    ep.target = std::string(u.encoded_path().empty() ? std::string_view("/") : std::string_view(u.encoded_path()));
    if (u.has_query()) {
        ep.target += "?";
        ep.target += std::string_view(u.encoded_query());
    }
    ec = {};
    return ep;
}

} // namespace evobatch::net::detail
