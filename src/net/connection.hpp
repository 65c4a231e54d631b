#pragma once
// One pooled connection: a TCP stream, wrapped in TLS unless the endpoint is loopback http.
// Internal to src/net (includes Beast).

#include "endpoint.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace evobatch::net::detail {

struct ConnectTimeouts {
    std::chrono::steady_clock::time_point deadline; // the whole request's
    std::chrono::milliseconds connect;
    std::chrono::milliseconds handshake;
};

struct ConnectResult {
    boost::system::error_code error; // NetErrc::{timeout, resolve_failed, host_not_found, connect_failed, tls_failed}
    std::string detail;              // the underlying reason
};

class Connection {
public:
    Connection(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls, Endpoint const& endpoint);

    // Resolves, connects and (for https) handshakes with SNI and host name verification.
    boost::asio::awaitable<ConnectResult> open(ConnectTimeouts timeouts);

    [[nodiscard]] boost::beast::tcp_stream& tcp() noexcept;

    // True when the peer closed the idle connection or sent something unasked: not reusable.
    [[nodiscard]] bool peer_gone() noexcept;

    void close() noexcept;

    template <class F>
    decltype(auto) with_stream(F&& f) {
        if (m_secure) {
            return f(*m_secure);
        }
        return f(*m_plain);
    }

    boost::beast::flat_buffer buffer;
    std::chrono::steady_clock::time_point idle_since{};
    std::uint64_t served = 0; // responses read on this connection

private:
    Endpoint m_endpoint;
    std::unique_ptr<boost::beast::tcp_stream> m_plain;
    std::unique_ptr<boost::beast::ssl_stream<boost::beast::tcp_stream>> m_secure;
};

} // namespace evobatch::net::detail
