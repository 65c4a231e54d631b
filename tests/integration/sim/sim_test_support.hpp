#pragma once
// Helpers shared by the simulator's integration tests: request builders, an exchange that
// must succeed, error-envelope checks and a bounded wait for a task to end.

#include "integration/common/sim_fixture.hpp"
#include "integration/sim/https_test_client.hpp"

#include "evobatch/api/json.hpp"
#include "evobatch/api/types.hpp"

#include <boost/assert/source_location.hpp> // std::source_location needs clang 15 (the sanitizer build uses 14)
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

namespace evobatch::test {

inline constexpr char const* k_video = "https://cdn.example.com/clips/beach-01.mp4";

// A simulator whose task clock runs `time_scale` times real time (0: tasks finish at once).
inline sim::SimOptions fast(double time_scale = 0.001) {
    sim::SimOptions o;
    o.time_scale = time_scale;
    return o;
}

inline std::string create_body(std::string video = k_video, std::string prompt = "Make it look like film") {
    api::CreateRequest r;
    r.model = "kling-o1-video-edit-fast";
    r.prompt = std::move(prompt);
    r.video_urls = {std::move(video)};
    return api::to_json_text(r);
}

inline HttpCall post(std::string target, std::string body, std::optional<std::string> idempotency_key = {}) {
    HttpCall c{"POST", std::move(target), std::move(body), {{"content-type", "application/json"}}};
    if (idempotency_key) {
        c.headers.emplace_back("Idempotency-Key", *idempotency_key);
    }
    return c;
}

inline HttpCall get(std::string target) {
    return HttpCall{"GET", std::move(target), {}, {}};
}

inline HttpCall with_bearer(HttpCall c, std::string const& key) {
    c.headers.emplace_back("Authorization", "Bearer " + key);
    return c;
}

// One request that must get an answer (any status); fails the test at the caller's line if not.
inline boost::asio::awaitable<HttpReply>
exchange(HttpsTestClient& client, HttpCall call,
         boost::source_location where = BOOST_CURRENT_LOCATION) {
    std::string const what = call.method + " " + call.target;
    auto reply = co_await client.send(std::move(call));
    BOOST_REQUIRE_MESSAGE(reply.has_value(), where.file_name()
                                                 << ":" << where.line() << ": " << what
                                                 << " got no answer: " << reply.error().message());
    co_return std::move(*reply);
}

// The error envelope of api.md, with the request id both in the header and the message.
inline void check_error(HttpReply const& r, unsigned status, std::string const& code,
                        std::string const& param = {},
                        boost::source_location where = BOOST_CURRENT_LOCATION) {
    BOOST_TEST_CONTEXT(where.file_name() << ":" << where.line() << " body " << r.body) {
        BOOST_TEST(r.status == status);
        auto const body = api::parse_error_body(r.body);
        BOOST_REQUIRE(body.has_value());
        BOOST_TEST(body->code == code);
        BOOST_TEST(!body->type.empty());
        BOOST_TEST(body->param == param);
        std::string const rid = r.header("x-request-id");
        BOOST_TEST(!rid.empty());
        BOOST_TEST(body->message.ends_with(" (request id: " + rid + ")"));
        BOOST_TEST(r.header("content-type") == "application/json");
    }
}

inline api::Task parse_task_or_fail(HttpReply const& r,
                                    boost::source_location where = BOOST_CURRENT_LOCATION) {
    auto task = api::parse_task(r.body);
    BOOST_REQUIRE_MESSAGE(r.status == 200 && task.has_value(), where.file_name()
                                                                   << ":" << where.line() << ": not a task ("
                                                                   << r.status << "): " << r.body);
    return std::move(*task);
}

// Polls GET /v1/tasks/{id} every 20 ms until the task ends; fails after `limit`.
inline boost::asio::awaitable<api::Task>
wait_until_done(HttpsTestClient& client, std::string id,
                std::chrono::milliseconds limit = std::chrono::seconds{10}, std::string bearer = {}) {
    auto const deadline = std::chrono::steady_clock::now() + limit;
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (int polls = 0; polls < 5000; ++polls) {
        HttpCall call = get("/v1/tasks/" + id);
        if (!bearer.empty()) {
            call = with_bearer(std::move(call), bearer);
        }
        api::Task task = parse_task_or_fail(co_await exchange(client, std::move(call)));
        if (api::is_terminal(task.status)) {
            co_return task;
        }
        BOOST_REQUIRE_MESSAGE(std::chrono::steady_clock::now() < deadline,
                              "task " << id << " did not end in time");
        timer.expires_after(std::chrono::milliseconds{20});
        co_await timer.async_wait(boost::asio::use_awaitable);
    }
    throw std::logic_error("wait_until_done: too many polls");
}

} // namespace evobatch::test
