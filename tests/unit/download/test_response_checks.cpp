// What the downloader believes of a media host's answer (issue 14 "Faked"): declared types and
// encodings, digest headers (well-formed and not), the first bytes of a video.

#include "download/digest_headers.hpp"
#include "download/response_checks.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace evobatch;
using namespace evobatch::download::detail;
namespace data = boost::unit_test::data;

namespace {

// SHA-256("abc") in both forms.
constexpr std::string_view k_hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view k_b64 = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";

net::HttpResponse head_with(net::Headers headers, int status = 200) {
    net::HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    return r;
}

net::HttpResponse typed(std::string type) {
    return head_with({{"content-type", std::move(type)}});
}

struct TypeCase {
    char const* type;
    char const* extension;
    bool accepted;
};
std::ostream& operator<<(std::ostream& os, TypeCase const& c) {
    return os << c.type << " for ." << c.extension;
}

TypeCase const k_type_cases[] = {
    {"video/mp4", "mp4", true},
    {"Video/MP4; codecs=\"avc1\"", "mp4", true},
    {"video/webm", "webm", true},
    {"video/quicktime", "mov", true},
    {"application/octet-stream", "mp4", true},
    {"binary/octet-stream", "mp4", true},
    {"", "mp4", true},
    {" ; charset=utf-8", "mp4", true},
    {"text/html", "mp4", false},
    {"text/html; charset=utf-8", "mp4", false},
    {"TEXT/PLAIN", "mp4", false},
    {"application/json", "mp4", false},
    {"application/problem+json", "mp4", false},
    {"application/xml", "mp4", false},
    {"application/xhtml+xml", "mp4", false},
    {"application/javascript", "mp4", false},
    {"image/png", "mp4", false},
    {"audio/mpeg", "mkv", false},
    {"text/html", "bin", false}, // never a page, whatever the name
    {"application/json", "bin", false},
    {"image/png", "bin", true}, // an unknown name: anything but a document
    {"application/zip", "bin", true},
};

} // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::uint64_t>)

BOOST_AUTO_TEST_SUITE(response_checks)

BOOST_DATA_TEST_CASE(content_types, data::make(k_type_cases), c) {
    auto const why = check_response(typed(c.type), c.extension);
    BOOST_TEST(!why.has_value() == c.accepted, (why ? *why : "accepted"));
}

