#pragma once
// What a media host's answer says in its header fields, read the same way by the result
// downloader and the source probe: a 206's Content-Range, and where a redirect goes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::net {

// `bytes first-last/total` (total `*`: unknown). Nothing for anything else, a last before the
// first, or a range past the total.
struct ContentRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0; // inclusive
    std::optional<std::uint64_t> total;
};
std::optional<ContentRange> parse_content_range(std::string_view value);

// Where a redirect from `from` to `location` goes: absolute URLs as they are (http is refused by
// the client unless it is loopback), "/path" on the same origin; nothing for other forms.
std::optional<std::string> redirect_target(std::string const& from, std::string_view location);

} // namespace evobatch::net
