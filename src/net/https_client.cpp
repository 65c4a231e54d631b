#include "evobatch/net/https_client.hpp"

#include "connection_pool.hpp"
#include "endpoint.hpp"
#include "request_text.hpp"

#include "evobatch/net/error.hpp"
#include "evobatch/net/tls_context.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <variant>
#include <vector>

namespace evobatch::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t k_max_header_bytes = 64 * 1024;
// Per read of a streamed body: a download sink hands each piece to the worker pool, and at
// 1 MiB the wake-ups of pool threads cost a quarter of what they did at 256 KiB.
constexpr std::size_t k_stream_chunk_bytes = 1024 * 1024;

// Failures after the request began to leave, in our terms.
error_code classify_exchange_error(error_code const& ec) {
    if (ec == beast::error::timeout) {
        return NetErrc::timeout;
    }
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow || ec == http::error::header_limit) {
        return NetErrc::body_too_large;
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
        ec == asio::ssl::error::stream_truncated) {
        return NetErrc::connection_closed;
    }
    if (ec.category() == error_code(http::error::bad_version).category()) {
        return NetErrc::bad_response;
    }
    return ec;
}

HttpOutcome failure(Delivery delivery, error_code ec, std::string detail) {
    HttpOutcome outcome;
    outcome.delivery = delivery;
    outcome.error = ec;
    outcome.detail = std::move(detail);
    return outcome;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

} // namespace

struct HttpsClient::Impl {
    Impl(asio::any_io_executor executor, TlsContext& tls, ClientOptions opts)
        : options(std::move(opts)),
          pool(std::move(executor), tls.native(), options.max_connections_per_host, options.idle_timeout) {}

    // Most requests go to the origin of the previous one: reuse its checked endpoint and only
    // take the new target, instead of parsing the whole URL again (a measurable share of the
    // client's CPU per request). Anything unusual takes the full parse.
    std::optional<detail::Endpoint> endpoint_for(std::string_view url, error_code& ec) {
        auto const scheme_end = url.find("://");
        auto const path_start = scheme_end == std::string_view::npos ? scheme_end : url.find_first_of("/?#", scheme_end + 3);
        if (m_last_endpoint && path_start != std::string_view::npos && url.substr(0, path_start) == m_last_origin) {
            std::string_view const target = url.substr(path_start);
            bool const clean = target.front() == '/' && std::all_of(target.begin(), target.end(), [](char c) {
                                   return c > 0x20 && c < 0x7F && c != '#';
                               });
            if (clean) {
                detail::Endpoint endpoint = *m_last_endpoint;
                endpoint.target = target;
                ec = {};
                return endpoint;
            }
        }
        auto endpoint = detail::parse_endpoint(url, ec);
        if (endpoint && path_start != std::string_view::npos) {
            m_last_origin = url.substr(0, path_start);
            m_last_endpoint = endpoint;
        }
        return endpoint;
    }

    // A request ready to go: its checked endpoint, its bytes and a pooled connection for them.
    struct Ready {
        detail::Endpoint endpoint;
        std::string text;
        detail::Lease lease;
    };

    // Checks the URL and headers and takes a connection (within `deadline`); when any of that
    // fails, the outcome of a request that was never sent.
    asio::awaitable<std::variant<Ready, HttpOutcome>> get_ready(HttpRequest const& request, clock::time_point deadline) {
        error_code ec;
        auto endpoint = endpoint_for(request.url, ec);
        if (!endpoint) {
            co_return failure(Delivery::not_sent, ec, ec.message());
        }
        auto text = detail::request_text(*endpoint, request, options.user_agent);
        if (!text) {
            co_return failure(Delivery::not_sent, NetErrc::bad_header, "a header name is not a token, or a value holds CR, LF or NUL");
        }
        ++stats.requests;
        detail::Lease lease =
            co_await pool.acquire(*endpoint, {deadline, options.connect_timeout, options.handshake_timeout});
        if (!lease.connection) {
            co_return failure(Delivery::not_sent, lease.error, lease.detail);
        }
        if (lease.connection->served > 0) {
            ++stats.connections_reused;
        }
        co_return Ready{std::move(*endpoint), std::move(*text), std::move(lease)};
    }

    asio::awaitable<HttpOutcome> send(HttpRequest request) {
        clock::time_point const deadline = clock::now() + options.request_timeout;
        auto ready = co_await get_ready(request, deadline);
        if (auto* not_sent = std::get_if<HttpOutcome>(&ready)) {
            co_return std::move(*not_sent);
        }
        auto& r = std::get<Ready>(ready);
        auto [outcome, keep_alive] = co_await exchange(*r.lease.connection, r.text, deadline);
        pool.release(r.endpoint, std::move(r.lease.connection), outcome.answered() && keep_alive);
        co_return outcome;
    }

