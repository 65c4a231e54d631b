// ApiClient::list_tasks against the simulator's GET /v1/tasks over real TLS on loopback.

#include "integration/net/client_fixture.hpp"

#include <boost/test/unit_test.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

using namespace evobatch;
using evobatch::test::ClientFixture;
using evobatch::test::sample_request;

namespace {

// Makes `count` tasks, each from its own clip and key; returns their ids.
std::vector<std::string> create_tasks(ClientFixture& f, int count) {
    std::vector<std::string> ids;
    for (int i = 0; i < count; ++i) {
        auto const request = sample_request(fmt::format("https://cdn.example.com/clips/list-{}.mp4", i));
        std::string const key = fmt::format("job-list.{}.0123456789abcdef", i);
        auto const created = f.run(f.api->create(request, key));
        BOOST_TEST_INFO(created.detail);
        BOOST_REQUIRE(created.ok());
        ids.push_back(created.value->id);
    }
    return ids;
}

// Every page of `query` from page 1 until a short one, in order; fails the test on an error.
std::vector<api::ListedTask> read_all_pages(ClientFixture& f, api::ListQuery query) {
    std::vector<api::ListedTask> all;
    for (query.page = 1; query.page < 100; ++query.page) {
        auto const page = f.run(f.api->list_tasks(query));
        BOOST_TEST_INFO(page.detail);
        BOOST_REQUIRE(page.ok());
        BOOST_TEST(page.value->unusable.empty());
        BOOST_TEST(page.value->page.value() == query.page);
        all.insert(all.end(), page.value->tasks.begin(), page.value->tasks.end());
        if (page.value->items() < static_cast<std::size_t>(query.page_size)) {
            break;
        }
    }
    return all;
}

bool newest_first(std::vector<api::ListedTask> const& tasks) {
    return std::is_sorted(tasks.begin(), tasks.end(), [](api::ListedTask const& a, api::ListedTask const& b) {
        return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
    });
}

std::set<std::string> ids_of(std::vector<api::ListedTask> const& tasks) {
    std::set<std::string> ids;
    for (auto const& t : tasks) {
        ids.insert(t.id);
    }
    return ids;
}

} // namespace

BOOST_AUTO_TEST_SUITE(api_list_tasks)

BOOST_AUTO_TEST_CASE(pages_of_two_return_every_task_once_newest_first) {
    ClientFixture f;
    auto const created = create_tasks(f, 5);
    api::ListQuery query;
    query.page_size = 2;
    auto const listed = read_all_pages(f, query);
    BOOST_TEST(listed.size() == 5u);
    BOOST_TEST(ids_of(listed) == std::set<std::string>(created.begin(), created.end()));
    BOOST_TEST(newest_first(listed));
    for (auto const& t : listed) {
        BOOST_TEST(t.model == "kling-o1-video-edit-fast");
        BOOST_TEST(t.type == "video");
        BOOST_TEST(t.created_at > 0);
        BOOST_TEST(t.duration.has_value());
        BOOST_TEST(t.credits_used.has_value());
    }
    auto const first = f.run(f.api->list_tasks(query));
    BOOST_REQUIRE(first.ok());
    BOOST_TEST(first.value->total.value() == 5);
    BOOST_TEST(first.value->page_size.value() == 2);
    auto const stats = f.simulator.stats();
    BOOST_TEST(stats.task_lists == 4u); // pages 1..3, then page 1 again
    BOOST_TEST(stats.api_requests == 5u + 4u);
    BOOST_TEST(stats.tasks_created == 5u);
}

BOOST_AUTO_TEST_CASE(the_page_size_is_clamped_and_a_page_past_the_end_is_empty) {
    ClientFixture f;
    create_tasks(f, 3);
    api::ListQuery query;
    query.page_size = 1000;
    auto const big = f.run(f.api->list_tasks(query));
    BOOST_REQUIRE(big.ok());
    BOOST_TEST(big.value->page_size.value() == api::k_max_list_page_size);
    BOOST_TEST(big.value->tasks.size() == 3u);
    query.page_size = 2;
    query.page = 9;
    auto const past = f.run(f.api->list_tasks(query));
    BOOST_REQUIRE(past.ok());
    BOOST_TEST(past.value->tasks.empty());
    BOOST_TEST(past.value->total.value() == 3);
}

BOOST_AUTO_TEST_CASE(filters_by_status_type_and_model) {
    sim::SimOptions o;
    o.time_scale = 0; // every task ends at once
    o.fail_ratio = 0.5;
    ClientFixture f(o);
    create_tasks(f, 8);
    api::ListQuery query;
    query.status = "completed";
    auto const completed = read_all_pages(f, query);
    query.status = "failed";
    auto const failed = read_all_pages(f, query);
    query.status = "processing";
    auto const running = read_all_pages(f, query);
    BOOST_TEST(completed.size() + failed.size() == 8u);
    BOOST_TEST(running.empty());
    for (auto const& t : completed) {
        BOOST_TEST((t.status == api::TaskStatus::completed));
        BOOST_TEST(t.has_results.value());
        BOOST_TEST(t.credits_used.value() > 0);
    }
    for (auto const& t : failed) {
        BOOST_TEST((t.status == api::TaskStatus::failed));
        BOOST_TEST(t.has_error.value());
    }

    query.status.reset();
    query.type = "video";
    query.model = "kling-o1-video-edit-fast";
    BOOST_TEST(read_all_pages(f, query).size() == 8u);
    query.type = "image";
    BOOST_TEST(read_all_pages(f, query).empty());
    query.type.reset();
    query.model = "kling o1&status=completed"; // percent-encoded: one value, no second parameter
    BOOST_TEST(read_all_pages(f, query).empty());
}

