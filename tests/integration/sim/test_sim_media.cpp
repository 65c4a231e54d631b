// The simulator's source media over real TLS on loopback: GET /media/<name> serves the files of
// tests/media with validators and ranges, tells the lie its URL asks for, never wants the key,
// and a create naming one is billed by its duration (or fails, unbilled, as the API would).

#include "integration/sim/sim_test_support.hpp"

#include "sim/task_book.hpp"

#include "evobatch/api/pricing.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <string_view>
#include <vector>

using namespace evobatch;
using namespace evobatch::test;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::string media_bytes(std::string const& name) {
    std::ifstream in(std::string(EVOBATCH_TEST_MEDIA_DIR) + "/" + name, std::ios::binary);
    BOOST_REQUIRE_MESSAGE(in, "cannot read tests/media/" << name);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

HttpCall ranged(std::string target, std::string range, std::string if_range = {}) {
    HttpCall c = get(std::move(target));
    c.headers.emplace_back("Range", std::move(range));
    if (!if_range.empty()) {
        c.headers.emplace_back("If-Range", std::move(if_range));
    }
    return c;
}

// Creates a task for `video` and waits for its end.
asio::awaitable<api::Task> run_task(HttpsTestClient& client, std::string video) {
    api::Task const created =
        parse_task_or_fail(co_await exchange(client, post("/v1/videos/generations", create_body(std::move(video)))));
    co_return co_await wait_until_done(client, created.id);
}

} // namespace

BOOST_AUTO_TEST_SUITE(sim_media)

BOOST_AUTO_TEST_CASE(every_file_is_served_whole_with_its_type_and_validators) {
    struct Case {
        char const* name;
        char const* type;
    };
    Case const cases[] = {
        {"faststart_4s.mp4", "video/mp4"},  {"faststart_9s.mp4", "video/mp4"},
        {"faststart_25s.mp4", "video/mp4"}, {"moov_at_end_9s.mp4", "video/mp4"},
        {"clip_9s.mov", "video/quicktime"}, {"fragmented_9s.mp4", "video/mp4"},
        {"audio_only.mp4", "video/mp4"},    {"not_video.mp4", "text/html"},
        {"image.png", "image/png"},         {"image.jpg", "image/jpeg"},
        {"image.webp", "image/webp"},       {"image.gif", "image/gif"},
    };
    SimFixture f(fast(0));
    std::uint64_t bytes = 0;
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        for (auto const& c : cases) {
            BOOST_TEST_CONTEXT(c.name) {
                std::string const expected = media_bytes(c.name);
                bytes += expected.size();
                HttpReply const r = co_await exchange(client, get(std::string("/media/") + c.name));
                BOOST_TEST(r.status == 200u);
                BOOST_TEST(r.header("content-type") == c.type);
                BOOST_TEST(r.header("content-length") == std::to_string(expected.size()));
                BOOST_TEST((r.body == expected));
                BOOST_TEST(r.header("accept-ranges") == "bytes");
                BOOST_TEST(!r.header("etag").empty());
                BOOST_TEST(r.header("last-modified").ends_with(" GMT"));
            }
        }
        check_error(co_await exchange(client, get("/media/no_such_file.mp4")), 404, "file_not_found");
    }());
    sim::SimStats const s = f.sim.stats();
    BOOST_TEST(s.media_requests == std::size(cases) + 1);
    BOOST_TEST(s.media_ranges == 0u);
    BOOST_TEST(s.media_bytes_sent == bytes);
    BOOST_TEST(s.file_requests == 0u);
    BOOST_TEST(s.file_bytes_sent == 0u);
}

