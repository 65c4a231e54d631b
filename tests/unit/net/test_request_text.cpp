#include "net/request_text.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch::net;

namespace {

detail::Endpoint endpoint() {
    boost::system::error_code ec;
    return *detail::parse_endpoint("https://api.evolink.ai:8443/v1/videos/generations", ec);
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_text)

BOOST_AUTO_TEST_CASE(writes_a_complete_post) {
    HttpRequest r;
    r.method = Method::post;
    r.body = R"({"a":1})";
    r.headers = {{"idempotency-key", "job-1.0123456789abcdef"}};
    auto const text = detail::request_text(endpoint(), r, "evobatch/0.1.0");
    BOOST_REQUIRE(text);
    BOOST_TEST(*text == "POST /v1/videos/generations HTTP/1.1\r\n"
                        "Host: api.evolink.ai:8443\r\n"
                        "User-Agent: evobatch/0.1.0\r\n"
                        "Accept: application/json\r\n"
                        "idempotency-key: job-1.0123456789abcdef\r\n"
                        "Content-Type: application/json\r\n"
                        "Content-Length: 7\r\n"
                        "\r\n"
                        R"({"a":1})");
}

BOOST_AUTO_TEST_CASE(a_get_has_no_body_headers) {
    HttpRequest r;
    r.body = "ignored";
    auto const text = detail::request_text(endpoint(), r, "ua");
    BOOST_REQUIRE(text);
    BOOST_TEST(text->starts_with("GET /v1/videos/generations HTTP/1.1\r\n"));
    BOOST_TEST(text->find("Content-Length") == std::string::npos);
    BOOST_TEST(text->ends_with("\r\n\r\n"));
}

BOOST_AUTO_TEST_CASE(refuses_header_injection) {
    HttpRequest r;
    r.headers = {{"x-evil", "a\r\nInjected: yes"}};
    BOOST_TEST(!detail::request_text(endpoint(), r, "ua"));
    r.headers = {{"bad name", "v"}};
    BOOST_TEST(!detail::request_text(endpoint(), r, "ua"));
    r.headers = {{"ok", std::string("nul\0byte", 8)}};
    BOOST_TEST(!detail::request_text(endpoint(), r, "ua"));
    r.headers = {};
    BOOST_TEST(!detail::request_text(endpoint(), r, "ua\n"));
}

BOOST_AUTO_TEST_SUITE_END()
