// The simulator's gatekeeping and faults over real TLS on loopback: key, rate and concurrency
// limits, request validation, injected errors, cut connections, latency and a clean stop.

#include "integration/sim/sim_test_support.hpp"

#include "evobatch/util/sha256.hpp"

#include "common/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json/parse.hpp>

#include <fstream>
#include <set>

using namespace evobatch;
using namespace evobatch::test;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr char const* k_key = "sim-test-key-0123456789";

} // namespace

BOOST_AUTO_TEST_SUITE(sim_limits)

BOOST_AUTO_TEST_CASE(api_requests_need_the_key_and_result_files_do_not) {
    auto o = fast(0);
    o.key = k_key;
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        HttpReply const missing = co_await exchange(client, get("/v1/credits"));
        check_error(missing, 401, "invalid_api_key");
        HttpReply const wrong = co_await exchange(client, with_bearer(get("/v1/credits"), "not-the-key"));
        check_error(wrong, 401, "invalid_api_key");
        // It echoes the refused key, as careless servers do: evobatch must redact it (secret_marker).
        BOOST_TEST(wrong.body.find("not-the-key") != std::string::npos);
        check_error(
            co_await exchange(client, with_bearer(post("/v1/videos/generations", create_body()), "x")), 401,
            "invalid_api_key");

        HttpReply const ok = co_await exchange(client, with_bearer(get("/v1/credits"), k_key));
        BOOST_TEST(ok.status == 200u);
        api::Task const t = parse_task_or_fail(
            co_await exchange(client, with_bearer(post("/v1/videos/generations", create_body()), k_key)));
        HttpReply const file = co_await exchange(client, get("/files/" + t.id + "/0.mp4"));
        BOOST_TEST(file.status == 200u);
    }());
    BOOST_TEST(f.sim.stats().count(401) == 3u);
    BOOST_TEST(f.sim.stats().tasks_created == 1u);
}

BOOST_AUTO_TEST_CASE(the_rate_limit_holds_across_concurrent_connections) {
    constexpr double k_rps = 20;
    constexpr int k_burst = 5;
    auto o = fast();
    o.rps = k_rps;
    o.burst = k_burst;
    SimFixture f(o);
    int ok = 0;
    int limited = 0;
    int bad_retry_after = 0;
    auto const started = std::chrono::steady_clock::now();
    // Four connections, each asking every 5 ms for 1.5 s: 1200 attempts against a 20/s limit.
    auto hammer = [&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        asio::steady_timer timer(f.io);
        for (int i = 0; i < 300 && std::chrono::steady_clock::now() - started < 1500ms; ++i) {
            HttpReply const r = co_await exchange(client, get("/v1/credits"));
            if (r.status == 200) {
                ++ok;
            } else {
                check_error(r, 429, "rate_limit_exceeded");
                ++limited;
                // 20/s means a token within 50 ms: the honest whole-second answer is 1.
                bad_retry_after += r.header("retry-after") == "1" ? 0 : 1;
            }
            timer.expires_after(5ms);
            co_await timer.async_wait(asio::use_awaitable);
        }
    };
    using namespace asio::experimental::awaitable_operators;
    f.run([&]() -> asio::awaitable<void> { co_await (hammer() && hammer() && hammer() && hammer()); }());
    double const elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    auto const s = f.sim.stats();
    BOOST_TEST_MESSAGE("rate limit: " << ok << " accepted, " << limited << " refused in " << elapsed << " s");
    BOOST_TEST(limited > 0);
    BOOST_TEST(bad_retry_after == 0);
    BOOST_TEST(ok <= k_burst + static_cast<int>(k_rps * elapsed) + 1);
    BOOST_TEST(ok >= static_cast<int>(k_rps * 1.0)); // and the limit is not stricter than promised
    BOOST_TEST(s.max_requests_in_any_1s_window <= static_cast<std::uint64_t>(k_rps + k_burst));
    BOOST_TEST(s.max_attempts_in_any_1s_window > s.max_requests_in_any_1s_window);
    BOOST_TEST(s.rate_limited == static_cast<std::uint64_t>(limited));
    BOOST_TEST(s.connections_accepted == 4u);
}