BOOST_AUTO_TEST_CASE(ranges_of_each_kind_and_if_range) {
    SimFixture f(fast(0));
    std::string const whole = media_bytes("moov_at_end_9s.mp4");
    std::string const path = "/media/moov_at_end_9s.mp4";
    std::string const total = "/" + std::to_string(whole.size());
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        HttpReply const first = co_await exchange(client, ranged(path, "bytes=0-4095"));
        BOOST_TEST(first.status == 206u);
        BOOST_TEST(first.header("content-range") == "bytes 0-4095" + total);
        BOOST_TEST((first.body == whole.substr(0, 4096)));
        std::string const etag = first.header("etag");
        std::string const date = first.header("last-modified");

        HttpReply const from = co_await exchange(client, ranged(path, "bytes=71155-"));
        BOOST_TEST(from.status == 206u);
        BOOST_TEST(from.header("content-range") == "bytes 71155-" + std::to_string(whole.size() - 1) + total);
        BOOST_TEST((from.body == whole.substr(71155)));

        HttpReply const suffix = co_await exchange(client, ranged(path, "bytes=-1135"));
        BOOST_TEST(suffix.status == 206u);
        BOOST_TEST((suffix.body == whole.substr(whole.size() - 1135)));

        HttpReply const beyond = co_await exchange(client, ranged(path, "bytes=" + std::to_string(whole.size()) + "-"));
        check_error(beyond, 416, "range_not_satisfiable");
        BOOST_TEST(beyond.header("content-range") == "bytes *" + total);

        // If-Range naming the file as it is: the range; naming anything else: the whole file.
        HttpReply const by_etag = co_await exchange(client, ranged(path, "bytes=10-19", etag));
        BOOST_TEST(by_etag.status == 206u);
        BOOST_TEST((by_etag.body == whole.substr(10, 10)));
        HttpReply const by_date = co_await exchange(client, ranged(path, "bytes=10-19", date));
        BOOST_TEST(by_date.status == 206u);
        HttpReply const stale = co_await exchange(client, ranged(path, "bytes=10-19", "\"stale-etag\""));
        BOOST_TEST(stale.status == 200u);
        BOOST_TEST((stale.body == whole));
        BOOST_TEST(stale.header("content-range").empty());
    }());
    sim::SimStats const s = f.sim.stats();
    BOOST_TEST(s.media_requests == 7u);
    BOOST_TEST(s.media_ranges == 7u);
    BOOST_TEST(s.count(206) == 5u);
    BOOST_TEST(s.media_bytes_sent == 4096 + (whole.size() - 71155) + 1135 + 10 + 10 + whole.size());
}

// RFC 9110 §13.1.2, §13.1.3, §13.2.2: If-None-Match naming the file's ETag (or `*`) and, without
// it, If-Modified-Since at or after its Last-Modified are answered 304 with no body; anything
// else is answered as if unasked (here: the range).
BOOST_AUTO_TEST_CASE(conditional_requests_are_answered_304_not_modified) {
    SimFixture f(fast(0));
    std::string const whole = media_bytes("faststart_9s.mp4");
    std::string const path = "/media/faststart_9s.mp4";
    auto conditional = [&](std::string name, std::string value) {
        HttpCall c = ranged(path, "bytes=0-99");
        c.headers.emplace_back(std::move(name), std::move(value));
        return c;
    };
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        HttpReply const first = co_await exchange(client, ranged(path, "bytes=0-99"));
        std::string const etag = first.header("etag");
        std::string const date = first.header("last-modified");
        BOOST_TEST_REQUIRE(!etag.empty());

        std::vector<std::string> const matches = {etag, "*", fmt::format("\"other\", {}", etag), fmt::format("W/{}", etag)};
        for (std::string const& matching : matches) {
            BOOST_TEST_CONTEXT("If-None-Match: " << matching) {
                HttpReply const r = co_await exchange(client, conditional("If-None-Match", matching));
                BOOST_TEST(r.status == 304u);
                BOOST_TEST(r.body.empty());
                BOOST_TEST(r.header("etag") == etag);
                BOOST_TEST(r.header("last-modified") == date);
                BOOST_TEST(r.header("content-range").empty());
            }
        }
        HttpReply const same_date = co_await exchange(client, conditional("If-Modified-Since", date));
        BOOST_TEST(same_date.status == 304u);
        BOOST_TEST(same_date.body.empty());

        HttpReply const wrong = co_await exchange(client, conditional("If-None-Match", "\"stale-etag\""));
        BOOST_TEST(wrong.status == 206u);
        BOOST_TEST((wrong.body == whole.substr(0, 100)));
        HttpReply const earlier = co_await exchange(client, conditional("If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"));
        BOOST_TEST(earlier.status == 206u);
        HttpReply const not_a_date = co_await exchange(client, conditional("If-Modified-Since", "yesterday"));
        BOOST_TEST(not_a_date.status == 206u);
        // If-None-Match takes precedence: a wrong ETag is not saved by a current date.
        HttpCall both = conditional("If-None-Match", "\"stale-etag\"");
        both.headers.emplace_back("If-Modified-Since", date);
        HttpReply const precedence = co_await exchange(client, both);
        BOOST_TEST(precedence.status == 206u);
        // Last: the bytes of the answers before it are counted once they are written, before the
        // server reads this one.
        HttpReply const later = co_await exchange(client, conditional("If-Modified-Since", "Sun, 06 Nov 2044 08:49:37 GMT"));
        BOOST_TEST(later.status == 304u);
    }());
    sim::SimStats const s = f.sim.stats();
    BOOST_TEST(s.media_not_modified == 6u);
    BOOST_TEST(s.count(304) == 6u);
    BOOST_TEST(s.media_bytes_sent == 5u * 100);
}

