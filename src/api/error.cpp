#include "evobatch/api/error.hpp"

#include "evobatch/api/json.hpp"
#include "evobatch/util/http_date.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <ctime>

namespace evobatch::api {

namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor" // see src/net/error.cpp
class ApiCategory final : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "evobatch.api"; }
    std::string message(int ev) const override {
        switch (static_cast<ApiErrc>(ev)) {
        case ApiErrc::bad_request: return "the API refused the request's parameters";
        case ApiErrc::unauthorized: return "the API key is missing or not valid";
        case ApiErrc::insufficient_credits: return "not enough credits";
        case ApiErrc::forbidden: return "the API key is not allowed to do this";
        case ApiErrc::not_found: return "not found";
        case ApiErrc::conflict: return "idempotency key reused with a different request";
        case ApiErrc::payload_too_large: return "request too large";
        case ApiErrc::rate_limited: return "rate or concurrency limit reached";
        case ApiErrc::server_error: return "server error";
        case ApiErrc::bad_response: return "answer not in the documented shape";
        case ApiErrc::unexpected_status: return "unexpected HTTP status";
        }
        return "unknown API error";
    }
};
#pragma GCC diagnostic pop

bool contains(auto const& list, std::string_view code) {
    return std::find(std::begin(list), std::end(list), code) != std::end(list);
}

} // namespace

boost::system::error_category const& api_category() noexcept {
    static ApiCategory const category;
    return category;
}

ApiErrc kind_of_status(int s) noexcept {
    switch (s) {
    case 400: return ApiErrc::bad_request;
    case 401: return ApiErrc::unauthorized;
    case 402: return ApiErrc::insufficient_credits;
    case 403: return ApiErrc::forbidden;
    case 404: return ApiErrc::not_found;
    case 409: return ApiErrc::conflict;
    case 413: return ApiErrc::payload_too_large;
    case 429: return ApiErrc::rate_limited;
    default: break;
    }
    return s >= 500 && s <= 599 ? ApiErrc::server_error : ApiErrc::unexpected_status;
}

CreditLimit credit_limit_of(std::string_view code) noexcept {
    static constexpr std::array<std::string_view, 4> k_balance{"insufficient_quota", "insufficient_user_quota",
                                                               "quota_not_enough", "account_balance_insufficient"};
    static constexpr std::array<std::string_view, 2> k_key_limit{"insufficient_token_quota", "key_quota_exhausted"};
    static constexpr std::array<std::string_view, 2> k_daily{"token_daily_quota_exceeded", "key_daily_quota_exhausted"};
    static constexpr std::array<std::string_view, 4> k_state{"key_disabled", "key_expired", "key_model_not_allowed",
                                                             "user_disabled"};
    if (contains(k_balance, code)) {
        return CreditLimit::balance;
    }
    if (contains(k_key_limit, code)) {
        return CreditLimit::key_limit;
    }
    if (contains(k_daily, code)) {
        return CreditLimit::daily_limit;
    }
    if (contains(k_state, code)) {
        return CreditLimit::key_state;
    }
    return CreditLimit::unknown;
}

std::string_view describe(CreditLimit limit) noexcept {
    switch (limit) {
    case CreditLimit::none: return "";
    case CreditLimit::balance: return "account balance too low";
    case CreditLimit::key_limit: return "the key's spending limit is reached";
    case CreditLimit::daily_limit: return "the key's daily limit is reached";
    case CreditLimit::key_state: return "the key is disabled, expired or not allowed this model";
    case CreditLimit::unknown: return "credits refused (unknown reason)";
    }
    return "";
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
    while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
    }
    while (!value.empty() && value.back() == ' ') {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return std::nullopt;
    }
    long long seconds = 0;
    auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec == std::errc{} && end == value.data() + value.size()) {
        return seconds < 0 ? std::nullopt : std::optional(std::chrono::seconds(std::min(seconds, 86'400LL)));
    }
    auto const parsed = util::parse_http_date(value);
    if (!parsed) {
        return std::nullopt;
    }
    // In whole seconds: a date centuries away (the fuzzer sent the year 1013) overflows the
    // clock's nanoseconds.
    long long const at = *parsed;
    long long const now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    long long delta = 0;
    if (__builtin_sub_overflow(at, now_s, &delta)) {
        delta = at < now_s ? 0 : 86'400;
    }
    return std::chrono::seconds(std::clamp<long long>(delta, 0, 86'400));
}

std::string request_id_of(net::HttpResponse const& response, std::string_view message) {
    for (auto const* name : {"x-request-id", "x-oneapi-request-id"}) {
        if (auto id = response.header(name); id && !id->empty()) {
            return std::string(*id);
        }
    }
    constexpr std::string_view k_marker = "(request id: ";
    auto const at = message.rfind(k_marker);
    if (at != std::string_view::npos) {
        auto const start = at + k_marker.size();
        auto const close = message.find(')', start);
        if (close != std::string_view::npos) {
            return std::string(message.substr(start, close - start));
        }
    }
    return {};
}

ApiError classify_error(net::HttpResponse const& response, std::chrono::system_clock::time_point now) {
    ApiError error;
    error.http_status = response.status;
    error.kind = kind_of_status(response.status);
    if (auto body = parse_error_body(response.body)) {
        error.code = std::move(body->code);
        error.message = std::move(body->message);
        error.type = std::move(body->type);
        error.param = std::move(body->param);
    } else if (!response.body.empty()) {
        // Not our envelope (a proxy's HTML page, say): keep a short, printable excerpt.
        error.message = response.body.substr(0, 200);
    }
    error.request_id = request_id_of(response, error.message);
    if (auto value = response.header("retry-after")) {
        error.retry_after = parse_retry_after(*value, now);
    }
    if (error.kind == ApiErrc::insufficient_credits) {
        error.credit_limit = credit_limit_of(error.code);
    }
    return error;
}

std::string describe(ApiError const& e) {
    std::string out = fmt::format("{}", e.http_status);
    if (!e.code.empty()) {
        out += " " + e.code;
    }
    if (e.credit_limit != CreditLimit::none) {
        out += fmt::format(" ({})", describe(e.credit_limit));
    }
    if (!e.message.empty()) {
        out += ": " + e.message;
    }
    if (!e.request_id.empty() && e.message.find(e.request_id) == std::string::npos) {
        out += fmt::format(" [request id: {}]", e.request_id);
    }
    return out;
}

} // namespace evobatch::api