    // Writes the request and reads the answer on an open connection; also says whether the
    // server lets the connection be reused.
    asio::awaitable<std::pair<HttpOutcome, bool>> exchange(detail::Connection& connection, std::string const& text,
                                                           clock::time_point deadline) {
        // The whole-request deadline bounds every step (expires_at on the lowest layer).
        connection.tcp().expires_at(deadline);
        auto [write_error, written] = co_await connection.with_stream(
            [&](auto& stream) { return asio::async_write(stream, asio::buffer(text), use_nothrow); });
        if (write_error) {
            // Some bytes may have left: for a POST the server may have acted on it.
            co_return std::pair{
                failure(Delivery::sent_no_answer, classify_exchange_error(write_error), write_error.message()), false};
        }
        http::response_parser<http::string_body> parser;
        parser.body_limit(options.max_body_bytes);
        parser.header_limit(k_max_header_bytes);
        connection.tcp().expires_at(deadline);
        auto [read_error, read] = co_await connection.with_stream(
            [&](auto& stream) { return http::async_read(stream, connection.buffer, parser, use_nothrow); });
        connection.tcp().expires_never();
        if (read_error) {
            co_return std::pair{
                failure(Delivery::sent_no_answer, classify_exchange_error(read_error), read_error.message()), false};
        }
        ++connection.served;
        auto& response = parser.get();
        bool const keep_alive = response.keep_alive();
        HttpOutcome outcome;
        outcome.delivery = Delivery::answered;
        outcome.response.status = static_cast<int>(response.result_int());
        for (auto const& field : response) {
            outcome.response.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
        }
        outcome.response.body = std::move(response.body());
        co_return std::pair{std::move(outcome), keep_alive};
    }

    asio::awaitable<HttpOutcome> stream(HttpRequest request, BodySink& sink, std::chrono::milliseconds idle_timeout) {
        // Connecting keeps the usual deadline; reading the body has only the idle timeout.
        auto ready = co_await get_ready(request, clock::now() + options.request_timeout);
        if (auto* not_sent = std::get_if<HttpOutcome>(&ready)) {
            co_return std::move(*not_sent);
        }
        auto& r = std::get<Ready>(ready);
        auto [outcome, reusable] = co_await stream_exchange(*r.lease.connection, r.text, sink, idle_timeout);
        pool.release(r.endpoint, std::move(r.lease.connection), reusable);
        co_return outcome;
    }

