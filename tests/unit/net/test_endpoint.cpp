#include "net/endpoint.hpp"

#include "evobatch/net/error.hpp"

#include <boost/test/unit_test.hpp>

using evobatch::net::NetErrc;
using evobatch::net::detail::parse_endpoint;

BOOST_AUTO_TEST_SUITE(endpoint)

BOOST_AUTO_TEST_CASE(https_with_defaults) {
    boost::system::error_code ec;
    auto const ep = parse_endpoint("https://api.evolink.ai/v1/tasks/task-unified-1-a?x=1", ec);
    BOOST_REQUIRE(ep);
    BOOST_TEST(ep->tls);
    BOOST_TEST(!ep->ip_literal);
    BOOST_TEST(ep->host == "api.evolink.ai");
    BOOST_TEST(ep->port == "443");
    BOOST_TEST(ep->target == "/v1/tasks/task-unified-1-a?x=1");
    BOOST_TEST(ep->host_header == "api.evolink.ai");
    BOOST_TEST(ep->pool_key() == "https://api.evolink.ai:443");
}

BOOST_AUTO_TEST_CASE(ip_literals_and_ports) {
    boost::system::error_code ec;
    auto const v6 = parse_endpoint("https://[::1]:8443", ec);
    BOOST_REQUIRE(v6);
    BOOST_TEST(v6->ip_literal);
    BOOST_TEST(v6->host == "::1");
    BOOST_TEST(v6->port == "8443");
    BOOST_TEST(v6->target == "/");
    BOOST_TEST(v6->host_header == "[::1]:8443");
    auto const v4 = parse_endpoint("http://127.0.0.1:9000/x", ec);
    BOOST_REQUIRE(v4); // plain http to loopback is allowed (the simulator)
    BOOST_TEST(!v4->tls);
    BOOST_TEST(parse_endpoint("http://localhost/x", ec).has_value());
}

BOOST_AUTO_TEST_CASE(refuses_plain_http_elsewhere_and_non_urls) {
    boost::system::error_code ec;
    BOOST_TEST(!parse_endpoint("http://api.evolink.ai/v1/credits", ec));
    BOOST_TEST((ec == NetErrc::insecure_url));
    BOOST_TEST(!parse_endpoint("http://10.0.0.1/v1/credits", ec)); // private address refused, never contacted
    BOOST_TEST((ec == NetErrc::insecure_url));
    BOOST_TEST(!parse_endpoint("ftp://h.example/x", ec));
    BOOST_TEST((ec == NetErrc::bad_url));
    BOOST_TEST(!parse_endpoint("/v1/credits", ec));
    BOOST_TEST((ec == NetErrc::bad_url));
}

BOOST_AUTO_TEST_SUITE_END()