BOOST_AUTO_TEST_CASE(each_lie_behaves_as_its_url_asks) {
    auto o = fast(0);
    o.media_stall = 300ms;
    SimFixture f(o);
    std::string const whole = media_bytes("faststart_9s.mp4");
    std::string const path = "/media/faststart_9s.mp4";
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        // oversize: 150,000,000 bytes claimed; the real ones inside, zeros beyond.
        HttpReply const big = co_await exchange(client, ranged(path + "?lie=oversize", "bytes=0-65535"));
        BOOST_TEST(big.status == 206u);
        BOOST_TEST(big.header("content-range") == "bytes 0-65535/150000000");
        BOOST_REQUIRE(big.body.size() == 65536u);
        BOOST_TEST((big.body.substr(0, whole.size()) == whole));
        BOOST_TEST((big.body.substr(whole.size()) == std::string(65536 - whole.size(), '\0')));
        HttpReply const big_tail = co_await exchange(client, ranged(path + "?lie=oversize", "bytes=-16"));
        BOOST_TEST(big_tail.header("content-range") == "bytes 149999984-149999999/150000000");

        // ignore_range: 200 with the whole body, whatever Range says.
        HttpReply const ignored = co_await exchange(client, ranged(path + "?lie=ignore_range", "bytes=0-99"));
        BOOST_TEST(ignored.status == 200u);
        BOOST_TEST((ignored.body == whole));

        check_error(co_await exchange(client, get(path + "?lie=missing")), 404, "file_not_found");
        check_error(co_await exchange(client, get(path + "?lie=gone")), 410, "file_gone");
        check_error(co_await exchange(client, get(path + "?lie=error")), 500, "internal_error");
        check_error(co_await exchange(client, get(path + "?lie=error")), 500, "internal_error");
        check_error(co_await exchange(client, get(path + "?lie=flaky")), 503, "service_unavailable");
        HttpReply const second = co_await exchange(client, get(path + "?lie=flaky"));
        BOOST_TEST(second.status == 200u);
        BOOST_TEST((second.body == whole));
        // Another URL is flaky on its own first request.
        check_error(co_await exchange(client, get(path + "?x=1&lie=flaky")), 503, "service_unavailable");

        HttpReply const moved = co_await exchange(client, get(path + "?lie=redirect"));
        BOOST_TEST(moved.status == 302u);
        BOOST_TEST(moved.header("location") == f.base_url() + path);

        check_error(co_await exchange(client, get(path + "?lie=fib")), 400, "invalid_parameters", "lie");

        // stall: the head, then nothing, then a closed connection, after SimOptions::media_stall.
        auto const start = std::chrono::steady_clock::now();
        auto const stalled = co_await client.send(get(path + "?lie=stall"));
        auto const waited = std::chrono::steady_clock::now() - start;
        BOOST_TEST(!stalled.has_value());
        BOOST_TEST((waited >= 250ms && waited < 5s));
    }());
    sim::SimStats const s = f.sim.stats();
    BOOST_TEST(s.media_requests == 13u);
    BOOST_TEST(s.media_lies_told == 12u); // all but the unknown one
    BOOST_TEST(s.media_requests_with_authorization == 0u);
}

BOOST_AUTO_TEST_CASE(an_authorization_header_at_the_media_host_is_counted) {
    SimFixture f(fast(0));
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        BOOST_TEST((co_await exchange(client, get("/media/image.png"))).status == 200u);
        BOOST_TEST((co_await exchange(client, with_bearer(get("/media/image.png"), "sk-leaked"))).status == 200u);
    }());
    BOOST_TEST(f.sim.stats().media_requests_with_authorization == 1u);
    BOOST_TEST(f.sim.stats().file_requests_with_key == 0u);
}

