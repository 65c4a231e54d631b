#include "evobatch/util/utf8.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch::util;
using namespace std::string_view_literals;

BOOST_AUTO_TEST_SUITE(utf8)

BOOST_AUTO_TEST_CASE(accepts_well_formed_text) {
    BOOST_TEST(!find_invalid_utf8("plain ascii"));
    BOOST_TEST(!find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8E\xAC")); // é € 🎬
    BOOST_TEST(!find_invalid_utf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF, the last code point
    BOOST_TEST(!find_invalid_utf8(""));
}

BOOST_AUTO_TEST_CASE(finds_the_first_ill_formed_byte) {
    BOOST_TEST(find_invalid_utf8("ab\xE9z").value() == 2u);           // Latin-1 é
    BOOST_TEST(find_invalid_utf8("ok\xC0\xAF").value() == 2u);        // overlong '/'
    BOOST_TEST(find_invalid_utf8("x\xED\xA0\x80").value() == 1u);     // UTF-16 surrogate D800
    BOOST_TEST(find_invalid_utf8("\xF4\x90\x80\x80").value() == 0u);  // above U+10FFFF
    BOOST_TEST(find_invalid_utf8("\xE2\x82").value() == 0u);          // truncated sequence at the end
    BOOST_TEST(find_invalid_utf8("a\x80").value() == 1u);             // lone continuation byte
    BOOST_TEST(find_invalid_utf8("\xE0\x80\x80").value() == 0u);      // overlong three-byte NUL
}

BOOST_AUTO_TEST_CASE(positions_count_lines_and_characters) {
    std::string_view const text = "ab\nc\xC3\xA9" "d\xFF";
    auto const at = position_of(text, text.size() - 1);
    BOOST_TEST(at.line == 2u);
    BOOST_TEST(at.column == 4u); // c, é (two bytes, one character), d, then the bad byte
    BOOST_TEST(position_of(text, 0).line == 1u);
    BOOST_TEST(position_of(text, 0).column == 1u);
}

BOOST_AUTO_TEST_CASE(counts_code_points_not_bytes) {
    BOOST_TEST(count_code_points("") == 0u);
    BOOST_TEST(count_code_points("abc") == 3u);
    BOOST_TEST(count_code_points("caf\xC3\xA9") == 4u);
    BOOST_TEST(count_code_points("\xF0\x9F\x8E\xAC\xE2\x82\xAC") == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
