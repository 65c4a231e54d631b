#include "evobatch/api/task_id.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace evobatch::api;
namespace bdata = boost::unit_test::data;

BOOST_AUTO_TEST_SUITE(api_task_id)

// Odd, but each one names a task: carried percent-encoded.
BOOST_DATA_TEST_CASE(odd_ids_are_usable,
                     bdata::make(std::vector<std::string>{"task-unified-1757169743-7cvnl5zw", "a b1", "../x", "%2F",
                                                          "caf\xc3\xa9", "?q=1#f", "...", "x/..", "a;b=c"}),
                     id) {
    BOOST_TEST(!task_id_problem(id).has_value());
}

BOOST_DATA_TEST_CASE(ids_no_url_can_carry_are_refused,
                     bdata::make(std::vector<std::string>{"", ".", "..", "tab\there", "line\r\n", "esc\x1b[2J",
                                                          "del\x7f", "csi\xc2\x9b", std::string("nul\0x", 5),
                                                          "bad \xff utf-8", std::string(257, 'a')}),
                     id) {
    BOOST_TEST(task_id_problem(id).has_value());
}

BOOST_AUTO_TEST_CASE(the_longest_usable_id) {
    BOOST_TEST(!task_id_problem(std::string(k_max_task_id_bytes, 'a')).has_value());
    BOOST_TEST(*task_id_problem(std::string(k_max_task_id_bytes + 1, 'a')) == "is longer than 256 bytes");
}

BOOST_AUTO_TEST_CASE(an_id_is_one_path_segment) {
    BOOST_TEST(task_path_segment("task-unified-1757169743-7cvnl5zw") == "task-unified-1757169743-7cvnl5zw");
    BOOST_TEST(task_path_segment("a b1") == "a%20b1");
    BOOST_TEST(task_path_segment("../x") == "..%2Fx");
    BOOST_TEST(task_path_segment("%2F") == "%252F"); // the server reads back "%2F", not "/"
    BOOST_TEST(task_path_segment("?q=1#f") == "%3Fq%3D1%23f");
    BOOST_TEST(task_path_segment("caf\xc3\xa9") == "caf%C3%A9");
    BOOST_TEST(task_path_segment("a;b:c@d+e") == "a%3Bb%3Ac%40d%2Be");
}

BOOST_AUTO_TEST_SUITE_END()
