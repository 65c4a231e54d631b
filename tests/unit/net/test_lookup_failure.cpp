// A failed host name lookup: "no such name" is final, "no answer for now" is worth another try
// (the Prober's one attempt for a name that does not exist rests on this).

#include "evobatch/net/error.hpp"

#include <boost/asio/error.hpp>
#include <boost/test/unit_test.hpp>

using evobatch::net::lookup_failure;
using evobatch::net::NetErrc;

BOOST_AUTO_TEST_SUITE(lookup_failure_codes)

BOOST_AUTO_TEST_CASE(an_authoritative_no_such_name_is_host_not_found) {
    BOOST_TEST((lookup_failure(boost::asio::error::host_not_found) == NetErrc::host_not_found));
}

BOOST_AUTO_TEST_CASE(other_lookup_failures_may_pass) {
    BOOST_TEST((lookup_failure(boost::asio::error::host_not_found_try_again) == NetErrc::resolve_failed));
    BOOST_TEST((lookup_failure(boost::asio::error::no_recovery) == NetErrc::resolve_failed));
    BOOST_TEST((lookup_failure(boost::asio::error::no_data) == NetErrc::resolve_failed));
}

BOOST_AUTO_TEST_SUITE_END()
