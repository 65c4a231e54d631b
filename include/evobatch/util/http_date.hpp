#pragma once
// HTTP dates (RFC 9110 §5.6.7): the simulator writes them (Date, Last-Modified), the client
// reads them (Date for the server's clock, Retry-After, If-Modified-Since). In whole seconds,
// whatever the process locale.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::util {

// The IMF-fixdate of `unix_seconds`: "Sat, 05 Dec 2026 17:14:54 GMT".
std::string http_date(std::int64_t unix_seconds);

// The unix seconds an IMF-fixdate names; nothing when the text is not one (trailing text
// included).
std::optional<std::int64_t> parse_http_date(std::string_view text);

} // namespace evobatch::util
