#include "reply.hpp"

#include "evobatch/api/json.hpp"

#include <fmt/format.h>

#include <array>
#include <ctime>

namespace evobatch::sim {

namespace {

std::string_view error_type(unsigned status) noexcept {
    switch (status) {
    case 401:
        return "authentication_error";
    case 402:
        return "billing_error";
    case 429:
        return "rate_limit_error";
    default:
        return status >= 500 ? "server_error" : "invalid_request_error";
    }
}

} // namespace

void set_error(Reply& reply, unsigned status, std::string_view code, std::string_view message,
               std::string_view param) {
    reply.status = status;
    reply.content_type = "application/json";
    reply.file.reset();
    reply.body = api::to_json_text(
        api::ErrorBody{std::string(code), fmt::format("{} (request id: {})", message, reply.request_id),
                       std::string(error_type(status)), std::string(param)});
}

bool method_is(Request const& request, std::string_view method, Reply& reply) {
    if (request.method == method) {
        return true;
    }
    set_error(reply, 405, "method_not_allowed",
              fmt::format("{} is not allowed here; use {}", request.method, method));
    reply.headers.emplace_back("allow", std::string(method));
    return false;
}

std::string http_date(std::int64_t unix_seconds) {
    constexpr std::array<std::string_view, 7> k_days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    constexpr std::array<std::string_view, 12> k_months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t const t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", k_days[static_cast<std::size_t>(tm.tm_wday)],
                       tm.tm_mday, k_months[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

bool if_range_fails(Request const& request, std::string_view etag, std::string_view last_modified) noexcept {
    if (request.range.empty() || request.if_range.empty()) {
        return false;
    }
    bool const names_etag = !etag.empty() && request.if_range == etag;
    bool const names_date = !last_modified.empty() && request.if_range == last_modified;
    return !names_etag && !names_date;
}

RangeRequest requested_range(Request const& request, std::uint64_t size, std::string_view etag,
                             std::string_view last_modified) noexcept {
    RangeRequest const range = parse_range(request.range, size);
    if (range.kind != RangeRequest::Kind::whole && if_range_fails(request, etag, last_modified)) {
        return {};
    }
    return range;
}

std::optional<Extent> answer_range(Reply& reply, RangeRequest const& range, std::uint64_t size) {
    switch (range.kind) {
    case RangeRequest::Kind::whole:
        return Extent{0, size};
    case RangeRequest::Kind::partial:
        reply.status = 206;
        reply.headers.emplace_back("content-range", fmt::format("bytes {}-{}/{}", range.first, range.last, size));
        return Extent{range.first, range.last - range.first + 1};
    case RangeRequest::Kind::unsatisfiable:
        break;
    }
    set_error(reply, 416, "range_not_satisfiable", fmt::format("the file has {} bytes", size));
    reply.headers.emplace_back("content-range", fmt::format("bytes */{}", size));
    return std::nullopt;
}

} // namespace evobatch::sim
