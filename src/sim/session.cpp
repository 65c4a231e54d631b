#include "session.hpp"

#include "service.hpp"

#include "evobatch/sim/file_content.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace evobatch::sim {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using namespace std::chrono_literals;
using boost::system::error_code;

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
using Stream = beast::ssl_stream<beast::tcp_stream>;

constexpr auto k_handshake_timeout = 10s;
constexpr auto k_idle_timeout = 60s;
constexpr auto k_write_timeout = 30s;
constexpr auto k_shutdown_timeout = 2s;
constexpr auto k_stall = 300s; // a stalled answer waits this long at most for the client to give up
constexpr std::uint32_t k_header_limit = 16 * 1024;
constexpr std::size_t k_file_chunk = 256 * 1024;
constexpr std::uint64_t k_max_drain = 16 << 20;
constexpr unsigned k_http11 = 11;

std::string_view view(beast::string_view s) noexcept {
    return {s.data(), s.size()};
}

Request to_request(http::request<http::string_body> const& req) {
    Request r;
    r.method = view(req.method_string());
    r.target = view(req.target());
    if (auto const it = req.find(http::field::authorization); it != req.end()) {
        r.authorization = view(it->value());
    }
    if (auto const it = req.find("idempotency-key"); it != req.end()) {
        r.idempotency_key = view(it->value());
    }
    if (auto const it = req.find(http::field::range); it != req.end()) {
        r.range = view(it->value());
    }
    if (auto const it = req.find(http::field::if_range); it != req.end()) {
        r.if_range = view(it->value());
    }
    if (auto const it = req.find(http::field::if_none_match); it != req.end()) {
        r.if_none_match = view(it->value());
    }
    if (auto const it = req.find(http::field::if_modified_since); it != req.end()) {
        r.if_modified_since = view(it->value());
    }
    r.body = req.body();
    return r;
}

// A request the parser refused: answered once, then the connection is closed.
std::optional<Reply> unreadable(error_code const& ec, Service& service) {
    if (ec == http::error::body_limit) { // a chunked body that went over
        return service.reject(413, "request_too_large", "the request body is larger than 1 MiB");
    }
    if (ec == http::error::header_limit) {
        return service.reject(431, "headers_too_large", "the request headers are larger than 16 KiB");
    }
    bool const parse_error = &ec.category() == &http::make_error_code(http::error::bad_target).category() &&
                             ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (parse_error) {
        return service.reject(400, "bad_request", "malformed HTTP request");
    }
    return std::nullopt;
}

template <class Body> void set_headers(http::response<Body>& res, Reply const& reply, bool keep_alive) {
    res.version(k_http11);
    res.result(reply.status);
    res.set(http::field::server, "evobatch-sim");
    res.set("x-request-id", reply.request_id);
    if (!reply.content_type.empty()) { // a 304 describes no content
        res.set(http::field::content_type, reply.content_type);
    }
    for (auto const& [name, value] : reply.headers) {
        res.set(name, value);
    }
    res.keep_alive(keep_alive);
}

asio::awaitable<bool> write_reply(Stream& stream, Reply& reply, bool keep_alive) {
    http::response<http::string_body> res;
    set_headers(res, reply, keep_alive);
    res.body() = std::move(reply.body);
    res.prepare_payload();
    beast::get_lowest_layer(stream).expires_after(k_write_timeout);
    auto const [ec, n] = co_await http::async_write(stream, res, use_nothrow);
    co_return !ec;
}

// A head announcing `length` bytes, `sent` of them, then a stall until the client gives up (or
// `stall_for` passes) or, without a stall, a closed connection. Never reused. Garbage::stalled
// and short_body; a source medium's `?lie=stall`.
asio::awaitable<void> write_broken_reply(Stream& stream, Reply const& reply, std::uint64_t length,
                                         std::string_view sent, std::optional<std::chrono::milliseconds> stall_for) {
    http::response<http::empty_body> res;
    set_headers(res, reply, false);
    res.content_length(length);
    http::response_serializer<http::empty_body> serializer(res);
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_after(k_write_timeout);
    if (auto const [ec, n] = co_await http::async_write_header(stream, serializer, use_nothrow); ec) {
        co_return;
    }
    if (auto const [ec, n] = co_await asio::async_write(stream, asio::buffer(sent), use_nothrow); ec) {
        co_return;
    }
    if (stall_for) {
        tcp.expires_after(*stall_for);
        char byte = 0;
        co_await stream.async_read_some(asio::buffer(&byte, 1), use_nothrow); // ends when the client closes
    }
    error_code ignored;
    tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    tcp.close();
}

asio::awaitable<void> write_garbled_reply(Stream& stream, Reply const& reply) {
    std::string_view const body = reply.body;
    if (*reply.garbage == Garbage::stalled) {
        co_await write_broken_reply(stream, reply, body.size(), body.substr(0, body.size() / 2), k_stall);
    } else {
        co_await write_broken_reply(stream, reply, body.size() + 64, body, std::nullopt);
    }
}

