#include "evobatch/util/duration.hpp"

#include <boost/test/unit_test.hpp>

using evobatch::util::parse_duration;
using std::chrono::seconds;

BOOST_AUTO_TEST_SUITE(duration)

BOOST_AUTO_TEST_CASE(reads_units_and_plain_seconds) {
    BOOST_TEST(parse_duration("90").value() == seconds(90));
    BOOST_TEST(parse_duration("90s").value() == seconds(90));
    BOOST_TEST(parse_duration("15m").value() == seconds(900));
    BOOST_TEST(parse_duration("1h30m").value() == seconds(5400));
    BOOST_TEST(parse_duration("1d").value() == seconds(86400));
    BOOST_TEST(parse_duration("0").value() == seconds(0));
}

BOOST_AUTO_TEST_CASE(rejects_what_is_not_a_duration) {
    BOOST_TEST(!parse_duration(""));
    BOOST_TEST(!parse_duration("15 m"));
    BOOST_TEST(!parse_duration("m"));
    BOOST_TEST(!parse_duration("10x"));
    BOOST_TEST(!parse_duration("30m1h")); // units out of order
    BOOST_TEST(!parse_duration("1m30"));  // a bare number only on its own
    BOOST_TEST(!parse_duration("-5s"));
    BOOST_TEST(!parse_duration("1.5h"));
}

BOOST_AUTO_TEST_SUITE_END()
