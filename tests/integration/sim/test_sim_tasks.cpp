// The simulator's task API over real TLS on loopback: create, query, completion, result files,
// idempotency, credits and batch reads.

#include "integration/sim/sim_test_support.hpp"

#include "sim/task_book.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/sim/file_content.hpp"
#include "evobatch/util/sha256.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <set>
#include <string_view>

using namespace evobatch;
using namespace evobatch::test;
namespace asio = boost::asio;

namespace {

// task-unified-<unix seconds>-<8 of [a-z0-9]> (std::regex would do, but trips GCC 12's
// -Wmaybe-uninitialized under the sanitizers).
bool is_task_id(std::string_view id) {
    constexpr std::string_view k_prefix = "task-unified-";
    if (!id.starts_with(k_prefix)) {
        return false;
    }
    id.remove_prefix(k_prefix.size());
    auto const dash = id.find('-');
    if (dash == 0 || dash == std::string_view::npos || id.size() - dash - 1 != 8) {
        return false;
    }
    auto const digit = [](char c) { return c >= '0' && c <= '9'; };
    auto const lower_or_digit = [&](char c) { return digit(c) || (c >= 'a' && c <= 'z'); };
    return std::all_of(id.begin(), id.begin() + static_cast<std::ptrdiff_t>(dash), digit) &&
           std::all_of(id.begin() + static_cast<std::ptrdiff_t>(dash) + 1, id.end(), lower_or_digit);
}

std::int64_t cost_of(std::string const& video) {
    return api::credits_for_duration(sim::TaskBook::video_duration_of(video));
}

} // namespace

BOOST_AUTO_TEST_SUITE(sim_tasks)

BOOST_AUTO_TEST_CASE(a_task_is_created_progresses_completes_and_its_file_downloads) {
    auto o = fast();
    o.file_bytes = 200'000;
    SimFixture f(o);
    bool finished = false;
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        HttpReply const created = co_await exchange(client, post("/v1/videos/generations", create_body()));
        api::Task const task = parse_task_or_fail(created);
        BOOST_TEST(is_task_id(task.id));
        BOOST_TEST(task.status_text == "pending");
        BOOST_TEST(task.progress == 0);
        BOOST_TEST(task.model == "kling-o1-video-edit-fast");
        int const duration = sim::TaskBook::video_duration_of(k_video);
        BOOST_TEST(task.video_duration.value() == duration);
        BOOST_TEST(task.credits_reserved.value() == cost_of(k_video));
        int const billed = std::clamp(duration, 6, 20);
        // Estimates are on the scaled clock the client lives on (at least 1 s).
        BOOST_TEST(task.estimated_time.value() ==
                   std::max(1, static_cast<int>(std::lround((120 + 12 * billed) * o.time_scale))));
        BOOST_TEST(!created.header("x-request-id").empty());

        api::Task const done = co_await wait_until_done(client, task.id);
        BOOST_TEST(done.status_text == "completed");
        BOOST_TEST(done.progress == 100);
        BOOST_TEST(done.credits_used.value() == cost_of(k_video));
        BOOST_REQUIRE(done.results.size() == 1u);
        BOOST_TEST(done.results[0] == f.base_url() + "/files/" + task.id + "/0.mp4");

        HttpReply const file = co_await exchange(client, get("/files/" + task.id + "/0.mp4"));
        BOOST_TEST(file.status == 200u);
        BOOST_TEST(file.header("content-type") == "video/mp4");
        BOOST_TEST(file.header("accept-ranges") == "bytes");
        BOOST_TEST(file.body.size() == 200'000u);
        BOOST_TEST((file.body == sim::expected_file_bytes(task.id, 200'000)));
        BOOST_TEST(util::sha256_hex(file.body) == sim::expected_file_sha256(task.id, 200'000));
        finished = true;
    }());
    BOOST_TEST(finished);
    auto const s = f.sim.stats();
    BOOST_TEST(s.tasks_created == 1u);
    BOOST_TEST(s.tasks_completed == 1u);
    BOOST_TEST(s.credits_spent == cost_of(k_video));
    BOOST_TEST(s.credits_reserved_now == 0);
    BOOST_TEST(s.file_bytes_sent == 200'000u);
    BOOST_TEST(s.connections_accepted == 1u); // keep-alive: one connection for everything
}

BOOST_AUTO_TEST_CASE(progress_goes_pending_then_processing_and_never_backwards) {
    SimFixture f(fast(0.004)); // 0.46 to 2.3 s, pending for the first tenth: long enough to see it move
    std::set<std::string> statuses;
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        std::string const id =
            parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body()))).id;
        asio::steady_timer timer(f.io);
        int last = 0;
        for (int i = 0; i < 400; ++i) {
            api::Task const t = parse_task_or_fail(co_await exchange(client, get("/v1/tasks/" + id)));
            statuses.insert(t.status_text);
            BOOST_TEST(t.progress >= last);
            last = t.progress;
            if (api::is_terminal(t.status)) {
                break;
            }
            BOOST_TEST(t.progress <= 99);
            timer.expires_after(std::chrono::milliseconds{25});
            co_await timer.async_wait(asio::use_awaitable);
        }
        BOOST_TEST(last == 100);
    }());
    BOOST_TEST(statuses.count("pending") == 1u);
    BOOST_TEST(statuses.count("processing") == 1u);
    BOOST_TEST(statuses.count("completed") == 1u);
}

