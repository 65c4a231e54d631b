#include "evobatch/api/task_list.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch::api;

namespace {

// A page as Evolink's own clients receive it (api.md "Other endpoints").
constexpr std::string_view k_good_page = R"({"data": [
  {"id": "task-unified-1757169800-b", "model": "kling-o1-video-edit-fast", "type": "video", "status": "processing",
   "progress": 40, "created_at": 1757169800, "duration": 9, "has_results": false, "result_count": 0,
   "has_error": false, "credits_used": 0},
  {"id": "task-unified-1757169743-a", "model": "kling-o1-video-edit", "type": "video", "status": "completed",
   "progress": 100, "created_at": 1757169743, "duration": 12.5, "has_results": true, "result_count": 1,
   "has_error": false, "credits_used": 25}
 ], "total": 7, "page": 1, "page_size": 2})";

} // namespace

BOOST_AUTO_TEST_SUITE(api_task_list)

BOOST_AUTO_TEST_CASE(reads_a_good_page_in_the_servers_order) {
    auto const page = parse_task_list_page(k_good_page);
    BOOST_REQUIRE(page.has_value());
    BOOST_REQUIRE(page->tasks.size() == 2u);
    BOOST_TEST(page->unusable.empty());
    BOOST_TEST(page->total.value() == 7);
    BOOST_TEST(page->page.value() == 1);
    BOOST_TEST(page->page_size.value() == 2);
    auto const& newest = page->tasks[0];
    BOOST_TEST(newest.id == "task-unified-1757169800-b");
    BOOST_TEST(newest.model == "kling-o1-video-edit-fast");
    BOOST_TEST(newest.type == "video");
    BOOST_TEST((newest.status == TaskStatus::processing));
    BOOST_TEST(newest.progress == 40);
    BOOST_TEST(newest.created_at == 1757169800);
    BOOST_TEST(newest.duration.value() == 9.0);
    BOOST_TEST(newest.has_results.value() == false);
    BOOST_TEST(newest.result_count.value() == 0);
    BOOST_TEST(newest.credits_used.value() == 0);
    auto const& older = page->tasks[1];
    BOOST_TEST((older.status == TaskStatus::completed));
    BOOST_TEST(older.duration.value() == 12.5);
    BOOST_TEST(older.credits_used.value() == 25);
    BOOST_TEST(page->items() == 2u);
}

BOOST_AUTO_TEST_CASE(reads_an_empty_page) {
    auto const page = parse_task_list_page(R"({"data": [], "total": 0, "page": 3, "page_size": 20})");
    BOOST_REQUIRE(page.has_value());
    BOOST_TEST(page->tasks.empty());
    BOOST_TEST(page->items() == 0u);
    BOOST_TEST(page->total.value() == 0);
    BOOST_TEST(page->page.value() == 3);
}

BOOST_AUTO_TEST_CASE(absent_optional_fields_stay_absent) {
    auto const page = parse_task_list_page(
        R"({"data": [{"id": "task-unified-1-a", "status": "queued_upstream", "created_at": 5, "duration": null}]})");
    BOOST_REQUIRE(page.has_value());
    BOOST_REQUIRE(page->tasks.size() == 1u);
    auto const& t = page->tasks[0];
    BOOST_TEST(t.model.empty());
    BOOST_TEST(t.type.empty());
    BOOST_TEST(t.progress == 0);
    BOOST_TEST((t.status == TaskStatus::unknown));
    BOOST_TEST(t.status_text == "queued_upstream");
    BOOST_TEST(!t.duration);
    BOOST_TEST(!t.has_results);
    BOOST_TEST(!t.result_count);
    BOOST_TEST(!t.has_error);
    BOOST_TEST(!t.credits_used);
    BOOST_TEST(!page->total);
    BOOST_TEST(!page->page);
    BOOST_TEST(!page->page_size);
}

BOOST_AUTO_TEST_CASE(ignores_extra_fields_and_reads_number_spellings) {
    auto const page = parse_task_list_page(R"({"data": [{"id": "task-unified-1-a", "status": "failed",
      "created_at": "1757169743", "progress": 99.6, "prompt": {"nested": [1]}, "results": ["https://x/y.mp4"],
      "credits_used": 7.0}], "total": 1, "next": "cursor", "success": true})");
    BOOST_REQUIRE(page.has_value());
    BOOST_REQUIRE(page->tasks.size() == 1u);
    BOOST_TEST(page->tasks[0].created_at == 1757169743);
    BOOST_TEST(page->tasks[0].progress == 100);
    BOOST_TEST(page->tasks[0].credits_used.value() == 7);
    BOOST_TEST((page->tasks[0].status == TaskStatus::failed));
}

