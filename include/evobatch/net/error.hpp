#pragma once
// Our own network error codes, for failures that Asio/Beast/OpenSSL codes do not name well.
// Timeouts always surface as NetErrc::timeout, never as a bare operation_aborted.

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace evobatch::net {

enum class NetErrc {
    timeout = 1,         // a connect, handshake, write, read or the whole request took too long
    insecure_url,        // http:// to a host that is not loopback: refused, nothing sent
    bad_url,             // not an absolute http(s) URL
    bad_header,          // a request header that would break the request (CR/LF injection)
    resolve_failed,      // DNS lookup failed
    connect_failed,      // no TCP connection
    tls_failed,          // TLS handshake failed (certificate not trusted, wrong host name, protocol)
    connection_closed,   // the peer closed or reset the connection mid-exchange
    body_too_large,      // the response body exceeded the configured cap
    bad_response,        // not parseable as HTTP
    host_not_found,      // DNS answered that the name does not exist: asking again will not help
};

boost::system::error_category const& net_category() noexcept;

// What a failed host name lookup (not a timeout) means: host_not_found when the answer is that
// the name does not exist (Asio's host_not_found, "authoritative"), resolve_failed when there was
// no usable answer for now (host_not_found_try_again, a server failure...).
NetErrc lookup_failure(boost::system::error_code const& resolver_error) noexcept;

inline boost::system::error_code make_error_code(NetErrc e) noexcept {
    return {static_cast<int>(e), net_category()};
}

} // namespace evobatch::net

template <>
struct boost::system::is_error_code_enum<evobatch::net::NetErrc> : std::true_type {};