BOOST_AUTO_TEST_CASE(the_same_idempotency_key_replays_and_a_different_body_conflicts) {
    SimFixture f(fast(0.01));
    std::string const key = "job-7.attempt-1.0123456789abcdef";
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        HttpReply const first = co_await exchange(client, post("/v1/videos/generations", create_body(), key));
        api::Task const original = parse_task_or_fail(first);
        BOOST_TEST(first.header("idempotency-replayed").empty());

        HttpReply const again = co_await exchange(client, post("/v1/videos/generations", create_body(), key));
        BOOST_TEST(parse_task_or_fail(again).id == original.id);
        BOOST_TEST(again.header("idempotency-replayed") == "true");
        BOOST_TEST(again.header("x-request-id") != first.header("x-request-id"));

        HttpReply const other = co_await exchange(
            client, post("/v1/videos/generations", create_body(k_video, "a different prompt"), key));
        check_error(other, 409, "idempotency_conflict", "Idempotency-Key");

        HttpReply const bad_key =
            co_await exchange(client, post("/v1/videos/generations", create_body(), "short"));
        check_error(bad_key, 400, "invalid_parameters", "Idempotency-Key");
        HttpReply const bad_chars = co_await exchange(
            client, post("/v1/videos/generations", create_body(), "sixteen chars but spaces"));
        check_error(bad_chars, 400, "invalid_parameters", "Idempotency-Key");
    }());
    auto const s = f.sim.stats();
    BOOST_TEST(s.tasks_created == 1u);
    BOOST_TEST(s.replays == 1u);
    BOOST_TEST(s.conflicts == 1u);
    BOOST_TEST(s.credits_reserved_now + s.credits_spent == cost_of(k_video)); // charged once
}

BOOST_AUTO_TEST_CASE(without_idempotency_every_create_is_a_new_task) {
    auto o = fast();
    o.idempotency = false;
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        std::string const key = "job-8.attempt-1.0123456789abcdef";
        HttpReply const a = co_await exchange(client, post("/v1/videos/generations", create_body(), key));
        HttpReply const b = co_await exchange(client, post("/v1/videos/generations", create_body(), key));
        BOOST_TEST(parse_task_or_fail(a).id != parse_task_or_fail(b).id);
        BOOST_TEST(b.header("idempotency-replayed").empty());
        // A server that ignores the header does not judge its form either.
        HttpReply const c = co_await exchange(client, post("/v1/videos/generations", create_body(), "x"));
        BOOST_TEST(c.status == 200u);
    }());
    BOOST_TEST(f.sim.stats().tasks_created == 3u);
    BOOST_TEST(f.sim.stats().replays == 0u);
}