    asio::awaitable<std::pair<HttpOutcome, bool>> stream_exchange(detail::Connection& connection, std::string const& text,
                                                                  BodySink& sink, std::chrono::milliseconds idle) {
        connection.tcp().expires_after(idle);
        auto [write_error, written] = co_await connection.with_stream(
            [&](auto& stream) { return asio::async_write(stream, asio::buffer(text), use_nothrow); });
        if (write_error) {
            co_return std::pair{
                failure(Delivery::sent_no_answer, classify_exchange_error(write_error), write_error.message()), false};
        }
        http::response_parser<http::buffer_body> parser;
        parser.body_limit(boost::none); // the sink enforces its own cap
        parser.header_limit(k_max_header_bytes);
        connection.tcp().expires_after(idle);
        auto [head_error, head_bytes] = co_await connection.with_stream(
            [&](auto& stream) { return http::async_read_header(stream, connection.buffer, parser, use_nothrow); });
        if (head_error) {
            co_return std::pair{
                failure(Delivery::sent_no_answer, classify_exchange_error(head_error), head_error.message()), false};
        }
        HttpOutcome outcome;
        outcome.delivery = Delivery::answered;
        auto const& head = parser.get();
        outcome.response.status = static_cast<int>(head.result_int());
        for (auto const& field : head) {
            outcome.response.headers.emplace_back(lower(field.name_string()), std::string(field.value()));
        }
        bool const keep_alive = head.keep_alive();
        if (!sink.on_head(outcome.response)) {
            connection.tcp().expires_never();
            // Reusable only when nothing is left to read (a bodiless redirect, a 416).
            co_return std::pair{std::move(outcome), keep_alive && parser.is_done()};
        }
        if (auto const length = parser.content_length(); length && !parser.chunked()) {
            // No bigger than the body or the pieces the sink takes: a zeroed 1 MiB buffer for a
            // probe's 20-70 KB range cost more CPU (memset, page faults) than the TLS around it.
            std::vector<char> chunk(static_cast<std::size_t>(
                std::clamp<std::uint64_t>(std::min<std::uint64_t>(*length, sink.max_piece()), 1, k_stream_chunk_bytes)));
            co_return co_await stream_sized_body(connection, *length, chunk, sink, idle, std::move(outcome), keep_alive);
        }
        std::vector<char> chunk(k_stream_chunk_bytes);
        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            connection.tcp().expires_after(idle);
            auto [read_error, read] = co_await connection.with_stream(
                [&](auto& stream) { return http::async_read_some(stream, connection.buffer, parser, use_nothrow); });
            if (read_error && read_error != http::error::need_buffer) {
                connection.tcp().expires_never();
                outcome.error = classify_exchange_error(read_error);
                outcome.detail = read_error.message();
                co_return std::pair{std::move(outcome), false};
            }
            std::size_t const got = chunk.size() - parser.get().body().size;
            if (got > 0) {
                if (auto const sink_error = co_await sink.on_body(chunk, got)) {
                    connection.tcp().expires_never();
                    outcome.error = sink_error;
                    outcome.detail = sink_error.message();
                    co_return std::pair{std::move(outcome), false};
                }
            }
        }
        connection.tcp().expires_never();
        ++connection.served;
        co_return std::pair{std::move(outcome), keep_alive};
    }

    // A body of known length: the bytes already buffered behind the head, then straight from
    // the stream in large reads (a parser step per TLS record would cost several times the
    // decryption), each read bounded by the idle timeout.
    asio::awaitable<std::pair<HttpOutcome, bool>> stream_sized_body(detail::Connection& connection, std::uint64_t length,
                                                                    std::vector<char>& chunk, BodySink& sink,
                                                                    std::chrono::milliseconds idle, HttpOutcome outcome,
                                                                    bool keep_alive) {
        auto fail = [&](error_code ec, std::string detail) {
            connection.tcp().expires_never();
            outcome.error = ec;
            outcome.detail = std::move(detail);
            return std::pair{std::move(outcome), false};
        };
        std::uint64_t left = length;
        // The bytes that came with the head first.
        while (left > 0 && connection.buffer.size() > 0) {
            std::size_t const ahead = std::max<std::size_t>(1, static_cast<std::size_t>(std::min<std::uint64_t>(
                                                                  {connection.buffer.size(), left, chunk.size(), sink.max_piece()})));
            std::memcpy(chunk.data(), connection.buffer.data().data(), ahead);
            connection.buffer.consume(ahead);
            left -= ahead;
            if (auto const sink_error = co_await sink.on_body(chunk, ahead)) {
                co_return fail(sink_error, sink_error.message());
            }
        }
        while (left > 0) {
            std::size_t const want = std::max<std::size_t>(
                1, static_cast<std::size_t>(std::min<std::uint64_t>({left, chunk.size(), sink.max_piece()})));
            connection.tcp().expires_after(idle);
            auto [read_error, got] = co_await connection.with_stream([&](auto& stream) {
                return asio::async_read(stream, asio::buffer(chunk.data(), want), use_nothrow);
            });
            if (got > 0) {
                if (auto const sink_error = co_await sink.on_body(chunk, got)) {
                    co_return fail(sink_error, sink_error.message());
                }
                left -= got;
            }
            if (read_error) {
                co_return fail(classify_exchange_error(read_error), read_error.message());
            }
        }
        connection.tcp().expires_never();
        ++connection.served;
        co_return std::pair{std::move(outcome), keep_alive};
    }

    ClientOptions options;
    detail::ConnectionPool pool;
    ClientStats stats;
    std::string m_last_origin; // "https://host:port" of m_last_endpoint
    std::optional<detail::Endpoint> m_last_endpoint;
};

HttpsClient::HttpsClient(asio::any_io_executor executor, TlsContext& tls, ClientOptions options)
    : m_impl(std::make_unique<Impl>(std::move(executor), tls, std::move(options))) {}

HttpsClient::~HttpsClient() = default;

asio::awaitable<HttpOutcome> HttpsClient::send(HttpRequest request) { return m_impl->send(std::move(request)); }

asio::awaitable<HttpOutcome> HttpsClient::stream(HttpRequest request, BodySink& sink, std::chrono::milliseconds idle_timeout) {
    return m_impl->stream(std::move(request), sink, idle_timeout);
}

ClientStats HttpsClient::stats() const noexcept {
    ClientStats s = m_impl->stats;
    s.connections_opened = m_impl->pool.connections_opened();
    return s;
}

void HttpsClient::close_idle() { m_impl->pool.close_idle(); }

} // namespace evobatch::net
