#include "evobatch/util/suggest.hpp"

#include <boost/test/unit_test.hpp>

#include <array>

using namespace evobatch::util;

BOOST_AUTO_TEST_SUITE(suggest)

BOOST_AUTO_TEST_CASE(edit_distance_counts_single_edits) {
    BOOST_TEST(edit_distance("prompt", "prompt") == 0u);
    BOOST_TEST(edit_distance("promt", "prompt") == 1u);
    BOOST_TEST(edit_distance("PROMPT", "prompt") == 0u);
    BOOST_TEST(edit_distance("burst", "bust") == 1u);
    BOOST_TEST(edit_distance("", "abc") == 3u);
    BOOST_TEST(edit_distance("kitten", "sitting") == 3u);
    BOOST_TEST(edit_distance("vidoe", "video") == 1u); // a transposition is one edit
}

BOOST_AUTO_TEST_CASE(suggests_only_near_misses) {
    constexpr std::array<std::string_view, 4> keys{"prompt", "video", "video_urls", "image_urls"};
    BOOST_TEST(closest_match("promt", keys).value() == "prompt");
    BOOST_TEST(closest_match("vidoe", keys).value() == "video");
    BOOST_TEST(closest_match("image_url", keys).value() == "image_urls");
    BOOST_TEST(!closest_match("colour", keys));
    BOOST_TEST(!closest_match("ab", keys)); // short words need a closer match than two edits
}

BOOST_AUTO_TEST_SUITE_END()