BOOST_AUTO_TEST_CASE(a_task_is_billed_by_the_duration_of_its_media_file) {
    struct Case {
        char const* file;
        int seconds;
        std::int64_t credits;
    };
    Case const cases[] = {
        {"faststart_4s.mp4", 4, 5},         // billed as 6 s
        {"faststart_9s.mp4", 9, 7},         //
        {"faststart_25s.mp4", 25, 15},      // billed as 20 s
        {"moov_at_end_9s.mp4", 9, 7},       //
        {"clip_9s.mov", 9, 7},              //
        {"fragmented_9s.mp4", 9, 7},        //
        {"faststart_4s.mp4?lie=redirect", 4, 5}, // the API follows redirects
        {"faststart_25s.mp4?lie=ignore_range", 25, 15},
    };
    SimFixture f(fast());
    std::int64_t total = 0;
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        std::vector<std::string> ids;
        for (auto const& c : cases) {
            BOOST_TEST_CONTEXT(c.file) {
                std::string const video = f.base_url() + "/media/" + c.file;
                api::Task const created = parse_task_or_fail(
                    co_await exchange(client, post("/v1/videos/generations", create_body(video))));
                BOOST_TEST((created.credits_reserved == c.credits));
                BOOST_TEST((created.video_duration == c.seconds));
                ids.push_back(created.id);
            }
        }
        for (std::size_t i = 0; i < ids.size(); ++i) {
            BOOST_TEST_CONTEXT(cases[i].file) {
                api::Task const done = co_await wait_until_done(client, ids[i]);
                BOOST_TEST((done.status == api::TaskStatus::completed));
                BOOST_TEST((done.credits_used == cases[i].credits));
                total += cases[i].credits;
            }
        }
        // Any other URL keeps its duration from a hash, the same media file on another host included.
        std::string const elsewhere = "https://cdn.example.com/media/faststart_9s.mp4";
        api::Task const other = parse_task_or_fail(
            co_await exchange(client, post("/v1/videos/generations", create_body(elsewhere))));
        BOOST_TEST((other.video_duration == sim::TaskBook::video_duration_of(elsewhere)));
    }());
    BOOST_TEST(f.sim.stats().credits_spent >= total);
    BOOST_TEST(f.sim.stats().tasks_failed == 0u);
}

BOOST_AUTO_TEST_CASE(a_task_whose_media_is_no_usable_video_fails_unbilled) {
    struct Case {
        char const* file;
        char const* code;
    };
    Case const cases[] = {
        {"not_video.mp4", "invalid_parameters"},
        {"audio_only.mp4", "invalid_parameters"},
        {"faststart_9s.mp4?lie=oversize", "invalid_parameters"},
        {"no_such_file.mp4", "resource_not_found"},
        {"faststart_9s.mp4?lie=missing", "resource_not_found"},
        {"faststart_9s.mp4?lie=gone", "resource_not_found"},
        {"faststart_9s.mp4?lie=error", "resource_not_found"},
    };
    SimFixture f(fast());
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port());
        for (auto const& c : cases) {
            BOOST_TEST_CONTEXT(c.file) {
                std::string const video = f.base_url() + "/media/" + c.file;
                api::Task const created = parse_task_or_fail(
                    co_await exchange(client, post("/v1/videos/generations", create_body(video))));
                BOOST_TEST((created.credits_reserved == 0));
                api::Task const done = co_await wait_until_done(client, created.id);
                BOOST_TEST((done.status == api::TaskStatus::failed));
                BOOST_REQUIRE(done.error.has_value());
                BOOST_TEST(done.error->code == c.code);
                BOOST_TEST((done.credits_used == 0));
            }
        }
        // An image is refused before any task is made: video_urls[0] must name a .mp4 or .mov.
        check_error(co_await exchange(client, post("/v1/videos/generations",
                                                   create_body(f.base_url() + "/media/image.png"))),
                    400, "invalid_parameters", "video_urls");
        api::Task const oversized = co_await run_task(client, f.base_url() + "/media/clip_9s.mov?lie=oversize");
        BOOST_REQUIRE(oversized.error.has_value());
        BOOST_TEST(oversized.error->message.find("150000000 bytes") != std::string::npos);
    }());
    sim::SimStats const s = f.sim.stats();
    BOOST_TEST(s.tasks_failed == std::size(cases) + 1);
    BOOST_TEST(s.credits_spent == 0);
    BOOST_TEST(s.credits_refunded == 0);
    BOOST_TEST(s.media_requests == 0u); // the simulated API decides from the URL; it fetches nothing
}

BOOST_AUTO_TEST_SUITE_END()