BOOST_AUTO_TEST_CASE(retry_after_says_how_long_a_slow_limit_needs) {
    auto o = fast();
    o.rps = 0.5; // one token every 2 s
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        BOOST_TEST((co_await exchange(client, get("/v1/credits"))).status == 200u);
        HttpReply const limited = co_await exchange(client, get("/v1/credits"));
        check_error(limited, 429, "rate_limit_exceeded");
        BOOST_TEST(limited.header("retry-after") == "2");
    }());
}

BOOST_AUTO_TEST_CASE(creates_beyond_the_concurrency_limit_get_429) {
    auto o = fast(0.003);
    o.max_concurrent_tasks = 1;
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        api::Task const first =
            parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body())));
        HttpReply const second = co_await exchange(client, post("/v1/videos/generations", create_body()));
        check_error(second, 429, "rate_limit_exceeded");
        BOOST_TEST(std::stoi(second.header("retry-after")) >= 1);
        co_await wait_until_done(client, first.id);
        BOOST_TEST((co_await exchange(client, post("/v1/videos/generations", create_body()))).status == 200u);
    }());
    BOOST_TEST(f.sim.stats().concurrency_limited == 1u);
    BOOST_TEST(f.sim.stats().tasks_created == 2u);
}

BOOST_AUTO_TEST_CASE(invalid_requests_get_400_with_the_parameter) {
    SimFixture f(fast());
    struct Case {
        std::string body;
        std::string param;
    };
    auto make = [](auto change) {
        api::CreateRequest r;
        r.model = "kling-o1-video-edit-fast";
        r.prompt = "edit";
        r.video_urls = {k_video};
        change(r);
        return api::to_json_text(r);
    };
    std::vector<Case> const cases = {
        {make([](api::CreateRequest& r) { r.model = "another-model"; }), "model"},
        {make([](api::CreateRequest& r) { r.prompt.clear(); }), "prompt"},
        {make([](api::CreateRequest& r) { r.prompt = std::string(5001, 'p'); }), "prompt"},
        {make([](api::CreateRequest& r) { r.video_urls.clear(); }), "video_urls"},
        {make([](api::CreateRequest& r) { r.video_urls.push_back(k_video); }), "video_urls"},
        {make([](api::CreateRequest& r) { r.video_urls = {"https://cdn.example.com/clip.avi"}; }),
         "video_urls"},
        {make([](api::CreateRequest& r) { r.video_urls = {"ftp://cdn.example.com/clip.mp4"}; }),
         "video_urls"},
        {make([](api::CreateRequest& r) { r.image_urls.assign(5, "https://cdn.example.com/i.png"); }),
         "image_urls"},
        {make([](api::CreateRequest& r) { r.image_urls = {"https://cdn.example.com/i.gif"}; }), "image_urls"},
        {make([](api::CreateRequest& r) { r.callback_url = "http://hooks.example.com/x"; }), "callback_url"},
        {"{not json", ""},
        {"[1,2]", ""},
        {R"({"model":"kling-o1-video-edit-fast","prompt":7,"video_urls":[]})", ""},
    };
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        for (auto const& c : cases) {
            BOOST_TEST_CONTEXT("body " << c.body.substr(0, 80)) {
                check_error(co_await exchange(client, post("/v1/videos/generations", c.body)), 400,
                            "invalid_parameters", c.param);
            }
        }
        // 5000 characters, not bytes: 5000 two-byte characters are fine.
        std::string wide;
        for (int i = 0; i < 5000; ++i) {
            wide += "\xc3\xa9";
        }
        BOOST_TEST((co_await exchange(client, post("/v1/videos/generations",
                                                   make([&](api::CreateRequest& r) { r.prompt = wide; }))))
                       .status == 200u);
        BOOST_TEST(
            (co_await exchange(
                 client,
                 post("/v1/videos/generations", make([](api::CreateRequest& r) {
                          r.video_urls = {"https://cdn.example.com/CLIP.MOV?sig=1"};
                          r.image_urls = {"https://cdn.example.com/a.webp", "https://cdn.example.com/b.JPEG"};
                      }))))
                .status == 200u);
    }());
    BOOST_TEST(f.sim.stats().tasks_created == 2u);
}

