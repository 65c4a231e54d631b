#pragma once
// The `Range` request header, for result files (RFC 9110 §14): one range of bytes, or nothing.

#include <cstdint>
#include <string_view>

namespace evobatch::sim {

struct RangeRequest {
    enum class Kind : std::uint8_t {
        whole,        // no usable Range header: send everything with 200
        partial,      // send [first, last] with 206
        unsatisfiable // 416 with `Content-Range: bytes */size`
    };
    Kind kind = Kind::whole;
    std::uint64_t first = 0;
    std::uint64_t last = 0; // inclusive
};

// Understands `bytes=a-`, `bytes=a-b` and `bytes=-n`. Anything else, several ranges included,
// is ignored (a server may always answer with the whole file).
RangeRequest parse_range(std::string_view header, std::uint64_t size) noexcept;

} // namespace evobatch::sim