BOOST_AUTO_TEST_CASE(processing_includes_queued_tasks) {
    ClientFixture f; // time scale 1: every task is still pending
    create_tasks(f, 3);
    api::ListQuery query;
    query.status = "processing";
    auto const running = read_all_pages(f, query);
    BOOST_REQUIRE(running.size() == 3u);
    for (auto const& t : running) {
        BOOST_TEST((t.status == api::TaskStatus::pending));
        BOOST_TEST(t.credits_used.value() == 0);
    }
}

BOOST_AUTO_TEST_CASE(another_clients_tasks_appear_in_the_same_seconds) {
    sim::SimOptions o;
    o.foreign_task_ratio = 1; // every create is joined by one of another client's
    o.credits = 1000;
    ClientFixture f(o);
    auto const before = f.run(f.api->credits());
    BOOST_REQUIRE(before.ok());
    auto const ours = create_tasks(f, 3);
    auto const after_creates = f.run(f.api->credits());
    BOOST_REQUIRE(after_creates.ok());
    api::ListQuery query;
    query.page_size = 2;
    auto const listed = read_all_pages(f, query);
    BOOST_REQUIRE(listed.size() == 6u);
    BOOST_TEST(newest_first(listed));
    std::set<std::string> const mine(ours.begin(), ours.end());
    std::multiset<std::int64_t> our_seconds;
    std::multiset<std::int64_t> their_seconds;
    for (auto const& t : listed) {
        (mine.contains(t.id) ? our_seconds : their_seconds).insert(t.created_at);
    }
    BOOST_TEST(our_seconds.size() == 3u);
    BOOST_TEST((our_seconds == their_seconds)); // each of theirs in the second of one of ours
    auto const stats = f.simulator.stats();
    BOOST_TEST(stats.tasks_created == 3u);
    BOOST_TEST(stats.foreign_tasks == 3u);
    // Billed to the other client: listing and their tasks leave this key's credits alone.
    auto const after_lists = f.run(f.api->credits());
    BOOST_REQUIRE(after_lists.ok());
    BOOST_TEST(after_lists.value->remaining == after_creates.value->remaining);
    BOOST_TEST(before.value->remaining > after_creates.value->remaining);
}

BOOST_AUTO_TEST_CASE(a_server_clock_ahead_shows_in_created_at_and_in_the_answers_skew) {
    sim::SimOptions o;
    o.clock_skew = std::chrono::seconds(-90); // the server's clock is 90 s behind ours
    ClientFixture f(o);
    auto const before_s = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch()).count();
    create_tasks(f, 1);
    auto const page = f.run(f.api->list_tasks(api::ListQuery{}));
    BOOST_TEST_INFO(page.detail);
    BOOST_REQUIRE(page.ok());
    BOOST_REQUIRE(page.value->tasks.size() == 1u);
    // Made in the server's seconds: 90 behind ours, give or take the second it took.
    BOOST_TEST(page.value->tasks[0].created_at >= before_s - 91);
    BOOST_TEST(page.value->tasks[0].created_at <= before_s - 88);
    // Date has whole seconds: the skew is known to within one.
    BOOST_REQUIRE(page.clock_skew.has_value());
    BOOST_TEST(page.clock_skew->count() >= -91'000);
    BOOST_TEST(page.clock_skew->count() <= -89'000);
    // Every API answer carries it, not only the list's.
    auto const credits = f.run(f.api->credits());
    BOOST_TEST(credits.clock_skew.has_value());
}

BOOST_AUTO_TEST_CASE(a_server_without_the_list_answers_not_available) {
    sim::SimOptions o;
    o.list_tasks = false;
    ClientFixture f(o);
    auto const r = f.run(f.api->list_tasks(api::ListQuery{}));
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.endpoint_missing());
    BOOST_TEST((r.delivery == net::Delivery::answered));
    BOOST_TEST((r.error == api::ApiErrc::not_found));
    BOOST_TEST(f.simulator.stats().task_lists == 1u);
}

BOOST_AUTO_TEST_CASE(the_list_needs_the_key) {
    ClientFixture f({}, {}, "");
    auto const r = f.run(f.api->list_tasks(api::ListQuery{}));
    BOOST_REQUIRE(r.api_error);
    BOOST_TEST(r.api_error->http_status == 401);
    BOOST_TEST((r.error == api::ApiErrc::unauthorized));
    BOOST_TEST(!r.endpoint_missing());
}

BOOST_AUTO_TEST_SUITE_END()
