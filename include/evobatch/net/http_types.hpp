#pragma once
// A request to send and what became of it. The outcome always says whether the request could
// have reached the server, because for a paid POST that decides between "retry" and "uncertain".

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evobatch::net {

enum class Method { get, post };

using Headers = std::vector<std::pair<std::string, std::string>>; // names in lower case

struct HttpRequest {
    Method method = Method::get;
    std::string url; // absolute: https://host[:port]/path?query (http only to loopback)
    Headers headers; // extra headers; Host, User-Agent, Content-Length are set by the client
    std::string body;
    std::string content_type = "application/json";
};

struct HttpResponse {
    int status = 0;
    Headers headers;
    std::string body;

    // The first header with this (lower-case) name.
    [[nodiscard]] std::optional<std::string_view> header(std::string_view name) const noexcept;
};

enum class Delivery {
    not_sent,       // failed before any byte of the request was written: always safe to retry
    sent_no_answer, // written (perhaps partly), then no complete answer: a POST may have acted
    answered,       // a complete HTTP response, whatever its status
};

struct HttpOutcome {
    Delivery delivery = Delivery::not_sent;
    boost::system::error_code error; // set unless answered
    std::string detail;              // the underlying reason in words ("certificate verify failed")
    HttpResponse response;           // valid when answered

    [[nodiscard]] bool answered() const noexcept { return delivery == Delivery::answered; }
};

std::string_view to_string(Delivery d) noexcept;

// Receives a streamed response (HttpsClient::stream, for downloads): the head first, then the
// body in pieces as they arrive, so a large file never sits in memory.
class BodySink {
public:
    virtual ~BodySink() = default;
    // Status and headers (the response's body stays empty). False: the body is not wanted (an
    // error status, a redirect); the connection is then closed rather than drained.
    virtual bool on_head(HttpResponse const& head) = 0;
    // The next `size` bytes of the body, at the front of `buffer`. The sink may keep the buffer
    // (to write it out while the next piece arrives) by swapping in another one at least as
    // large; the client takes buffer.data() afresh for every read. An error stops the transfer
    // and becomes the outcome's error.
    virtual boost::asio::awaitable<boost::system::error_code> on_body(std::vector<char>& buffer, std::size_t size) = 0;
    // The most bytes the sink wants in one piece. A sink that may stop early (a probe) asks for
    // small pieces, so that a host ignoring Range does not hand it a megabyte it will not read;
    // a download takes the client's large reads.
    [[nodiscard]] virtual std::size_t max_piece() const noexcept { return static_cast<std::size_t>(-1); }
};

} // namespace evobatch::net
