// read_task_list against the simulator's GET /v1/tasks over real TLS on loopback: the pages it
// reads back to the earliest create, the skew the Date headers show, the rate limiter's
// tokens, and a server without the list.

#include "integration/net/client_fixture.hpp"

#include "evobatch/sched/list_read.hpp"
#include "evobatch/sched/rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

#include <fmt/format.h>

#include <chrono>
#include <set>
#include <string>

using namespace evobatch;
using evobatch::test::ClientFixture;
using evobatch::test::sample_request;

namespace {

std::int64_t local_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void create_tasks(ClientFixture& f, int count, std::string_view tag) {
    for (int i = 0; i < count; ++i) {
        auto const request = sample_request(fmt::format("https://cdn.example.com/clips/{}-{}.mp4", tag, i));
        auto const created = f.run(f.api->create(request, fmt::format("job-{}.{}.0123456789abcdef", tag, i)));
        BOOST_TEST_INFO(created.detail);
        BOOST_REQUIRE(created.ok());
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(sched_list_read)

BOOST_AUTO_TEST_CASE(the_read_goes_back_to_the_earliest_create_in_the_servers_seconds) {
    // 24 tasks made now, pages of 5. The earliest create to settle was 5 s ago on our clock:
    // every task is newer, and the read goes on to the last page. A server five minutes behind
    // lists them five minutes earlier; only the start moved by the skew its Date headers show
    // keeps them inside (unmoved, the first page would look older than the start). An earliest
    // create 5 s from now is newer than them all: the first page reaches back to it.
    struct Row {
        int skew_s;
        std::int64_t earliest_from_now_ms;
        std::size_t pages;
        std::size_t tasks;
    };
    for (Row const row : {Row{0, -5'000, 5, 24}, Row{-300, -5'000, 5, 24}, Row{0, 5'000, 1, 5}}) {
        BOOST_TEST_CONTEXT("server clock " << row.skew_s << " s, earliest " << row.earliest_from_now_ms << " ms") {
            sim::SimOptions o;
            o.clock_skew = std::chrono::seconds(row.skew_s);
            o.foreign_task_ratio = 1; // another client's task beside each of ours
            ClientFixture f(o);
            std::int64_t const now = local_ms();
            create_tasks(f, 12, "span");
            sched::ListReadOptions read;
            read.page_size = 5;
            read.earliest_local_ms = now + row.earliest_from_now_ms;
            sched::RateLimiter limiter(50, 5);
            auto const result = f.run(sched::read_task_list(*f.api, limiter, read));
            BOOST_TEST(result.stopped.empty());
            BOOST_TEST(result.listing.available);
            BOOST_TEST(result.listing.reached_start);
            BOOST_REQUIRE(result.skew.has_value());
            BOOST_TEST(result.skew->count() <= row.skew_s * 1000 + 1000);
            BOOST_TEST(result.skew->count() >= row.skew_s * 1000 - 1000);
            BOOST_TEST(result.listing.pages == row.pages);
            BOOST_TEST(result.listing.tasks.size() == row.tasks);
            BOOST_TEST(result.requests == static_cast<int>(row.pages));
            BOOST_TEST(f.simulator.stats().task_lists == row.pages);
            std::set<std::string> ids;
            for (auto const& t : result.listing.tasks) {
                ids.insert(t.id);
            }
            BOOST_TEST(ids.size() == result.listing.tasks.size()); // nothing made meanwhile: no repeats
        }
    }
}

BOOST_AUTO_TEST_CASE(the_cap_stops_the_read_and_says_so) {
    ClientFixture f;
    std::int64_t const earliest = local_ms();
    create_tasks(f, 7, "cap");
    sched::ListReadOptions read;
    read.page_size = 2;
    read.max_pages = 2;
    read.earliest_local_ms = earliest - 60'000; // before every task: only the last page would end it
    sched::RateLimiter limiter(50, 5);
    auto const result = f.run(sched::read_task_list(*f.api, limiter, read));
    BOOST_TEST(!result.listing.reached_start);
    BOOST_TEST(result.listing.tasks.size() == 4u);
    BOOST_TEST(result.requests == 2);
    BOOST_TEST(result.stopped.find("cap of 2 pages") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_server_without_the_list_is_read_once_and_not_available) {
    sim::SimOptions o;
    o.list_tasks = false;
    ClientFixture f(o);
    sched::ListReadOptions read;
    read.earliest_local_ms = local_ms() - 60'000;
    sched::RateLimiter limiter(50, 5);
    auto const result = f.run(sched::read_task_list(*f.api, limiter, read));
    BOOST_TEST(!result.listing.available);
    BOOST_TEST(result.requests == 1);
    BOOST_TEST(result.stopped.empty());
}

BOOST_AUTO_TEST_CASE(a_refused_key_ends_the_read_at_once) {
    ClientFixture f({}, {}, "not-the-key-0123456789");
    sched::ListReadOptions read;
    read.earliest_local_ms = local_ms() - 60'000;
    sched::RateLimiter limiter(50, 5);
    auto const result = f.run(sched::read_task_list(*f.api, limiter, read));
    BOOST_TEST(result.refused);
    BOOST_TEST(result.unauthorized);
    BOOST_TEST(result.requests == 1);
    BOOST_TEST(result.stopped.find("refused") != std::string::npos);
    BOOST_TEST(result.stopped.find("not-the-key") == std::string::npos); // the key is never repeated
}

BOOST_AUTO_TEST_SUITE_END()