BOOST_AUTO_TEST_CASE(credits_run_out_with_402_and_completed_tasks_are_charged) {
    std::string const v1 = "https://cdn.example.com/a.mp4";
    std::string const v2 = "https://cdn.example.com/b.mp4";
    auto o = fast(0.002);
    o.credits = static_cast<double>(cost_of(v1) + cost_of(v2) - 1);
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        api::Task const t1 =
            parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body(v1))));
        auto credits = api::parse_credits((co_await exchange(client, get("/v1/credits"))).body);
        BOOST_REQUIRE(credits.has_value());
        BOOST_TEST(!credits->unlimited);
        BOOST_TEST(credits->remaining == static_cast<double>(cost_of(v2) - 1));

        HttpReply const refused = co_await exchange(client, post("/v1/videos/generations", create_body(v2)));
        check_error(refused, 402, "insufficient_quota");

        api::Task const done = co_await wait_until_done(client, t1.id);
        BOOST_TEST(done.status_text == "completed");
        credits = api::parse_credits((co_await exchange(client, get("/v1/credits"))).body);
        BOOST_REQUIRE(credits.has_value());
        BOOST_TEST(credits->remaining == static_cast<double>(cost_of(v2) - 1)); // spent, not returned
        BOOST_TEST(credits->used == static_cast<double>(cost_of(v1)));
    }());
    auto const s = f.sim.stats();
    BOOST_TEST(s.tasks_created == 1u);
    BOOST_TEST(s.count(402) == 1u);
    BOOST_TEST(s.credits_spent == cost_of(v1));
    BOOST_TEST(s.credits_reserved_now == 0);
}

BOOST_AUTO_TEST_CASE(a_failed_task_is_refunded_and_its_credits_can_be_used_again) {
    auto o = fast(0.002);
    o.fail_ratio = 1;
    o.credits = static_cast<double>(cost_of(k_video)); // room for exactly one task at a time
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        api::Task const t =
            parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body())));
        check_error(co_await exchange(client, post("/v1/videos/generations", create_body())), 402,
                    "insufficient_quota");

        api::Task const failed = co_await wait_until_done(client, t.id);
        BOOST_TEST(failed.status_text == "failed");
        BOOST_TEST(failed.progress < 100);
        BOOST_TEST(failed.results.empty());
        BOOST_TEST(failed.credits_used.value() == 0);
        BOOST_REQUIRE(failed.error.has_value());
        BOOST_TEST(failed.error->type == "task_error");
        BOOST_TEST(!failed.error->code.empty());
        check_error(co_await exchange(client, get("/files/" + t.id + "/0.mp4")), 404, "file_not_found");

        auto const credits = api::parse_credits((co_await exchange(client, get("/v1/credits"))).body);
        BOOST_REQUIRE(credits.has_value());
        BOOST_TEST(credits->remaining == static_cast<double>(cost_of(k_video)));
        HttpReply const next = co_await exchange(client, post("/v1/videos/generations", create_body()));
        BOOST_TEST(next.status == 200u);
    }());
    auto const s = f.sim.stats();
    BOOST_TEST(s.tasks_created == 2u);
    BOOST_TEST(s.tasks_failed >= 1u);
    BOOST_TEST(s.credits_refunded >= cost_of(k_video));
    BOOST_TEST(s.credits_spent == 0);
}

BOOST_AUTO_TEST_CASE(failure_codes_come_from_both_lists_of_api_md) {
    auto o = fast(0);
    o.fail_ratio = 1;
    SimFixture f(o);
    std::set<std::string> codes;
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        for (int i = 0; i < 40; ++i) {
            std::string const id =
                parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body())))
                    .id;
            api::Task const t = parse_task_or_fail(co_await exchange(client, get("/v1/tasks/" + id)));
            BOOST_REQUIRE(t.error.has_value());
            codes.insert(t.error->code);
        }
    }());
    std::set<std::string> const final_codes = {"content_policy_violation", "invalid_parameters",
                                               "image_processing_error",   "image_dimension_mismatch",
                                               "request_cancelled",        "resource_not_found"};
    int finals = 0;
    for (auto const& c : codes) {
        finals += final_codes.count(c) ? 1 : 0;
    }
    BOOST_TEST(finals > 0);
    BOOST_TEST(finals < static_cast<int>(codes.size())); // and some retryable ones
}

