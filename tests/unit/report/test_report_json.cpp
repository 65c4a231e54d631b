// The report as JSON: its fields, hostile text round-tripping.

#include "report_support.hpp"

using namespace evobatch::test::report_support;

BOOST_AUTO_TEST_SUITE(report_json)

BOOST_AUTO_TEST_CASE(document_fields) {
    auto const doc = boost::json::parse(report::render_json(sample_report())).as_object();
    BOOST_TEST(doc.at("manifest").as_string() == "m.yaml");
    BOOST_TEST(doc.at("ledger").as_string() == "l.jsonl");
    BOOST_TEST(doc.at("generated_at").as_string() == "2026-01-01T00:01:00.000Z");
    BOOST_TEST(doc.at("events").to_number<int>() == 20);
    auto const& totals = doc.at("totals").as_object();
    BOOST_TEST(totals.at("jobs").to_number<int>() == 7);
    BOOST_TEST(totals.at("tasks").to_number<int>() == 5);
    BOOST_TEST(totals.at("credits").at("charged").to_number<int>() == 38);
    BOOST_TEST(totals.at("credits").at("reserved_now").to_number<int>() == 30);
    BOOST_TEST(totals.at("credits").at("refunded").to_number<int>() == 40);
    BOOST_TEST(totals.at("wall_s").to_number<double>() == 50.5);
    BOOST_TEST(totals.at("first_event_at").as_string() == "2025-12-31T23:59:59.500Z");
    auto const& policy = totals.at("failure_reasons").at("content_policy_violation");
    BOOST_TEST(policy.at("count").to_number<int>() == 2);
    BOOST_TEST(policy.at("jobs") == boost::json::parse(R"(["broken", "broken-too"])"));
    BOOST_TEST(totals.at("failure_reasons").at("no_answer").at("jobs") == boost::json::parse(R"(["lost"])"));
    BOOST_TEST(totals.at("states").at("failed").to_number<int>() == 2);

    auto const& jobs = doc.at("jobs").as_array();
    BOOST_TEST_REQUIRE(jobs.size() == 7u);
    auto const& done = jobs[0].as_object();
    BOOST_TEST(done.at("id").as_string() == "done");
    BOOST_TEST(done.at("state").as_string() == "completed");
    BOOST_TEST(done.at("task").as_string() == "task-1");
    BOOST_TEST(done.at("attempts").to_number<int>() == 1);
    BOOST_TEST(done.at("credits").to_number<int>() == 28);
    BOOST_TEST(done.at("submitted_at").as_string() == "2026-01-01T00:00:01.000Z");
    BOOST_TEST(done.at("finished_at").as_string() == "2026-01-01T00:00:43.500Z");
    BOOST_TEST(done.at("actual_s").to_number<double>() == 42.5);
    BOOST_TEST(done.at("estimated_s").to_number<int>() == 300);
    BOOST_TEST(done.at("files").at(0).at("file").as_string() == "out/done.mp4");
    BOOST_TEST(done.at("files").at(0).at("sha256").as_string() == std::string(64, 'a'));
    BOOST_TEST(done.at("files").at(0).at("version").to_number<int>() == 1);
    BOOST_TEST(done.at("error").is_null());
    BOOST_TEST(done.at("prompt").as_string() == "Make it blue");
    BOOST_TEST(done.at("video").as_string() == "https://cdn.example.com/done.mp4");
    BOOST_TEST(done.at("note").is_null());
    BOOST_TEST(done.at("refunded").to_number<int>() == 0);
    BOOST_TEST_REQUIRE(done.at("runs").as_array().size() == 1u);
    auto const& run = done.at("runs").at(0);
    BOOST_TEST(run.at("task").as_string() == "task-1");
    BOOST_TEST(run.at("phase").as_string() == "completed");
    BOOST_TEST(run.at("current").as_bool());
    BOOST_TEST(run.at("submitted_at").as_string() == "2026-01-01T00:00:01.000Z");
    BOOST_TEST(run.at("actual_s").to_number<double>() == 42.5);
    BOOST_TEST(run.at("credits").to_number<int>() == 28);
    auto const& fresh = jobs[3].as_object();
    BOOST_TEST(fresh.at("state").as_string() == "new");
    BOOST_TEST(fresh.at("task").is_null());
    BOOST_TEST(fresh.at("submitted_at").is_null());
    BOOST_TEST(fresh.at("actual_s").is_null());
    BOOST_TEST(jobs[1].at("error").at("code").as_string() == "content_policy_violation");
    BOOST_TEST(jobs[1].at("refunded").to_number<int>() == 40);
    BOOST_TEST(jobs[3].at("runs").as_array().empty());
    BOOST_TEST(jobs[5].at("runs").at(0).at("task").is_null()); // lost: its create made no task we know
}

