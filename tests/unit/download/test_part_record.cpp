// What a .part file belongs to and whether an answer continues it (issue 14 "Spliced across
// tasks"): validators, the record's text (and damaged ones), Content-Range, and 206 answers.

#include "download/part_record.hpp"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>

using namespace evobatch;
using namespace evobatch::download::detail;

namespace {

net::HttpResponse head_with(net::Headers headers, int status = 206) {
    net::HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    return r;
}

PartRecord sample_record() {
    PartRecord r;
    r.task_id = "task-unified-1757169743-7cvnl5zw";
    r.url = "https://files.example.com/r/0.mp4?sig=a\"b\\c";
    r.validator = {Validator::Kind::etag, "\"abc-123\""};
    r.size = 1000;
    r.digests = {{"repr-digest", std::string(64, 'a')}};
    return r;
}

// A 206 for bytes [first, 999] of 1000 under the sample's ETag.
net::HttpResponse continuation(std::uint64_t first, std::string etag = "\"abc-123\"") {
    return head_with({{"content-range", "bytes " + std::to_string(first) + "-999/1000"},
                      {"content-length", std::to_string(1000 - first)},
                      {"etag", std::move(etag)}});
}

} // namespace

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::uint64_t>)

BOOST_AUTO_TEST_SUITE(part_record)

BOOST_AUTO_TEST_CASE(the_validator_is_a_strong_etag_else_last_modified) {
    auto const both =
        validator_of(head_with({{"etag", "\"v1\""}, {"last-modified", "Tue, 14 Nov 2023 22:13:20 GMT"}}));
    BOOST_TEST_REQUIRE(both.has_value());
    BOOST_TEST((both->kind == Validator::Kind::etag));
    BOOST_TEST(both->value == "\"v1\"");
    auto const weak =
        validator_of(head_with({{"etag", "W/\"v1\""}, {"last-modified", "Tue, 14 Nov 2023 22:13:20 GMT"}}));
    BOOST_TEST_REQUIRE(weak.has_value()); // If-Range must not carry a weak ETag
    BOOST_TEST((weak->kind == Validator::Kind::last_modified));
    BOOST_TEST(!validator_of(head_with({{"etag", "W/\"v1\""}})).has_value());
    BOOST_TEST(!validator_of(head_with({{"etag", ""}})).has_value());
    BOOST_TEST(!validator_of(head_with({})).has_value());
}

BOOST_AUTO_TEST_CASE(a_record_reads_back_as_itself) {
    PartRecord const r = sample_record();
    BOOST_TEST((parse_part_record(to_text(r)) == std::optional<PartRecord>(r)));
    PartRecord by_date = r;
    by_date.validator = {Validator::Kind::last_modified, "Tue, 14 Nov 2023 22:13:20 GMT"};
    by_date.size.reset();
    by_date.digests.clear();
    BOOST_TEST((parse_part_record(to_text(by_date)) == std::optional<PartRecord>(by_date)));
    BOOST_TEST(to_text(r).find('\n') == to_text(r).size() - 1); // one line
}

BOOST_AUTO_TEST_CASE(damaged_or_foreign_records_are_no_records) {
    std::string const good = to_text(sample_record());
    for (
        std::string const& bad : {
            std::string(),
            std::string("\n"),
            good.substr(0, good.size() / 2),
            std::string("[]"),
            std::string("null"),
            std::string(R"({"evobatch_part":2,"task":"t","url":"u","etag":"\"e\"","digests":[]})"),
            std::string(R"({"task":"t","url":"u","etag":"\"e\"","digests":[]})"),
            std::string(R"({"evobatch_part":"1","task":"t","url":"u","etag":"\"e\"","digests":[]})"),
            std::string(R"({"evobatch_part":1,"task":7,"url":"u","etag":"\"e\"","digests":[]})"),
            std::string(R"({"evobatch_part":1,"task":"t","etag":"\"e\"","digests":[]})"),
            std::string(R"({"evobatch_part":1,"task":"t","url":"u","digests":[]})"), // no validator
            std::string(
                R"({"evobatch_part":1,"task":"t","url":"u","etag":"\"e\"","last_modified":"x","digests":[]})"),
            std::string(R"({"evobatch_part":1,"task":"t","url":"u","etag":"\"e\"","size":-1,"digests":[]})"),
            std::string(R"({"evobatch_part":1,"task":"t","url":"u","etag":"\"e\"","size":"9","digests":[]})"),
            std::string(R"({"evobatch_part":1,"task":"t","url":"u","etag":"\"e\""})"),
            std::string(
                R"({"evobatch_part":1,"task":"t","url":"u","etag":"\"e\"","digests":[{"header":"x"}]})"),
            std::string(R"({"evobatch_part":1,"task":"t","url":"u","etag":"\"e\"","digests":[1]})"),
        }) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!parse_part_record(bad).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(the_part_and_its_record_sit_beside_the_result_under_its_name) {
    std::filesystem::path const target = "/out/job-00068@v2-2.mp4";
    BOOST_TEST(part_path(target) == "/out/job-00068@v2-2.mp4.part");
    BOOST_TEST(record_path(target) == "/out/job-00068@v2-2.mp4.part.json");
    PartRecord const r = sample_record();
    BOOST_TEST(belongs_to(r, r.task_id, r.url));
    BOOST_TEST(!belongs_to(r, "task-unified-1757169743-other000", r.url));
    BOOST_TEST(!belongs_to(r, r.task_id, r.url + "&again"));
}