BOOST_AUTO_TEST_CASE(batch_reads_return_known_tasks_only) {
    SimFixture f(fast());
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        std::string const a =
            parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body()))).id;
        std::string const b =
            parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body()))).id;
        api::BatchReadRequest req{{a, "task-unified-1-unknown0", b, a}};
        HttpReply const reply = co_await exchange(client, post("/v1/tasks/batch", api::to_json_text(req)));
        BOOST_TEST(reply.status == 200u);
        auto const tasks = api::parse_task_list(reply.body);
        BOOST_REQUIRE(tasks.has_value());
        BOOST_REQUIRE(tasks->size() == 2u);
        BOOST_TEST((*tasks)[0].id == a);
        BOOST_TEST((*tasks)[1].id == b);

        api::BatchReadRequest too_many;
        too_many.task_ids.assign(51, a);
        check_error(co_await exchange(client, post("/v1/tasks/batch", api::to_json_text(too_many))), 400,
                    "invalid_parameters", "task_ids");
        check_error(co_await exchange(client, post("/v1/tasks/batch", "{\"ids\":[]}")), 400,
                    "invalid_parameters", "task_ids");
        check_error(co_await exchange(client, get("/v1/tasks/batch")), 405, "method_not_allowed");
    }());
    BOOST_TEST(f.sim.stats().batch_reads == 4u);
}

BOOST_AUTO_TEST_CASE(batch_reads_can_be_switched_off) {
    auto o = fast();
    o.batch_read = false;
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        check_error(co_await exchange(client, post("/v1/tasks/batch", "{\"task_ids\":[]}")), 404,
                    "not_found");
    }());
}

BOOST_AUTO_TEST_CASE(result_files_honour_ranges) {
    auto o = fast(0);
    o.file_bytes = 100'000;
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        std::string const id =
            parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body()))).id;
        std::string const whole = sim::expected_file_bytes(id, 100'000);
        std::string const path = "/files/" + id + "/0.mp4";
        auto ranged = [&](std::string range) {
            HttpCall c = get(path);
            c.headers.emplace_back("Range", std::move(range));
            return c;
        };
        HttpReply const middle = co_await exchange(client, ranged("bytes=1000-1999"));
        BOOST_TEST(middle.status == 206u);
        BOOST_TEST(middle.header("content-range") == "bytes 1000-1999/100000");
        BOOST_TEST((middle.body == whole.substr(1000, 1000)));

        HttpReply const tail = co_await exchange(client, ranged("bytes=99990-"));
        BOOST_TEST(tail.status == 206u);
        BOOST_TEST(tail.header("content-range") == "bytes 99990-99999/100000");
        BOOST_TEST((tail.body == whole.substr(99990)));

        HttpReply const suffix = co_await exchange(client, ranged("bytes=-7"));
        BOOST_TEST(suffix.status == 206u);
        BOOST_TEST((suffix.body == whole.substr(100'000 - 7)));

        HttpReply const odd = co_await exchange(client, ranged("bytes=3-5"));
        BOOST_TEST((odd.body == whole.substr(3, 3))); // not aligned to the generator's 8-byte words

        HttpReply const beyond = co_await exchange(client, ranged("bytes=100000-"));
        check_error(beyond, 416, "range_not_satisfiable");
        BOOST_TEST(beyond.header("content-range") == "bytes */100000");

        HttpReply const several = co_await exchange(client, ranged("bytes=0-1,5-6"));
        BOOST_TEST(several.status == 200u); // several ranges: the whole file, as RFC 9110 allows
        BOOST_TEST(several.body.size() == 100'000u);

        check_error(co_await exchange(client, get("/files/task-unified-1-unknown0/0.mp4")), 404,
                    "file_not_found");
    }());
    BOOST_TEST(f.sim.stats().count(206) == 4u);
    BOOST_TEST(f.sim.stats().count(416) == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
