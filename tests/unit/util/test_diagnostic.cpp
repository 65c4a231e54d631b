#include "evobatch/util/diagnostic.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch::util;

BOOST_AUTO_TEST_SUITE(diagnostic)

BOOST_AUTO_TEST_CASE(formats_compiler_style) {
    Diagnostic const d{Severity::error, "jobs/demo.yaml", 12, 5, "job 'city-02': prompt has 5210 characters"};
    BOOST_TEST(format(d) == "jobs/demo.yaml:12:5: error: job 'city-02': prompt has 5210 characters");
    Diagnostic const whole{Severity::warning, "clips.txt", 0, 0, "holds no URLs"};
    BOOST_TEST(format(whole) == "clips.txt: warning: holds no URLs");
}

BOOST_AUTO_TEST_CASE(only_errors_count_as_errors) {
    Diagnostics ds;
    ds.warning("m.yaml", 1, 1, "w");
    BOOST_TEST(!ds.has_errors());
    ds.error("m.yaml", 2, 1, "e");
    BOOST_TEST(ds.has_errors());
    BOOST_TEST(ds.error_count() == 1u);
    BOOST_TEST(ds.items().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
