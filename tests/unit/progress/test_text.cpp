#include "progress/detail/text.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace evobatch::progress::detail;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(progress_text)

BOOST_AUTO_TEST_CASE(durations_for_people) {
    BOOST_TEST(format_duration(0s) == "0s");
    BOOST_TEST(format_duration(45s) == "45s");
    BOOST_TEST(format_duration(725s) == "12m05s");
    BOOST_TEST(format_duration(3600s + 7 * 60s + 59s) == "1h07m");
    BOOST_TEST(format_duration(2 * 86400s + 4 * 3600s) == "2d04h");
    BOOST_TEST(format_duration(-5s) == "0s");
}

BOOST_AUTO_TEST_CASE(cutting_counts_characters_not_bytes) {
    BOOST_TEST(columns_of("caf\xc3\xa9") == 4u);
    BOOST_TEST(cut_to_columns("short", 10) == "short");
    BOOST_TEST(cut_to_columns("abcdefghij", 6) == "abc...");
    BOOST_TEST(cut_to_columns("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 4) == "\xc3\xa9...");
    BOOST_TEST(cut_to_columns("abcdef", 2) == "..");
}

BOOST_AUTO_TEST_CASE(json_strings_parse_back_to_the_text) {
    for (std::string const& text :
         {std::string("plain"), std::string("quote \" and \\ backslash"), std::string("line\nbreak\ttab\r"),
          std::string("ctl \x01\x1f\x1b"), std::string("caf\xc3\xa9"), std::string("nul \0 inside", 12)}) {
        auto const v = boost::json::parse(json_quote(text));
        BOOST_TEST(v.as_string() == text);
    }
    // Ill-formed UTF-8 would make the whole line unreadable: it is replaced.
    auto const v = boost::json::parse(json_quote("bad \xff byte"));
    BOOST_TEST(v.as_string() == "bad \xEF\xBF\xBD byte"); // U+FFFD, as in the ledger
}

BOOST_AUTO_TEST_SUITE_END()
