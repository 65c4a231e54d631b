#include "evobatch/api/error.hpp"
#include "evobatch/api/secret.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>

using namespace evobatch::api;
namespace bdata = boost::unit_test::data;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

evobatch::net::HttpResponse answer(int status, std::string body, evobatch::net::Headers headers = {}) {
    return {status, std::move(headers), std::move(body)};
}

struct StatusCase {
    int status;
    ApiErrc kind;
};
std::ostream& operator<<(std::ostream& os, StatusCase const& c) { return os << c.status; }

struct QuotaCase {
    char const* code;
    CreditLimit limit;
};
std::ostream& operator<<(std::ostream& os, QuotaCase const& c) { return os << c.code; }

} // namespace

BOOST_AUTO_TEST_SUITE(api_error)

BOOST_DATA_TEST_CASE(status_decides_the_kind,
                     bdata::make(std::vector<StatusCase>{{400, ApiErrc::bad_request},
                                                         {401, ApiErrc::unauthorized},
                                                         {402, ApiErrc::insufficient_credits},
                                                         {403, ApiErrc::forbidden},
                                                         {404, ApiErrc::not_found},
                                                         {409, ApiErrc::conflict},
                                                         {413, ApiErrc::payload_too_large},
                                                         {429, ApiErrc::rate_limited},
                                                         {500, ApiErrc::server_error},
                                                         {502, ApiErrc::server_error},
                                                         {503, ApiErrc::server_error},
                                                         {418, ApiErrc::unexpected_status},
                                                         {302, ApiErrc::unexpected_status}}),
                     c) {
    BOOST_TEST((kind_of_status(c.status) == c.kind));
}

BOOST_DATA_TEST_CASE(a_402_names_its_limit,
                     bdata::make(std::vector<QuotaCase>{{"insufficient_quota", CreditLimit::balance},
                                                        {"insufficient_user_quota", CreditLimit::balance},
                                                        {"quota_not_enough", CreditLimit::balance},
                                                        {"account_balance_insufficient", CreditLimit::balance},
                                                        {"insufficient_token_quota", CreditLimit::key_limit},
                                                        {"key_quota_exhausted", CreditLimit::key_limit},
                                                        {"token_daily_quota_exceeded", CreditLimit::daily_limit},
                                                        {"key_daily_quota_exhausted", CreditLimit::daily_limit},
                                                        {"key_disabled", CreditLimit::key_state},
                                                        {"key_expired", CreditLimit::key_state},
                                                        {"key_model_not_allowed", CreditLimit::key_state},
                                                        {"user_disabled", CreditLimit::key_state},
                                                        {"something_new", CreditLimit::unknown}}),
                     c) {
    auto const e = classify_error(
        answer(402, std::string(R"({"error": {"code": ")") + c.code + R"(", "message": "no"}})"), system_clock::now());
    BOOST_TEST((e.kind == ApiErrc::insufficient_credits));
    BOOST_TEST((e.credit_limit == c.limit));
}

BOOST_AUTO_TEST_CASE(keeps_code_message_and_request_id) {
    auto const e = classify_error(answer(400, R"json({"error": {"code": "invalid_parameters", "message":
        "prompt too long (request id: abc-123)", "type": "invalid_request_error", "param": "prompt"}})json"),
                                  system_clock::now());
    BOOST_TEST((e.kind == ApiErrc::bad_request));
    BOOST_TEST(e.code == "invalid_parameters");
    BOOST_TEST(e.param == "prompt");
    BOOST_TEST(e.request_id == "abc-123");
    auto const header = classify_error(answer(500, "oops", {{"x-oneapi-request-id", "r-9"}}), system_clock::now());
    BOOST_TEST(header.request_id == "r-9");
    BOOST_TEST(header.message == "oops"); // a body that is not our envelope is kept as text
    BOOST_TEST(describe(header).find("r-9") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(retry_after_as_seconds_or_date) {
    auto const now = system_clock::from_time_t(1'700'000'000);
    BOOST_TEST(parse_retry_after("7", now).value() == seconds(7));
    BOOST_TEST(parse_retry_after(" 0 ", now).value() == seconds(0));
    BOOST_TEST(!parse_retry_after("", now));
    BOOST_TEST(!parse_retry_after("-3", now));
    BOOST_TEST(!parse_retry_after("soon", now));
    // 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT.
    BOOST_TEST(parse_retry_after("Tue, 14 Nov 2023 22:13:50 GMT", now).value() == seconds(30));
    BOOST_TEST(parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", now).value() == seconds(0));
    // Dates centuries away (found by fuzz_api_response: UB in the clock's nanoseconds) clamp.
    BOOST_TEST(parse_retry_after("Wed, 25 Nov 1013 18:00:00 GMT", now).value() == seconds(0));
    BOOST_TEST(parse_retry_after("Wed, 25 Nov 1013 18:00:00 GMT", system_clock::time_point{}).value() == seconds(0));
    BOOST_TEST(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now).value() == seconds(86'400));
    auto const e = classify_error(answer(429, R"({"error": {"code": "rate_limit_exceeded"}})", {{"retry-after", "3"}}),
                                  now);
    BOOST_TEST(e.retry_after.value() == seconds(3));
}

BOOST_AUTO_TEST_CASE(redacts_the_key_everywhere_it_appears) {
    Secret const key("sk-secret-123");
    BOOST_TEST(redact("bad key sk-secret-123, really sk-secret-123", key) == "bad key [redacted], really [redacted]");
    BOOST_TEST(redact("nothing here", key) == "nothing here");
    BOOST_TEST(redact("x", Secret()) == "x");
}

BOOST_AUTO_TEST_SUITE_END()
