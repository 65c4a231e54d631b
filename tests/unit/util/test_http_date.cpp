#include "evobatch/util/http_date.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch::util;

BOOST_AUTO_TEST_SUITE(http_date_text)

BOOST_AUTO_TEST_CASE(an_imf_fixdate_reads_back_as_its_seconds) {
    BOOST_TEST(http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    BOOST_TEST(http_date(1'796'491'294) == "Sat, 05 Dec 2026 17:21:34 GMT");
    for (std::int64_t const t : {std::int64_t{0}, std::int64_t{951'782'400}, std::int64_t{1'796'491'294}}) {
        BOOST_TEST(parse_http_date(http_date(t)).value_or(-1) == t);
    }
}

BOOST_AUTO_TEST_CASE(what_is_not_an_imf_fixdate_is_nothing) {
    for (char const* text : {"", "yesterday", "Sat, 05 Dec 2026 17:08:14", "Sat, 05 Dec 2026 17:08:14 GMT trailing",
                             "1796491294", "Sat, 32 Dec 2026 17:08:14 GMT"}) {
        BOOST_TEST_CONTEXT(text) { BOOST_TEST(!parse_http_date(text).has_value()); }
    }
}

BOOST_AUTO_TEST_SUITE_END()
