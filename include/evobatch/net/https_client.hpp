#pragma once
// HTTPS (and loopback-only HTTP) client with a keep-alive connection pool per host, for
// coroutines on one io_context. Beast and OpenSSL stay in the .cpp (pimpl).

#include "evobatch/net/http_types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace evobatch::net {

class TlsContext;

struct ClientOptions {
    std::size_t max_connections_per_host = 4;
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds handshake_timeout{10'000};
    std::chrono::milliseconds request_timeout{60'000}; // the whole request: pool wait, connect, write, read
    std::chrono::milliseconds idle_timeout{20'000};    // idle keep-alive connections older than this are closed
    std::size_t max_body_bytes = std::size_t{4} << 20;
    std::string user_agent = "evobatch";
};

struct ClientStats {
    std::uint64_t requests = 0;
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_reused = 0; // requests sent on a connection that had served before
};

class HttpsClient {
public:
    // `tls` must outlive the client. Runs on `executor`, which must be single-threaded.
    HttpsClient(boost::asio::any_io_executor executor, TlsContext& tls, ClientOptions options = {});
    ~HttpsClient();
    HttpsClient(HttpsClient const&) = delete;
    HttpsClient& operator=(HttpsClient const&) = delete;

    // Sends `request` and completes with its outcome; never throws for network or HTTP
    // failures. Waits for a pooled connection when the host's cap is reached (within the
    // request timeout). On cancellation the outcome carries operation_aborted, with the
    // delivery class of the point where it was cancelled.
    boost::asio::awaitable<HttpOutcome> send(HttpRequest request);

    // Sends `request` and streams the answer into `sink`. The outcome is `answered` once the
    // head arrived (status and headers in outcome.response, its body empty); `error` is then
    // set when the body did not arrive whole: the connection broke (NetErrc codes, as for
    // send), no byte came for `idle_timeout`, or the sink refused a piece. There is no
    // whole-request deadline: a large file may take long as long as bytes keep coming.
    boost::asio::awaitable<HttpOutcome> stream(HttpRequest request, BodySink& sink,
                                               std::chrono::milliseconds idle_timeout);

    [[nodiscard]] ClientStats stats() const noexcept;

    // Closes idle connections (their owners are done); requests in flight are unaffected.
    void close_idle();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace evobatch::net