BOOST_AUTO_TEST_CASE(a_missing_required_field_is_an_error_that_names_it) {
    struct Case {
        std::string_view body;
        std::string_view message;
    };
    for (auto const& c : {
             Case{R"({"data": [{"status": "completed", "created_at": 1}]})", "data[0] has no id"},
             Case{R"({"data": [{"id": "task-unified-1-a", "created_at": 1}]})", "data[0] has no status"},
             Case{R"({"data": [{"id": "task-unified-1-a", "status": "completed", "created_at": 1},
                              {"id": "task-unified-1-b", "status": "completed"}]})",
                  "data[1] has no created_at"},
             Case{R"({"total": 3})", "data is missing or not an array"},
         }) {
        auto const page = parse_task_list_page(c.body);
        BOOST_TEST_INFO(c.body);
        BOOST_REQUIRE(!page.has_value());
        BOOST_TEST(page.error().message() == c.message);
    }
}

BOOST_AUTO_TEST_CASE(a_wrong_type_is_an_error_that_names_the_field) {
    struct Case {
        std::string_view body;
        std::string_view message;
    };
    for (auto const& c : {
             Case{R"({"data": [{"id": 7, "status": "completed", "created_at": 1}]})", "data[0].id is not a string"},
             Case{R"({"data": [{"id": "task-unified-1-a", "status": 3, "created_at": 1}]})",
                  "data[0].status is not a string"},
             Case{R"({"data": [{"id": "task-unified-1-a", "status": "completed", "created_at": "yesterday"}]})",
                  "data[0].created_at is not a number"},
             Case{R"({"data": [{"id": "task-unified-1-a", "status": "completed", "created_at": 1, "duration": "9s"}]})",
                  "data[0].duration is not a number"},
             Case{R"({"data": [{"id": "task-unified-1-a", "status": "completed", "created_at": 1, "has_error": 0}]})",
                  "data[0].has_error is not true or false"},
             Case{R"({"data": [{"id": "task-unified-1-a", "status": "completed", "created_at": 1, "model": []}]})",
                  "data[0].model is not a string"},
             Case{R"({"data": ["task-unified-1-a"]})", "data[0] is not an object"},
             Case{R"({"data": {"id": "task-unified-1-a"}})", "data is missing or not an array"},
             Case{R"({"data": [], "total": "many"})", "total is not a number"},
             Case{R"([])", "the body is not a JSON object"},
         }) {
        auto const page = parse_task_list_page(c.body);
        BOOST_TEST_INFO(c.body);
        BOOST_REQUIRE(!page.has_value());
        BOOST_TEST(page.error().message() == c.message);
    }
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_json_is_an_error) {
    for (std::string_view const body : {"", "<html>502</html>", R"({"data": [)"}) {
        auto const page = parse_task_list_page(body);
        BOOST_TEST_INFO(body);
        BOOST_REQUIRE(!page.has_value());
        BOOST_TEST(page.error().message().rfind("the body is not JSON", 0) == 0u);
    }
}

BOOST_AUTO_TEST_CASE(an_item_with_an_unusable_id_is_reported_not_trusted) {
    auto const page = parse_task_list_page(R"({"data": [
      {"id": "task-unified-2-b", "status": "completed", "created_at": 2},
      {"id": "..", "status": "completed", "created_at": 1},
      {"id": "task-\u0007bell", "status": "completed", "created_at": 1},
      {"id": "", "status": "completed", "created_at": 1}], "total": 4})");
    BOOST_REQUIRE(page.has_value());
    BOOST_REQUIRE(page->tasks.size() == 1u);
    BOOST_TEST(page->tasks[0].id == "task-unified-2-b");
    BOOST_REQUIRE(page->unusable.size() == 3u);
    BOOST_TEST(page->unusable[0].index == 1u);
    BOOST_TEST(page->unusable[0].id == "..");
    BOOST_TEST(page->unusable[0].problem.find("dot segment") != std::string::npos);
    BOOST_TEST(page->unusable[1].index == 2u);
    BOOST_TEST(page->unusable[1].problem == "holds a control character");
    BOOST_TEST(page->unusable[2].problem == "is empty");
    BOOST_TEST(page->items() == 4u);
}

BOOST_AUTO_TEST_CASE(the_query_string_percent_encodes_its_values) {
    BOOST_TEST(list_query_string(ListQuery{}) == "?page=1&page_size=20");
    ListQuery q;
    q.status = "processing";
    q.type = "video";
    q.model = "kling o1/edit&x=1";
    q.page = 3;
    q.page_size = 2;
    BOOST_TEST(list_query_string(q) == "?page=3&page_size=2&status=processing&type=video&model=kling%20o1%2Fedit%26x%3D1");
}

BOOST_AUTO_TEST_CASE(a_written_page_reads_back) {
    auto const page = parse_task_list_page(k_good_page);
    BOOST_REQUIRE(page.has_value());
    auto const again = parse_task_list_page(to_json_text(*page));
    BOOST_REQUIRE(again.has_value());
    BOOST_REQUIRE(again->tasks.size() == 2u);
    BOOST_TEST(again->tasks[1].id == page->tasks[1].id);
    BOOST_TEST(again->tasks[1].duration.value() == 12.5);
    BOOST_TEST(again->tasks[1].credits_used.value() == 25);
    BOOST_TEST(again->tasks[0].has_results.value() == false);
    BOOST_TEST(again->total.value() == 7);
}

BOOST_AUTO_TEST_SUITE_END()
