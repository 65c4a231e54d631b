#include "evobatch/util/terminal_text.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

using evobatch::util::clean_text;

BOOST_AUTO_TEST_SUITE(util_terminal_text)

BOOST_AUTO_TEST_CASE(free_text_cannot_drive_the_terminal) {
    BOOST_TEST(clean_text("bad\x1b[2Jthing") == "bad [2Jthing");
    BOOST_TEST(clean_text("\x1b]0;owned\x07title") == " ]0;owned title"); // OSC: retitles the window
    BOOST_TEST(clean_text("two\nlines\r\t") == "two lines  ");
    BOOST_TEST(clean_text("csi\xc2\x9b"
                          "31m") == "csi  31m"); // U+009B, a one-byte CSI
    BOOST_TEST(clean_text("broken \xff\xfe utf-8") == "broken ?? utf-8");
    BOOST_TEST(clean_text("caf\xc3\xa9 \xe2\x9c\x93") == "caf\xc3\xa9 \xe2\x9c\x93"); // kept as is
    BOOST_TEST(clean_text("del\x7f") == "del ");
    BOOST_TEST(clean_text(std::string("nul\0here", 8)) == "nul here");
}

BOOST_AUTO_TEST_SUITE_END()
