#include "connection.hpp"

#include "evobatch/net/error.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace evobatch::net::detail {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

clock::time_point earlier(clock::time_point deadline, std::chrono::milliseconds step) {
    return std::min(deadline, clock::now() + step);
}

// async_resolve ignores per-operation cancellation, so a timer cancels the resolver itself.
// Both live in shared_ptrs: the timer's handler may run after this frame is gone.
asio::awaitable<std::tuple<error_code, tcp::resolver::results_type>> resolve(Endpoint const& ep,
                                                                             clock::time_point deadline) {
    auto const executor = co_await asio::this_coro::executor;
    auto resolver = std::make_shared<tcp::resolver>(executor);
    auto timer = std::make_shared<asio::steady_timer>(executor, deadline);
    auto timed_out = std::make_shared<bool>(false);
    timer->async_wait([resolver, timed_out](error_code ec) {
        if (!ec) {
            *timed_out = true;
            resolver->cancel();
        }
    });
    auto flags = ep.ip_literal ? tcp::resolver::numeric_host : tcp::resolver::flags{};
    auto [ec, results] = co_await resolver->async_resolve(ep.host, ep.port, flags, use_nothrow);
    timer->cancel();
    if (*timed_out) {
        ec = NetErrc::timeout;
    }
    co_return std::tuple{ec, std::move(results)};
}

std::string tls_failure_detail(SSL* ssl, error_code const& ec) {
    long const verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) {
        return std::string("certificate rejected: ") + X509_verify_cert_error_string(verify);
    }
    return ec.message();
}

} // namespace

Connection::Connection(asio::any_io_executor executor, ssl::context& tls, Endpoint const& endpoint)
    : m_endpoint(endpoint) {
    if (endpoint.tls) {
        m_secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, tls);
    } else {
        m_plain = std::make_unique<beast::tcp_stream>(executor);
    }
}

beast::tcp_stream& Connection::tcp() noexcept { return m_secure ? beast::get_lowest_layer(*m_secure) : *m_plain; }

asio::awaitable<ConnectResult> Connection::open(ConnectTimeouts timeouts) {
    auto [resolve_error, results] = co_await resolve(m_endpoint, earlier(timeouts.deadline, timeouts.connect));
    if (resolve_error) {
        co_return ConnectResult{resolve_error == NetErrc::timeout ? error_code(NetErrc::timeout)
                                                                  : error_code(lookup_failure(resolve_error)),
                                resolve_error.message()};
    }
    tcp().expires_at(earlier(timeouts.deadline, timeouts.connect));
    auto [connect_error, connected] = co_await tcp().async_connect(results, use_nothrow);
    if (connect_error) {
        co_return ConnectResult{connect_error == beast::error::timeout ? error_code(NetErrc::timeout)
                                                                       : error_code(NetErrc::connect_failed),
                                connect_error.message()};
    }
    error_code ignored;
    tcp().socket().set_option(tcp::no_delay(true), ignored); // a latency nicety; failure is harmless
    if (!m_secure) {
        co_return ConnectResult{};
    }
    // SNI only for names (RFC 6066 forbids IP literals there); verification for both.
    if (!m_endpoint.ip_literal && SSL_set_tlsext_host_name(m_secure->native_handle(), m_endpoint.host.c_str()) != 1) {
        co_return ConnectResult{NetErrc::tls_failed, "cannot set the TLS server name"};
    }
    m_secure->set_verify_callback(ssl::host_name_verification(m_endpoint.host));
    tcp().expires_at(earlier(timeouts.deadline, timeouts.handshake));
    auto [handshake_error] = co_await m_secure->async_handshake(ssl::stream_base::client, use_nothrow);
    if (handshake_error) {
        co_return ConnectResult{handshake_error == beast::error::timeout ? error_code(NetErrc::timeout)
                                                                         : error_code(NetErrc::tls_failed),
                                tls_failure_detail(m_secure->native_handle(), handshake_error)};
    }
    co_return ConnectResult{};
}

bool Connection::peer_gone() noexcept {
    if (!tcp().socket().is_open()) {
        return true;
    }
    char byte = 0;
    ssize_t const n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0) {
        return errno != EAGAIN && errno != EWOULDBLOCK;
    }
    return true; // 0: orderly close; > 0: bytes nobody asked for (an alert, a stray answer)
}

void Connection::close() noexcept {
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
}

} // namespace evobatch::net::detail
