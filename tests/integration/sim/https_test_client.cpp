#include "https_test_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/err.h>

#include <algorithm>
#include <cctype>
#include <optional>

namespace evobatch::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using boost::system::error_code;

namespace {
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
constexpr auto k_step_timeout = std::chrono::seconds{10};
constexpr std::uint64_t k_max_body = 512ull << 20;
} // namespace

struct HttpsTestClient::Impl {
    asio::any_io_executor executor;
    ssl::context tls{ssl::context::tls_client};
    std::uint16_t port;
    std::string expected_name;
    std::string address;
    std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
    beast::flat_buffer buffer;
};

HttpsTestClient::HttpsTestClient(asio::any_io_executor executor, std::filesystem::path const& ca_file,
                                 std::uint16_t port, std::string expected_name, std::string address)
    : m_impl(std::make_unique<Impl>()) {
    m_impl->executor = std::move(executor);
    m_impl->port = port;
    m_impl->expected_name = std::move(expected_name);
    m_impl->address = std::move(address);
    m_impl->tls.set_verify_mode(ssl::verify_peer);
    m_impl->tls.load_verify_file(ca_file.string());
}

HttpsTestClient::~HttpsTestClient() = default;

bool HttpsTestClient::connected() const noexcept {
    return m_impl->stream.has_value();
}

asio::awaitable<error_code> HttpsTestClient::connect() {
    Impl& d = *m_impl;
    d.stream.reset();
    d.buffer.clear();
    auto& stream = d.stream.emplace(d.executor, d.tls);
    if (SSL_set_tlsext_host_name(stream.native_handle(), d.expected_name.c_str()) != 1) {
        d.stream.reset();
        co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    }
    stream.set_verify_callback(ssl::host_name_verification(d.expected_name));
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_after(k_step_timeout);
    asio::ip::tcp::endpoint const endpoint(asio::ip::make_address(d.address), d.port);
    if (auto const [ec] = co_await tcp.async_connect(endpoint, use_nothrow); ec) {
        d.stream.reset();
        co_return ec;
    }
    tcp.expires_after(k_step_timeout);
    if (auto const [ec] = co_await stream.async_handshake(ssl::stream_base::client, use_nothrow); ec) {
        d.stream.reset();
        co_return ec;
    }
    tcp.expires_never();
    co_return error_code{};
}

asio::awaitable<boost::system::result<HttpReply>> HttpsTestClient::send(HttpCall call) {
    Impl& d = *m_impl;
    if (!d.stream) {
        if (auto const ec = co_await connect()) {
            co_return ec;
        }
    }
    auto& stream = *d.stream;
    auto& tcp = beast::get_lowest_layer(stream);
    http::request<http::string_body> req{http::string_to_verb(call.method), call.target, 11};
    req.set(http::field::host, d.expected_name);
    req.set(http::field::user_agent, "evobatch-sim-test");
    for (auto const& [name, value] : call.headers) {
        req.set(name, value);
    }
    if (http::string_to_verb(call.method) == http::verb::unknown) {
        req.method_string(call.method);
    }
    req.body() = std::move(call.body);
    req.prepare_payload();
    tcp.expires_after(k_step_timeout);
    if (auto const [ec, n] = co_await http::async_write(stream, req, use_nothrow); ec) {
        d.stream.reset();
        co_return ec;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(k_max_body);
    tcp.expires_after(k_step_timeout);
    if (auto const [ec, n] = co_await http::async_read(stream, d.buffer, parser, use_nothrow); ec) {
        d.stream.reset();
        co_return ec;
    }
    tcp.expires_never();
    auto res = parser.release();
    HttpReply reply;
    reply.status = res.result_int();
    for (auto const& field : res) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        reply.headers[name] = std::string(field.value());
    }
    reply.body = std::move(res.body());
    if (!res.keep_alive()) {
        d.stream.reset();
    }
    co_return reply;
}

asio::awaitable<void> HttpsTestClient::close() {
    Impl& d = *m_impl;
    if (!d.stream) {
        co_return;
    }
    beast::get_lowest_layer(*d.stream).expires_after(k_step_timeout);
    co_await d.stream->async_shutdown(use_nothrow);
    d.stream.reset();
}

} // namespace evobatch::test