BOOST_AUTO_TEST_CASE(routes_methods_and_task_ids) {
    SimFixture f(fast());
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        check_error(co_await exchange(client, get("/v1/tasks/not-a-task")), 400, "invalid_task_id",
                    "task_id");
        check_error(co_await exchange(client, get("/v1/tasks/task-unified-1-unknown0")), 404,
                    "task_not_found", "task_id");
        check_error(co_await exchange(client, get("/v1/nothing")), 404, "not_found");
        check_error(co_await exchange(client, get("/elsewhere")), 404, "not_found");
        HttpReply const wrong_method = co_await exchange(client, get("/v1/videos/generations"));
        check_error(wrong_method, 405, "method_not_allowed");
        BOOST_TEST(wrong_method.header("allow") == "POST");
        check_error(co_await exchange(client, post("/v1/credits", "{}")), 405, "method_not_allowed");
        // Every answer has its own request id.
        std::set<std::string> ids;
        for (int i = 0; i < 20; ++i) {
            ids.insert((co_await exchange(client, get("/v1/credits"))).header("x-request-id"));
        }
        BOOST_TEST(ids.size() == 20u);
    }());
}

BOOST_AUTO_TEST_CASE(a_body_over_one_mebibyte_is_413) {
    SimFixture f(fast());
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        HttpReply const r =
            co_await exchange(client, post("/v1/videos/generations", std::string(2 << 20, 'x')));
        check_error(r, 413, "request_too_large");
        BOOST_TEST(!client.connected()); // the server closes after refusing
        BOOST_TEST((co_await exchange(client, get("/v1/credits"))).status ==
                   200u); // a new connection is fine
    }());
    BOOST_TEST(f.sim.stats().count(413) == 1u);
    BOOST_TEST(f.sim.stats().tasks_created == 0u);
}

BOOST_AUTO_TEST_CASE(injected_server_errors_have_no_side_effect) {
    auto o = fast();
    o.error_ratio = 1;
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        for (int i = 0; i < 10; ++i) {
            HttpReply const r = co_await exchange(client, post("/v1/videos/generations", create_body()));
            BOOST_TEST((r.status == 500 || r.status == 502 || r.status == 503));
            BOOST_TEST(api::parse_error_body(r.body).has_value());
        }
    }());
    auto const s = f.sim.stats();
    BOOST_TEST(s.tasks_created == 0u);
    BOOST_TEST(s.count_5xx() == 10u);
    BOOST_TEST(s.credits_reserved_now == 0);
}

BOOST_AUTO_TEST_CASE(a_cut_create_makes_the_task_but_never_answers) {
    TempDir dir;
    auto const log = dir.path() / "tasks.jsonl";
    auto o = fast(0.01);
    o.cut_after_create_ratio = 1;
    o.log_file = log;
    SimFixture f(o);
    std::string const key = "job-9.attempt-1.0123456789abcdef";
    std::string const body = create_body();
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        auto const lost = co_await client.send(post("/v1/videos/generations", body, key));
        BOOST_TEST(!lost.has_value()); // the connection closed without an answer
        BOOST_TEST(!client.connected());

        std::ifstream in(log);
        std::string line;
        BOOST_REQUIRE(std::getline(in, line));
        auto const entry = boost::json::parse(line).as_object();
        std::string const id(entry.at("task").as_string());
        BOOST_TEST(id.starts_with("task-unified-"));
        BOOST_TEST(entry.at("video").as_string() == k_video);
        BOOST_TEST(entry.at("key").as_string() == key);
        BOOST_TEST(entry.at("digest").as_string() == util::sha256_hex(body));
        BOOST_TEST(entry.at("t").as_int64() > 1'600'000'000'000);
        BOOST_TEST(!std::getline(in, line));

        // The task exists, and the same key finds it: how a client resolves an unanswered POST.
        BOOST_TEST(parse_task_or_fail(co_await exchange(client, get("/v1/tasks/" + id))).id == id);
        HttpReply const replay = co_await exchange(client, post("/v1/videos/generations", body, key));
        BOOST_TEST(parse_task_or_fail(replay).id == id);
        BOOST_TEST(replay.header("idempotency-replayed") == "true");
    }());
    auto const s = f.sim.stats();
    BOOST_TEST(s.tasks_created == 1u);
    BOOST_TEST(s.cut_connections == 1u);
    BOOST_TEST(s.credits_reserved_now + s.credits_spent > 0); // it was billed
}