void set_cork(asio::ip::tcp::socket& socket, bool on) noexcept {
    int const value = on ? 1 : 0;
    ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_CORK, &value, sizeof value); // best effort
}

// Bytes [at, at + out.size()) of a source medium: its own, then zeros (an oversized one's).
void copy_media_bytes(std::span<unsigned char const> bytes, std::uint64_t at, std::span<char> out) noexcept {
    std::size_t const have = at < bytes.size() ? std::min(out.size(), static_cast<std::size_t>(bytes.size() - at)) : 0;
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at < bytes.size() ? at : 0), have, out.begin());
    std::fill(out.begin() + static_cast<std::ptrdiff_t>(have), out.end(), '\0');
}

// Sends the file's bytes in pieces, each made just before it is sent (a 64 MiB file never
// exists in memory); `progress` says when the last piece left.
asio::awaitable<std::uint64_t> send_body(Stream& stream, FileSlice const& slice, std::vector<char>& chunk,
                                         SteadyTime& progress) {
    std::uint64_t sent = 0;
    std::uint64_t const end = std::min(slice.length, slice.cut_at);
    while (sent < end) {
        auto const size = static_cast<std::size_t>(std::min<std::uint64_t>(end - sent, chunk.size()));
        std::uint64_t const at = slice.offset + sent;
        if (slice.media) {
            copy_media_bytes(*slice.media, at, std::span<char>(chunk.data(), size));
        } else {
            fill_file_bytes(slice.key, at, std::span<char>(chunk.data(), size), slice.video_box);
        }
        if (slice.flip_at && *slice.flip_at >= at && *slice.flip_at - at < size) {
            chunk[static_cast<std::size_t>(*slice.flip_at - at)] ^= 0x10;
        }
        auto const [ec, n] =
            co_await asio::async_write(stream, asio::buffer(chunk.data(), size), use_nothrow);
        if (ec) {
            break;
        }
        sent += size;
        progress = std::chrono::steady_clock::now();
    }
    co_return sent;
}

// Completes when nothing was sent for k_write_timeout (or when cancelled). It wakes at most
// once per timeout, where Beast's per-operation timer re-arms a kernel timer for every 16 KiB
// TLS record: a few percent of a download's cost.
asio::awaitable<void> watchdog(SteadyTime const& progress) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
        timer.expires_at(progress + k_write_timeout);
        auto const [ec] = co_await timer.async_wait(use_nothrow);
        if (ec || std::chrono::steady_clock::now() >= progress + k_write_timeout) {
            co_return;
        }
    }
}

// The header through Beast's serializer, then the body straight to the stream.
asio::awaitable<bool> write_file(Stream& stream, Reply const& reply, bool keep_alive,
                                 std::vector<char>& chunk, Service& service) {
    FileSlice const& slice = *reply.file;
    http::response<http::empty_body> res;
    set_headers(res, reply, keep_alive);
    res.content_length(slice.length);
    http::response_serializer<http::empty_body> serializer(res);
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_after(k_write_timeout);
    if (auto const [ec, n] = co_await http::async_write_header(stream, serializer, use_nothrow); ec) {
        co_return false;
    }
    chunk.resize(k_file_chunk);
    // TLS hands the socket one 16 KiB record at a time; corked, the kernel sends full 64 KiB
    // segments instead, which on loopback cuts the per-packet work (receive path, ACKs,
    // wake-ups) that otherwise costs this thread more than the encryption does.
    set_cork(tcp.socket(), true);
    tcp.expires_never(); // the watchdog times the body
    SteadyTime progress = std::chrono::steady_clock::now();
    auto const executor = co_await asio::this_coro::executor;
    // Whichever ends first cancels the other; the group completes when both have.
    auto const [order, body_error, sent, watchdog_error] =
        co_await asio::experimental::make_parallel_group(
            asio::co_spawn(executor, send_body(stream, slice, chunk, progress), asio::deferred),
            asio::co_spawn(executor, watchdog(progress), asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    set_cork(tcp.socket(), false); // sends the last partial segment now
    service.on_file_bytes_sent(sent, slice.media.has_value());
    co_return sent == slice.length;
}

// Curl and others wait for this before sending a larger body.
asio::awaitable<bool> send_continue(Stream& stream) {
    http::response<http::empty_body> res{http::status::continue_, k_http11};
    beast::get_lowest_layer(stream).expires_after(k_write_timeout);
    auto const [ec, n] = co_await http::async_write(stream, res, use_nothrow);
    co_return !ec;
}

// Reads and drops the rest of a refused body, up to k_max_drain: a client still writing it
// when we close would meet a reset, which can destroy the 413 before it is read.
asio::awaitable<void> drain_body(Stream& stream, beast::flat_buffer& buffer, std::uint64_t length) {
    std::uint64_t left = length - std::min<std::uint64_t>(buffer.size(), length);
    buffer.consume(buffer.size());
    if (left > k_max_drain) {
        co_return;
    }
    std::vector<char> scratch(64 * 1024);
    while (left > 0) {
        beast::get_lowest_layer(stream).expires_after(k_idle_timeout);
        auto const size = static_cast<std::size_t>(std::min<std::uint64_t>(left, scratch.size()));
        auto const [ec, n] = co_await stream.async_read_some(asio::buffer(scratch.data(), size), use_nothrow);
        if (ec) {
            co_return;
        }
        left -= n;
    }
}

enum class ReadResult : std::uint8_t { request, refused, peer_closed, failed };

// Reads one request into `parser`; `refusal` is set when the answer must be an error (413,
// 431, 400) after which the connection closes.
asio::awaitable<ReadResult> read_request(Stream& stream, beast::flat_buffer& buffer,
                                         http::request_parser<http::string_body>& parser,
                                         std::optional<Reply>& refusal, Service& service) {
    auto& tcp = beast::get_lowest_layer(stream);
    parser.header_limit(k_header_limit);
    parser.body_limit(boost::none); // a declared length is checked below, so the body can be drained
    tcp.expires_after(k_idle_timeout);
    auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, use_nothrow);
    if (!ec && !parser.is_done()) {
        bool const expects_continue = beast::iequals(parser.get()[http::field::expect], "100-continue");
        if (auto const length = parser.content_length(); length && *length > k_max_request_body) {
            refusal = service.reject(413, "request_too_large", "the request body is larger than 1 MiB");
            if (!expects_continue) { // a client waiting for 100 sends no body
                co_await drain_body(stream, buffer, *length);
            }
            co_return ReadResult::refused;
        }
        parser.body_limit(k_max_request_body); // for chunked bodies
        if (expects_continue && !co_await send_continue(stream)) {
            co_return ReadResult::failed;
        }
        tcp.expires_after(k_idle_timeout);
        std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, use_nothrow);
    }
    if (!ec) {
        co_return ReadResult::request;
    }
    if ((refusal = unreadable(ec, service))) {
        co_return ReadResult::refused;
    }
    co_return ec == http::error::end_of_stream ? ReadResult::peer_closed : ReadResult::failed;
}

} // namespace

