#include "evobatch/util/duration.hpp"

#include <boost/test/unit_test.hpp>

using evobatch::util::format_duration;
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

BOOST_AUTO_TEST_CASE(formats_the_two_largest_units_that_say_something) {
    BOOST_TEST(format_duration(seconds(0)) == "0s");
    BOOST_TEST(format_duration(seconds(42)) == "42s");
    BOOST_TEST(format_duration(seconds(90)) == "1m30s");
    BOOST_TEST(format_duration(seconds(900)) == "15m");
    BOOST_TEST(format_duration(seconds(3661)) == "1h1m"); // seconds dropped past an hour
    BOOST_TEST(format_duration(seconds(7200)) == "2h");
    BOOST_TEST(format_duration(seconds(90061)) == "1d1h");
    BOOST_TEST(format_duration(seconds(-5)) == "0s");
    BOOST_TEST(parse_duration(format_duration(seconds(5400))).value() == seconds(5400));
}

BOOST_AUTO_TEST_SUITE_END()
