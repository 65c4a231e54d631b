#pragma once
// What the service reads of a request and what it answers, for the API and the media hosts
// alike, with the pieces every endpoint shares: the error envelope, the method check, dates,
// the answer to a Range request (with If-Range, RFC 9110 §13.1.5 and §14) and conditional
// requests' 304 (If-None-Match, If-Modified-Since).

#include "byte_range.hpp"

#include "evobatch/sim/simulator.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evobatch::sim {

// What the service needs of an HTTP request (views into the session's parsed message).
struct Request {
    std::string_view method;
    std::string_view target;
    std::string_view authorization; // empty when absent
    std::optional<std::string_view> idempotency_key;
    std::string_view range; // empty when absent
    std::string_view if_range; // empty when absent
    std::string_view if_none_match; // empty when absent
    std::string_view if_modified_since; // empty when absent
    std::string_view body;
};

// Bytes [offset, offset + length) of a file, streamed by the session.
struct FileSlice {
    std::string key; // the file's content (file_content.hpp): its task id, or a changed version's key
    std::uint64_t offset = 0;
    std::uint64_t length = 0;   // as announced in Content-Length
    std::uint64_t cut_at = ~std::uint64_t{0}; // the connection is closed after this many bytes
    bool video_box = true;      // false: FileLie::not_a_video
    std::optional<std::uint64_t> flip_at{}; // the byte of the file whose bit 4 is flipped (FileLie::flipped_bit)
    // Set for source media: the file's bytes are these (zeros beyond them), not made from `key`.
    std::optional<std::span<unsigned char const>> media{};
};

struct Reply {
    unsigned status = 200;
    std::string request_id; // sent as x-request-id
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::chrono::milliseconds delay{0}; // wait this long before answering (latency)
    bool cut = false;                   // close the connection without answering
    std::optional<Garbage> garbage;     // stalled and short_body are the session's to act out
    std::optional<FileSlice> file;      // the body is file bytes instead of `body`
    // Send the head, then nothing until the client gives up or this has passed; then close.
    std::optional<std::chrono::milliseconds> stall;
};

// The error envelope of api.md, with the request id at the end of the message.
void set_error(Reply& reply, unsigned status, std::string_view code, std::string_view message,
               std::string_view param = {});
// True when the request has this method; else a 405 naming it.
bool method_is(Request const& request, std::string_view method, Reply& reply);

// The Range a request gets for a representation of `size` bytes: none (the whole) when its
// If-Range names neither validator (an empty one never matches).
RangeRequest requested_range(Request const& request, std::uint64_t size, std::string_view etag,
                             std::string_view last_modified) noexcept;
// True when a Range came with an If-Range naming neither validator.
bool if_range_fails(Request const& request, std::string_view etag, std::string_view last_modified) noexcept;

// True when a GET or HEAD's preconditions say the client's copy is current, to be answered 304
// Not Modified (RFC 9110 §13.1.2, §13.1.3, evaluated in §13.2.2's order): If-None-Match is `*`
// or names `etag` (weak comparison, as §13.1.2 requires); without If-None-Match,
// If-Modified-Since is a valid date at or after `last_modified` (an invalid one is ignored).
bool not_modified(Request const& request, std::string_view etag, std::string_view last_modified);

// Bytes [offset, offset + length) to send.
struct Extent {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};
// Answers `range` over `size` bytes: 200 for the whole, 206 with Content-Range for a part, or
// 416 with `Content-Range: bytes */size` (then nothing is returned and no bytes are due).
std::optional<Extent> answer_range(Reply& reply, RangeRequest const& range, std::uint64_t size);

} // namespace evobatch::sim