asio::awaitable<void> serve_connection(asio::ip::tcp::socket socket, ssl::context& tls, Service& service,
                                       Connection& connection) {
    Stream stream(std::move(socket), tls);
    auto& tcp = beast::get_lowest_layer(stream);
    connection.socket = &tcp.socket();
    struct Forget { // stop() must never reach a socket this frame no longer owns
        Connection& c;
        ~Forget() { c.socket = nullptr; }
    } const forget{connection};

    tcp.expires_after(k_handshake_timeout);
    if (auto const [ec] = co_await stream.async_handshake(ssl::stream_base::server, use_nothrow); ec) {
        co_return; // e.g. a client that does not trust our CA, or expected another name
    }

    beast::flat_buffer buffer;
    std::vector<char> chunk; // file pieces, allocated on the first download
    for (;;) {
        http::request_parser<http::string_body> parser;
        std::optional<Reply> refusal;
        ReadResult const read = co_await read_request(stream, buffer, parser, refusal, service);
        if (read == ReadResult::refused) {
            co_await write_reply(stream, *refusal, false);
            break;
        }
        if (read == ReadResult::peer_closed) {
            break; // the client said close_notify: answer it
        }
        if (read == ReadResult::failed) {
            co_return; // reset, truncated, timed out or cancelled: nothing left to say
        }

        auto const& req = parser.get();
        Reply reply = service.handle(to_request(req), Now::current());
        if (reply.delay.count() > 0) {
            asio::steady_timer timer(co_await asio::this_coro::executor, reply.delay);
            if (auto const [tec] = co_await timer.async_wait(use_nothrow); tec) {
                co_return; // cancelled: the simulator is stopping
            }
        }
        if (reply.cut) {
            error_code ignored;
            tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
            tcp.close(); // the task exists, the client never hears of it
            co_return;
        }
        if (reply.garbage == Garbage::stalled || reply.garbage == Garbage::short_body) {
            co_await write_garbled_reply(stream, reply);
            co_return;
        }
        if (reply.stall) {
            co_await write_broken_reply(stream, reply, reply.file ? reply.file->length : reply.body.size(), {},
                                        reply.stall);
            co_return;
        }
        bool const keep_alive = req.keep_alive();
        bool const written = reply.file ? co_await write_file(stream, reply, keep_alive, chunk, service)
                                        : co_await write_reply(stream, reply, keep_alive);
        if (!written) {
            co_return;
        }
        if (!keep_alive) {
            break;
        }
    }

    // A graceful TLS close, unless stop() is what ended the loop.
    auto const state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
        co_return;
    }
    tcp.expires_after(k_shutdown_timeout);
    co_await stream.async_shutdown(use_nothrow);
}

} // namespace evobatch::sim
