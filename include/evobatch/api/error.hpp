#pragma once
// What an API error answer means for us (api.md's table), decided once from the HTTP status
// first, then the error code. Pure functions: no I/O.

#include "evobatch/net/http_types.hpp"

#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace evobatch::api {

enum class ApiErrc {
    bad_request = 1,      // 400: the job's input is wrong; the job fails, not retried
    unauthorized,         // 401: bad or missing key; stop the batch
    insufficient_credits, // 402: see CreditLimit; stop submitting
    forbidden,            // 403: key not allowed; stop the batch
    not_found,            // 404: unknown task (never resubmit by itself) or endpoint missing
    conflict,             // 409: idempotency key reused with another body
    payload_too_large,    // 413: the job fails
    rate_limited,         // 429: back off, honour Retry-After, slow down
    server_error,         // 5xx: retry with backoff
    bad_response,         // 2xx whose body is not what the API documents
    unexpected_status,    // anything else
};

boost::system::error_category const& api_category() noexcept;
inline boost::system::error_code make_error_code(ApiErrc e) noexcept { return {static_cast<int>(e), api_category()}; }

// Which limit a 402 names (api.md); tells the user what to fix.
enum class CreditLimit { none, balance, key_limit, daily_limit, key_state, unknown };

struct ApiError {
    ApiErrc kind = ApiErrc::unexpected_status;
    int http_status = 0;
    std::string code;       // the server's code, as text even when sent as an integer
    std::string message;    // the server's message (untrusted text, key redacted)
    std::string type;
    std::string param;
    std::string request_id; // for support: x-request-id, x-oneapi-request-id, or from the message
    std::optional<std::chrono::seconds> retry_after; // 429 (and 503) when the server says
    CreditLimit credit_limit = CreditLimit::none;    // 402 only
};

ApiErrc kind_of_status(int http_status) noexcept;
CreditLimit credit_limit_of(std::string_view code) noexcept;
std::string_view describe(CreditLimit limit) noexcept;

// delta-seconds or an HTTP date (relative to `now`); nothing when absent or unreadable.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

// The request id of an answer: headers first, else a trailing "(request id: X)" in `message`.
std::string request_id_of(net::HttpResponse const& response, std::string_view message = {});

// Builds the ApiError for a non-2xx answer (any body, even not JSON).
ApiError classify_error(net::HttpResponse const& response, std::chrono::system_clock::time_point now);

// One line for people: "402 insufficient_quota (account balance): Insufficient quota [request id: r-1]".
std::string describe(ApiError const& error);

} // namespace evobatch::api

template <>
struct boost::system::is_error_code_enum<evobatch::api::ApiErrc> : std::true_type {};
