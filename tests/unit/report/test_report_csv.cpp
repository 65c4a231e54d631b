// The report as CSV: RFC 4180 quoting, the formula guard, one record per job.

#include "report_support.hpp"

using namespace evobatch::test::report_support;

BOOST_AUTO_TEST_SUITE(report_csv)

BOOST_AUTO_TEST_CASE(fields_are_quoted_as_rfc_4180_says) {
    BOOST_TEST(report::csv_text_field("plain text") == "plain text");
    BOOST_TEST(report::csv_text_field("") == "");
    BOOST_TEST(report::csv_text_field("a,b") == "\"a,b\"");
    BOOST_TEST(report::csv_text_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    BOOST_TEST(report::csv_text_field("two\nlines") == "\"two\nlines\"");
    BOOST_TEST(report::csv_text_field("cr\rhere") == "\"cr\rhere\"");
}

BOOST_AUTO_TEST_CASE(formula_starts_get_an_apostrophe) {
    BOOST_TEST(report::csv_text_field("=1+2") == "'=1+2");
    BOOST_TEST(report::csv_text_field("+1") == "'+1");
    BOOST_TEST(report::csv_text_field("-1") == "'-1");
    BOOST_TEST(report::csv_text_field("@SUM(A1)") == "'@SUM(A1)");
    BOOST_TEST(report::csv_text_field("\tx") == "'\tx");
    BOOST_TEST(report::csv_text_field("=HYPERLINK(\"http://x\",\"y\")") ==
               "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    BOOST_TEST(report::csv_text_field("a=b") == "a=b"); // only the first character matters
}

BOOST_AUTO_TEST_CASE(one_record_per_job_after_the_header) {
    Report const r = sample_report("line one,\n\"quoted\" line two");
    auto const records = parse_csv(report::render_csv(r));
    BOOST_TEST_REQUIRE(records.size() == 8u);
    // The first 14 columns as they always were (readers by position), the new ones after them.
    std::vector<std::string> const header{
        "id",       "state",       "task", "attempts", "credits", "submitted_at", "finished_at",
        "actual_s", "estimated_s", "file", "bytes",    "sha256",  "error_code",   "error_message",
        "prompt",   "video",       "note", "refunded", "tasks",   "file_versions", "candidates"};
    BOOST_TEST(records[0] == header, boost::test_tools::per_element());
    for (auto const& rec : records) {
        BOOST_TEST(rec.size() == header.size());
    }
    std::vector<std::string> const done{"done",
                                        "completed",
                                        "task-1",
                                        "1",
                                        "28",
                                        "2026-01-01T00:00:01.000Z",
                                        "2026-01-01T00:00:43.500Z",
                                        "42.5",
                                        "300",
                                        "out/done.mp4",
                                        "1024",
                                        std::string(64, 'a'),
                                        "",
                                        "",
                                        "Make it blue",
                                        "https://cdn.example.com/done.mp4",
                                        "",
                                        "0",
                                        "task-1",
                                        "1",
                                        ""};
    BOOST_TEST(records[1] == done, boost::test_tools::per_element());
    BOOST_TEST(records[2][7] == "10");
    BOOST_TEST(records[2][13] == "line one,\n\"quoted\" line two"); // survives quoting whole
    BOOST_TEST(records[4][1] == "new");
    BOOST_TEST(records[4][4] == ""); // nothing known, not zero
    BOOST_TEST(records[7][0] == "broken-too");
    BOOST_TEST(records[7][13] == "'=cmd|' /C calc'!A0"); // a server's formula stays text
    BOOST_TEST(records[2][17] == "40");                  // broken's failed task, refunded
    BOOST_TEST(records[4][17] == "");                    // fresh: nothing known
    BOOST_TEST(!records[5][16].empty());                 // edited: what the next run does with it
}

BOOST_AUTO_TEST_CASE(every_task_and_file_version_in_one_row) {
    auto const records = parse_csv(report::render_csv(history_report()));
    BOOST_TEST_REQUIRE(records.size() == 8u);
    BOOST_TEST(records[1][0] == "done");
    BOOST_TEST(records[1][9] == "out/done.mp4;out/done@v2.mp4");
    BOOST_TEST(records[1][10] == "512;1024");
    BOOST_TEST(records[1][18] == "task-0;task-1");
    BOOST_TEST(records[1][19] == "1;2");
    BOOST_TEST(records[2][18] == "task-2a;task-2b;task-2");
}

BOOST_AUTO_TEST_CASE(an_uncertain_jobs_candidates_in_one_cell) {
    auto const records = parse_csv(report::render_csv(candidates_report("=HYPERLINK(\"x\")")));
    BOOST_TEST_REQUIRE(records.size() == 8u);
    BOOST_TEST(records[6][0] == "lost");
    BOOST_TEST(records[6][20] ==
               "task-unified-aaa@2026-01-01T00:00:00Z;=HYPERLINK(\"x\")@2026-01-01T00:00:03Z");
    BOOST_TEST(records[1][20] == "");
    // A candidate first in the cell is guarded like any server text.
    auto const first = parse_csv(report::render_csv([] {
        Report r = candidates_report();
        for (auto& row : r.rows) {
            if (row.id == "lost") {
                row.candidates.at(0).id = "=1+2";
            }
        }
        return r;
    }()));
    BOOST_TEST(first[6][20].starts_with("'=1+2@"));
}

BOOST_AUTO_TEST_SUITE_END()
