// The field table (src/ledger/fields.hpp) drives the writer, the fast reader and the SAX
// dispatch: a line with every field, as the writer before the table wrote it, reads and is
// written back byte for byte, both readers read it alike, and a key's lookup finds each field
// and nothing else.

#include "ledger/field_lookup.hpp"
#include "ledger/fields.hpp"
#include "ledger/line_parser.hpp"

#include "evobatch/ledger/event.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace evobatch::ledger;

// Every field of a job event, as the writer before the table wrote it (evobatch 8e9d949).
constexpr std::string_view k_every_field_line =
    R"({"v":1,"t":1767225600123,"job":"clip-007","req":"9b74","ev":"completed","task":"task-1",)"
    R"("attempt":2,"key":"evb-clip-007-9b74-2","rid":"req_01HZ","progress":45,"eta_s":120,"credits":30,)"
    R"("results":["https://cdn.example.com/a.mp4?sig=x&y=1","https://cdn.example.com/b.mp4"],)"
    R"("error":{"code":"rate_limited","message":"Too many requests"},"file":"out/clip-007.mp4",)"
    R"("bytes":18446744073709551615,"sha256":"e3b0","manifest":"jobs/demo.yaml","digest":"d"})"
    "\n";

} // namespace

BOOST_AUTO_TEST_SUITE(ledger_fields)

BOOST_AUTO_TEST_CASE(a_line_with_every_field_reads_and_is_written_as_before) {
    auto const parsed = parse_json_line(k_every_field_line);
    BOOST_TEST_REQUIRE(parsed.has_value());
    BOOST_TEST(to_json_line(*parsed) == k_every_field_line);
    BOOST_TEST(parsed->results.size() == 2U);
    BOOST_TEST((parsed->error == EventError{"rate_limited", "Too many requests"}));
    BOOST_TEST((parsed->bytes == 18'446'744'073'709'551'615ULL));
    BOOST_TEST((parsed->digest == std::optional<std::string>("d")));
}

BOOST_AUTO_TEST_CASE(the_fast_reader_and_the_sax_dispatch_read_it_alike) {
    detail::LineParser fast;
    detail::LineParser sax;
    BOOST_TEST_REQUIRE(!fast.parse(k_every_field_line));
    BOOST_TEST_REQUIRE(!sax.parse_without_fast_path(k_every_field_line));
    auto const& a = fast.view();
    auto const& b = sax.view();
    BOOST_TEST(std::ranges::equal(a.results, b.results));
    BOOST_TEST((a.error == b.error));
    BOOST_TEST((a.task == b.task && a.bytes == b.bytes && a.digest == b.digest && a.t_ms == b.t_ms));
}

BOOST_AUTO_TEST_CASE(a_key_finds_its_field_and_nothing_else) {
    for (std::size_t i = 0; i < detail::k_field_count; ++i) {
        BOOST_TEST(detail::field_index(detail::k_field_names[i]) == i);
    }
    for (std::string_view const other : {"", "x", "tas", "tasks", "Task", "ta k", "eta", "sha257", "code"}) {
        BOOST_TEST_CONTEXT(other) {
            BOOST_TEST(detail::field_index(other) == detail::k_unknown_field);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
