#include "reply.hpp"

#include "evobatch/api/json.hpp"
#include "evobatch/util/http_date.hpp"

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

// An entity tag's opaque part, for the weak comparison (RFC 9110 §8.8.3.2): without its W/.
std::string_view opaque_tag(std::string_view tag) noexcept {
    return tag.starts_with("W/") ? tag.substr(2) : tag;
}

// True when the If-None-Match list (`*` or entity tags, comma-separated) matches `etag`.
bool list_names_etag(std::string_view list, std::string_view etag) noexcept {
    while (!list.empty()) {
        std::size_t const start = list.find_first_not_of(" \t,");
        if (start == std::string_view::npos) {
            break;
        }
        list.remove_prefix(start);
        if (list.starts_with('*')) {
            return true;
        }
        // An entity tag: [W/]"...", whose quoted part may hold commas.
        std::size_t const open = list.find('"');
        std::size_t const close = open == std::string_view::npos ? open : list.find('"', open + 1);
        if (close == std::string_view::npos) {
            return false; // malformed: matches nothing
        }
        if (!etag.empty() && opaque_tag(list.substr(0, close + 1)) == opaque_tag(etag)) {
            return true;
        }
        list.remove_prefix(close + 1);
    }
    return false;
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

bool not_modified(Request const& request, std::string_view etag, std::string_view last_modified) {
    if (request.method != "GET" && request.method != "HEAD") {
        return false;
    }
    if (!request.if_none_match.empty()) {
        return list_names_etag(request.if_none_match, etag); // If-Modified-Since is then ignored
    }
    if (request.if_modified_since.empty() || last_modified.empty()) {
        return false;
    }
    auto const since = util::parse_http_date(request.if_modified_since);
    auto const modified = util::parse_http_date(last_modified);
    return since && modified && *since >= *modified;
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