BOOST_AUTO_TEST_CASE(content_ranges_are_read_strictly) {
    auto const r = net::parse_content_range("bytes 100-199/1000");
    BOOST_TEST_REQUIRE(r.has_value());
    BOOST_TEST(r->first == 100u);
    BOOST_TEST(r->last == 199u);
    BOOST_TEST(r->total == std::optional<std::uint64_t>(1000));
    auto const unknown = net::parse_content_range("bytes 0-0/*");
    BOOST_TEST_REQUIRE(unknown.has_value());
    BOOST_TEST(!unknown->total.has_value());
    for (char const* bad :
         {"", "bytes", "bytes */1000", "bytes 100-/1000", "bytes -199/1000", "bytes 200-100/1000",
          "bytes 100-1000/1000", "bytes 100-199/", "bytes 100-199/10x", "items 1-2/3", "bytes 100-199",
          "bytes 1-2/3/4", "bytes 18446744073709551616-1/2"}) {
        BOOST_TEST_CONTEXT(bad) {
            BOOST_TEST(!net::parse_content_range(bad).has_value());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_206_continues_a_part_only_where_it_ends_and_of_the_same_file) {
    PartRecord const r = sample_record();
    BOOST_TEST(!check_continuation(continuation(400), r, 400).has_value());
    auto const expect_reason = [&](net::HttpResponse const& head, std::uint64_t part_size,
                                   std::string_view words) {
        auto const why = check_continuation(head, r, part_size);
        BOOST_TEST_REQUIRE(why.has_value());
        BOOST_TEST(why->find(words) != std::string::npos, *why);
    };
    expect_reason(continuation(300), 400, "continued at byte 300");
    expect_reason(continuation(400, "\"abc-124\""), 400, "ETag");   // another file
    expect_reason(continuation(400, "W/\"abc-123\""), 400, "ETag"); // not the same, strongly
    expect_reason(head_with({{"content-range", "bytes 400-999/1000"}}), 400, "missing"); // no ETag at all
    expect_reason(head_with({{"content-range", "bytes 400-1999/2000"}, {"etag", "\"abc-123\""}}), 400,
                  "2000");
    expect_reason(head_with({{"content-range", "bytes 400-499/1000"}, {"etag", "\"abc-123\""}}), 400,
                  "not the rest");
    expect_reason(
        head_with(
            {{"content-range", "bytes 400-999/1000"}, {"content-length", "599"}, {"etag", "\"abc-123\""}}),
        400, "Content-Length");
    expect_reason(head_with({{"etag", "\"abc-123\""}}), 400, "Content-Range");
    expect_reason(head_with({{"content-range", "bytes 400-999/*"}, {"etag", "\"abc-123\""}}), 400, "unknown");

    PartRecord by_date = r;
    by_date.validator = {Validator::Kind::last_modified, "Tue, 14 Nov 2023 22:13:20 GMT"};
    auto const dated = head_with(
        {{"content-range", "bytes 400-999/1000"}, {"last-modified", "Tue, 14 Nov 2023 22:13:20 GMT"}});
    BOOST_TEST(!check_continuation(dated, by_date, 400).has_value());
    auto const later = head_with(
        {{"content-range", "bytes 400-999/1000"}, {"last-modified", "Tue, 14 Nov 2023 22:13:21 GMT"}});
    BOOST_TEST(check_continuation(later, by_date, 400).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