BOOST_AUTO_TEST_CASE(a_missing_type_is_accepted_and_an_encoded_body_is_not) {
    BOOST_TEST(!check_response(head_with({}), "mp4").has_value());
    BOOST_TEST(!check_response(head_with({{"content-encoding", "identity"}}), "mp4").has_value());
    auto const why =
        check_response(head_with({{"content-type", "video/mp4"}, {"content-encoding", "gzip"}}), "mp4");
    BOOST_TEST_REQUIRE(why.has_value());
    BOOST_TEST(why->find("gzip") != std::string::npos);
    auto const reason = check_response(typed("text/html"), "mp4");
    BOOST_TEST_REQUIRE(reason.has_value());
    BOOST_TEST(reason->find("text/html") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(content_length_is_read_only_when_valid) {
    BOOST_TEST(content_length(head_with({{"content-length", "12345"}})) ==
               std::optional<std::uint64_t>(12345));
    BOOST_TEST(!content_length(head_with({})).has_value());
    for (char const* bad : {"", "-1", "12a", " 12", "99999999999999999999999"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!content_length(head_with({{"content-length", bad}})).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(videos_must_start_like_their_kind) {
    std::string const mp4("\0\0\0\x20"
                          "ftypisom\0\0\x02\0",
                          16);
    BOOST_TEST(!check_magic("mp4", mp4).has_value());
    BOOST_TEST(!check_magic("mov", std::string("\0\0\0\x08wide\0\0\0\0", 12)).has_value());
    BOOST_TEST(!check_magic("m4v", std::string("\0\0\x10\0moov", 8)).has_value());
    BOOST_TEST(!check_magic("mp4", std::string("\0\0\0\x08mdat", 8)).has_value());
    BOOST_TEST(!check_magic("3gp", std::string("\0\0\0\x08"
                                               "free",
                                               8))
                    .has_value());
    BOOST_TEST(!check_magic("webm", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81").has_value());
    BOOST_TEST(!check_magic("mkv", "\x1a\x45\xdf\xa3").has_value());
    auto const page = check_magic("mp4", "<html>Not found</html>\n");
    BOOST_TEST_REQUIRE(page.has_value());
    BOOST_TEST(page->find("<html>No") != std::string::npos, *page); // shows what it starts with
    BOOST_TEST(check_magic("mp4", std::string("\0\0\0\x20"
                                              "ftyp",
                                              7))
                   .has_value()); // too short
    BOOST_TEST(check_magic("mp4", "").has_value());
    BOOST_TEST(check_magic("webm", mp4).has_value());
    BOOST_TEST(check_magic("mp4", "\x1a\x45\xdf\xa3\x9f\x42\x86\x81").has_value());
    auto const binary = check_magic("mkv", std::string("\0\x01\xff", 3));
    BOOST_TEST_REQUIRE(binary.has_value());
    BOOST_TEST(binary->find("\\x00\\x01\\xff") != std::string::npos, *binary); // never raw bytes in a message
    BOOST_TEST(!check_magic("bin", "anything").has_value());                   // unknown kinds are not judged
    BOOST_TEST(!check_magic("gif", "").has_value());
}

BOOST_AUTO_TEST_CASE(each_digest_header_form_is_read) {
    BOOST_TEST(digest_field_sha256("sha-256=" + std::string(k_b64)) == std::optional<std::string>(k_hex));
    BOOST_TEST(digest_field_sha256("MD5=HUXZLQLMuI/KZ5KDcJPcOA==, SHA-256=" + std::string(k_b64)) ==
               std::optional<std::string>(k_hex));
    BOOST_TEST(structured_digest_sha256("sha-256=:" + std::string(k_b64) + ":") ==
               std::optional<std::string>(k_hex));
    BOOST_TEST(structured_digest_sha256("sha-512=:AAAA:, sha-256=:" + std::string(k_b64) + ":;p=1") ==
               std::optional<std::string>(k_hex));
    BOOST_TEST(plain_sha256(std::string(k_hex)) == std::optional<std::string>(k_hex));
    BOOST_TEST(plain_sha256("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD") ==
               std::optional<std::string>(k_hex)); // compared in lower case
    BOOST_TEST(plain_sha256(k_b64) == std::optional<std::string>(k_hex));
    BOOST_TEST(plain_sha256(k_b64.substr(0, k_b64.size() - 1)) ==
               std::optional<std::string>(k_hex)); // unpadded
}

BOOST_AUTO_TEST_CASE(malformed_digests_are_ignored_as_if_absent) {
    std::string const b64(k_b64);
    for (std::string const& bad : std::vector<std::string>{
             "", "sha-256", "sha-256=", "sha-256=:" + b64 + ":", "sha-256=" + b64.substr(4),
             "sha-256=" + std::string(k_hex), "sha-256=%%%", "sha-2560=" + b64,
             "md5=HUXZLQLMuI/KZ5KDcJPcOA==", ",,,", "=", "sha-256==" + b64}) {
        BOOST_TEST_CONTEXT("Digest: " << bad) {
            BOOST_TEST(!digest_field_sha256(bad).has_value());
        }
    }
    for (std::string const& bad : std::vector<std::string>{
             "", "sha-256=" + b64, "sha-256=:" + b64, "sha-256=" + b64 + ":", "SHA-256=:" + b64 + ":",
             "sha-256=::", "sha-256=:" + b64.substr(4) + ":", "sha-256=:" + std::string(k_hex) + ":",
             "sha-256=:" + b64 + "x:", ":" + b64 + ":", "sha-256", "sha-256=:", "sha-256=:;:"}) {
        BOOST_TEST_CONTEXT("Repr-Digest: " << bad) {
            BOOST_TEST(!structured_digest_sha256(bad).has_value());
        }
    }
    for (std::string const& bad : std::vector<std::string>{
             "", std::string(k_hex.substr(1)), std::string(k_hex) + "0", std::string(k_hex.substr(2)) + "zz",
             b64 + "-3", "UNSIGNED-PAYLOAD", b64.substr(0, 40)}) {
        BOOST_TEST_CONTEXT("x-amz-meta-sha256: " << bad) {
            BOOST_TEST(!plain_sha256(bad).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(declared_digests_come_from_the_headers_that_cover_the_whole_file) {
    net::Headers const headers = {{"digest", "sha-256=" + std::string(k_b64)},
                                  {"repr-digest", "sha-256=:" + std::string(k_b64) + ":"},
                                  {"content-digest", "sha-256=:" + std::string(k_b64) + ":"},
                                  {"x-amz-meta-sha256", std::string(k_hex)},
                                  {"x-goog-meta-sha256", std::string(k_b64)},
                                  {"x-sha256", std::string(k_hex)}, // no middle part: not one of ours
                                  {"x-goog-hash", "crc32c=n03x6A==, md5=Ojk9c3dhfxgoKVVHYwFbHQ=="},
                                  {"etag", "\"" + std::string(k_hex) + "\""},
                                  {"x-amz-checksum-sha256", "garbage"}};
    auto const whole = declared_sha256(headers, true);
    std::vector<std::string> names;
    for (auto const& d : whole) {
        names.push_back(d.header);
        BOOST_TEST(d.sha256 == k_hex);
    }
    BOOST_TEST((names == std::vector<std::string>{"digest", "repr-digest", "content-digest",
                                                  "x-amz-meta-sha256", "x-goog-meta-sha256"}));
    auto const partial = declared_sha256(headers, false); // a 206's Content-Digest covers its range only
    BOOST_TEST(partial.size() == 4u);
    BOOST_TEST(declared_sha256({}, true).empty());
}

BOOST_AUTO_TEST_CASE(every_declared_digest_must_match) {
    BOOST_TEST(!check_digests({}, k_hex).has_value());
    BOOST_TEST(!check_digests({{"repr-digest", std::string(k_hex)}, {"digest", std::string(k_hex)}}, k_hex)
                    .has_value());
    std::string const other(64, '0');
    auto const why =
        check_digests({{"repr-digest", std::string(k_hex)}, {"x-amz-meta-sha256", other}}, k_hex);
    BOOST_TEST_REQUIRE(why.has_value());
    BOOST_TEST(why->find("x-amz-meta-sha256") != std::string::npos, *why);
    BOOST_TEST(why->find(other) != std::string::npos, *why);
}

BOOST_AUTO_TEST_SUITE_END()
