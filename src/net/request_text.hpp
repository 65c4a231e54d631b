#pragma once
// An HTTP/1.1 request as one buffer: one TLS record and one syscall per request, without the
// per-field allocations of a Beast message (about a tenth of the client's CPU per request).

#include "endpoint.hpp"

#include "evobatch/net/http_types.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace evobatch::net::detail {

// The request's bytes, or nothing when a header name is not a token or a value holds CR, LF
// or NUL (header injection is refused, never escaped).
std::optional<std::string> request_text(Endpoint const& endpoint, HttpRequest const& request,
                                        std::string_view user_agent);

} // namespace evobatch::net::detail