BOOST_AUTO_TEST_CASE(latency_delays_api_answers_only) {
    auto o = fast(0);
    o.latency = 150ms;
    SimFixture f(o);
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        auto const t0 = std::chrono::steady_clock::now();
        api::Task const t =
            parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body())));
        auto const t1 = std::chrono::steady_clock::now();
        BOOST_TEST((t1 - t0 >= 150ms));
        BOOST_TEST((co_await exchange(client, get("/files/" + t.id + "/0.mp4"))).status == 200u);
        BOOST_TEST((std::chrono::steady_clock::now() - t1 < 150ms));
    }());
}

BOOST_AUTO_TEST_CASE(stop_ends_open_and_waiting_connections_at_once) {
    auto o = fast();
    o.latency = 5s; // an answer that would keep a session busy for 5 s
    SimFixture f(o);
    HttpsTestClient idle(f.io.get_executor(), f.ca_file(), f.port());
    HttpsTestClient waiting(f.io.get_executor(), f.ca_file(), f.port());
    bool idle_connected = false;
    f.run([&]() -> asio::awaitable<void> { idle_connected = !(co_await idle.connect()); }());
    BOOST_REQUIRE(idle_connected);

    std::optional<boost::system::result<HttpReply>> outcome;
    bool spawned_done = false;
    asio::co_spawn(
        f.io, [&]() -> asio::awaitable<void> { outcome = co_await waiting.send(get("/v1/credits")); },
        [&](std::exception_ptr) { spawned_done = true; });
    f.io.restart();
    f.io.run_for(300ms); // the request is sent and the server sits in its latency wait
    BOOST_REQUIRE(!outcome.has_value());

    auto const t0 = std::chrono::steady_clock::now();
    f.sim.stop();
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < 2s));
    f.sim.stop(); // idempotent

    f.io.restart();
    f.io.run_for(2s);
    BOOST_REQUIRE(spawned_done);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST(!outcome->has_value()); // closed, not answered
    BOOST_TEST(f.sim.stats().connections_accepted == 2u);
    BOOST_TEST(!std::filesystem::exists(f.ca_file())); // the temporary CA directory is gone
}

BOOST_AUTO_TEST_CASE(stop_ends_a_download_in_progress) {
    auto o = fast(0);
    o.file_bytes = 256ull << 20; // far more than moves in the 200 ms before stop()
    SimFixture f(o);
    HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
    std::string id;
    f.run([&]() -> asio::awaitable<void> {
        id = parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body()))).id;
    }());
    std::optional<boost::system::result<HttpReply>> outcome;
    bool spawned_done = false;
    asio::co_spawn(
        f.io,
        [&]() -> asio::awaitable<void> { outcome = co_await client.send(get("/files/" + id + "/0.mp4")); },
        [&](std::exception_ptr) { spawned_done = true; });
    f.io.restart();
    f.io.run_for(200ms);
    BOOST_REQUIRE(!outcome.has_value());

    auto const t0 = std::chrono::steady_clock::now();
    f.sim.stop();
    BOOST_TEST((std::chrono::steady_clock::now() - t0 < 2s));
    f.io.restart();
    f.io.run_for(5s);
    BOOST_REQUIRE(spawned_done);
    BOOST_REQUIRE(outcome.has_value());
    BOOST_TEST(!outcome->has_value()); // cut short, not a whole file
    auto const sent = f.sim.stats().file_bytes_sent;
    BOOST_TEST(sent > 0u);
    BOOST_TEST(sent < o.file_bytes);
}

BOOST_AUTO_TEST_SUITE_END()