BOOST_AUTO_TEST_CASE(runs_and_files_of_every_request) {
    auto const doc = boost::json::parse(report::render_json(history_report())).as_object();
    auto const& done = doc.at("jobs").at(0);
    BOOST_TEST_REQUIRE(done.at("runs").as_array().size() == 2u);
    BOOST_TEST(done.at("runs").at(0).at("version").to_number<int>() == 1);
    BOOST_TEST(done.at("runs").at(0).at("task").as_string() == "task-0");
    BOOST_TEST(!done.at("runs").at(0).at("current").as_bool());
    BOOST_TEST(done.at("runs").at(1).at("version").to_number<int>() == 2);
    BOOST_TEST(done.at("runs").at(1).at("current").as_bool());
    BOOST_TEST_REQUIRE(done.at("files").as_array().size() == 2u);
    BOOST_TEST(done.at("files").at(0).at("file").as_string() == "out/done.mp4");
    BOOST_TEST(done.at("files").at(0).at("version").to_number<int>() == 1);
    BOOST_TEST(done.at("files").at(1).at("file").as_string() == "out/done@v2.mp4");
    BOOST_TEST(done.at("files").at(1).at("version").to_number<int>() == 2);
    auto const& broken = doc.at("jobs").at(1);
    BOOST_TEST_REQUIRE(broken.at("runs").as_array().size() == 3u);
    BOOST_TEST(broken.at("runs").at(0).at("error").at("code").as_string() == "internal_error");
    BOOST_TEST(broken.at("runs").at(0).at("refunded").to_number<int>() == 40);
    BOOST_TEST(broken.at("runs").at(2).at("attempt").to_number<int>() == 3);
}

BOOST_AUTO_TEST_CASE(an_uncertain_jobs_candidates) {
    auto const doc = boost::json::parse(report::render_json(candidates_report("\"q\"<x>"))).as_object();
    auto const& jobs = doc.at("jobs").as_array();
    BOOST_TEST(jobs[5].at("id").as_string() == "lost");
    auto const& candidates = jobs[5].at("candidates").as_array();
    BOOST_TEST_REQUIRE(candidates.size() == 2u);
    BOOST_TEST(candidates[0].at("id").as_string() == "task-unified-aaa");
    BOOST_TEST(candidates[0].at("created_at").as_string() == "2026-01-01T00:00:00Z");
    BOOST_TEST(candidates[1].at("id").as_string() == "\"q\"<x>");
    BOOST_TEST(candidates[1].at("created_at").as_string() == "2026-01-01T00:00:03Z");
    BOOST_TEST(jobs[0].at("candidates").as_array().empty()); // every row has the array
}

BOOST_AUTO_TEST_CASE(hostile_text_round_trips) {
    std::string const hostile = "</script>\"\\\n\x01 caf\xc3\xa9";
    auto const doc = boost::json::parse(report::render_json(sample_report(hostile))).as_object();
    BOOST_TEST(doc.at("jobs").at(1).at("error").at("message").as_string() == hostile);
}

BOOST_AUTO_TEST_SUITE_END()
