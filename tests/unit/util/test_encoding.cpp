#include "evobatch/util/encoding.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>

using namespace evobatch::util;

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)

BOOST_AUTO_TEST_SUITE(encoding)

BOOST_AUTO_TEST_CASE(hex_round_trips_and_refuses_what_is_not_hex) {
    BOOST_TEST(hex_encode(std::string("\x00\x7f\xff", 3)) == "007fff");
    BOOST_TEST(hex_decode("007FfF") == std::optional<std::string>(std::string("\x00\x7f\xff", 3)));
    BOOST_TEST(hex_decode("") == std::optional<std::string>(""));
    BOOST_TEST(!hex_decode("abc").has_value()); // odd length
    BOOST_TEST(!hex_decode("zz").has_value());
    BOOST_TEST(!hex_decode("0x").has_value());
}

BOOST_AUTO_TEST_CASE(base64_follows_rfc_4648) {
    BOOST_TEST(base64_encode("") == "");
    BOOST_TEST(base64_encode("f") == "Zg==");
    BOOST_TEST(base64_encode("fo") == "Zm8=");
    BOOST_TEST(base64_encode("foo") == "Zm9v");
    BOOST_TEST(base64_encode("foob") == "Zm9vYg==");
    for (std::string_view const text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        BOOST_TEST(base64_decode(base64_encode(text)) == std::optional<std::string>(text));
    }
    BOOST_TEST(base64_decode("Zg") == std::optional<std::string>("f")); // unpadded
    BOOST_TEST(base64_decode("Zm8") == std::optional<std::string>("fo"));
}

BOOST_AUTO_TEST_CASE(malformed_base64_is_refused) {
    for (std::string_view const bad : {"Z", "Zg=", "Zg===", "====", "Z===", "Zm9v=", "Zm 9v", "Zm9v\n",
                                       "Zh==", "Zm9=", "Zm-v", "Zm_v", "Z=g=", "=Zg="}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!base64_decode(bad).has_value());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
