// The download state machine (issue 16), walked without I/O after Boost.Redis's
// test_exec_fsm.cpp: every event in every state, range resumes under a record (If-Range, a 200
// that restarts the part, a 206 that does not fit), the retry cap and its backoff, redirects,
// expiry, and every check that starts the file over.

#include "download/download_fsm.hpp"

#include "evobatch/net/error.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace evobatch;
using namespace evobatch::download::detail;
using namespace std::chrono_literals;
using Type = DownloadActionType;
using State = DownloadFsm::State;
using boost::system::error_code;

namespace evobatch::download::detail {
std::ostream& operator<<(std::ostream& os, DownloadActionType t) { return os << to_string(t); }
std::ostream& operator<<(std::ostream& os, DownloadFsm::State s) { return os << to_string(s); }
} // namespace evobatch::download::detail

namespace {

std::string const k_task = "task-1";
std::string const k_url = "https://files.example.com/r/0.mp4";
std::string const k_etag = "\"v1\"";
std::string const k_sha = std::string(64, 'a');
std::string const k_mp4 = std::string("\0\0\0\x18" "ftypisom", 12);
TimePoint const k_now = TimePoint{} + 1000s;

DownloadFsmConfig config(int max_attempts = 3, int max_redirects = 2) {
    return {k_task, k_url, "/o/a.mp4.part", "/o/a.mp4", "mp4", max_attempts, max_redirects, 500ms, 1000};
}

net::HttpResponse head(int status, net::Headers headers = {}) {
    net::HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    return r;
}

// A 200 of the whole 1000-byte file under k_etag.
net::HttpResponse whole(net::Headers more = {}) {
    net::Headers h{{"content-length", "1000"}, {"etag", k_etag}, {"content-type", "video/mp4"}};
    h.insert(h.end(), more.begin(), more.end());
    return head(200, std::move(h));
}

// A 206 of bytes [from, 999] of 1000 under `etag`.
net::HttpResponse rest(std::uint64_t from, std::string etag = k_etag) {
    return head(206, {{"content-range", "bytes " + std::to_string(from) + "-999/1000"},
                      {"content-length", std::to_string(1000 - from)},
                      {"etag", std::move(etag)}});
}

PartRecord record(std::string task = k_task, std::string url = k_url) {
    return {std::move(task), std::move(url), {Validator::Kind::etag, k_etag}, 1000, {}};
}

ev::ResponseEnded ended(std::uint64_t received, std::uint64_t part_size, bool record_written = false) {
    return {true, {}, "", {}, received, part_size, record_written};
}
ev::ResponseEnded cut(std::uint64_t received, std::uint64_t part_size, bool record_written = false) {
    return {true, net::NetErrc::timeout, "no byte for 30 s", {}, received, part_size, record_written};
}
ev::ResponseEnded unanswered(error_code error = net::NetErrc::timeout) {
    return {false, error, "connection refused", {}, 0, 0, false};
}

// A machine driven through `events` (each must be accepted); the last action.
struct Driven {
    DownloadFsm fsm;
    DownloadAction last;
    explicit Driven(DownloadFsmConfig c = config()) : fsm(std::move(c)) {}
    DownloadAction const& on(DownloadEvent const& e, TimePoint now = k_now) { return last = fsm.resume(e, now); }
};

// Fresh, opened with no part: the first request is about to go.
Driven requesting(DownloadFsmConfig c = config()) {
    Driven d(std::move(c));
    d.on(ev::Start{});
    d.on(ev::PartOpened{0, std::nullopt});
    d.on(ev::PartEmptied{});
    return d;
}

// A machine in each state, reached the ordinary way.
Driven in_state(State s) {
    Driven d;
    if (s == State::start) {
        return d;
    }
    d.on(ev::Start{});
    if (s == State::opening) {
        return d;
    }
    d.on(ev::PartOpened{0, std::nullopt});
    if (s == State::emptying) {
        return d;
    }
    d.on(ev::PartEmptied{});
    if (s == State::requesting) {
        return d;
    }
    if (s == State::sleeping) {
        d.on(unanswered());
        return d;
    }
    auto const h = whole();
    d.on(ev::HeadReceived{&h});
    if (s == State::receiving) {
        return d;
    }
    d.on(ended(1000, 1000, true));
    if (s == State::verifying) {
        return d;
    }
    d.on(ev::Sealed{k_sha, k_mp4});
    if (s == State::committing) {
        return d;
    }
    d.on(ev::Committed{});
    return d;
}

} // namespace

BOOST_AUTO_TEST_SUITE(download_fsm)

// Every event in every state: the expected ones lead on, any other is a bug (logic_error).
BOOST_AUTO_TEST_CASE(every_event_in_every_state) {
    auto const h = whole();
    struct Sample {
        char const* name;
        DownloadEvent event;
    };
    std::vector<Sample> const events{
        {"start", ev::Start{}},
        {"part_opened", ev::PartOpened{0, std::nullopt}},
        {"part_refused", ev::PartRefused{"a link"}},
        {"part_emptied", ev::PartEmptied{}},
        {"stopped", ev::Stopped{}},
        {"head_received", ev::HeadReceived{&h}},
        {"response_ended/unanswered", unanswered()},
        {"response_ended/answered", ended(1000, 1000)},
        {"sealed", ev::Sealed{k_sha, k_mp4}},
        {"committed", ev::Committed{}},
        {"keep_failed", ev::KeepFailed{"fsync: I/O error"}},
        {"slept", ev::Slept{}},
    };
    struct Row {
        State state;
        std::vector<std::string> accepted;
    };
    std::vector<Row> const table{
        {State::start, {"start"}},
        {State::opening, {"part_opened", "part_refused"}},
        {State::emptying, {"part_emptied"}},
        {State::requesting, {"stopped", "head_received", "response_ended/unanswered"}},
        {State::receiving, {"response_ended/answered"}},
        {State::sleeping, {"slept"}},
        {State::verifying, {"sealed", "keep_failed"}},
        {State::committing, {"committed", "keep_failed"}},
        {State::finished, {}},
    };
    for (auto const& row : table) {
        for (auto const& sample : events) {
            BOOST_TEST_CONTEXT(to_string(row.state) << " + " << sample.name) {
                auto d = in_state(row.state);
                BOOST_TEST(d.fsm.state() == row.state);
                bool const expected =
                    std::find(row.accepted.begin(), row.accepted.end(), sample.name) != row.accepted.end();
                if (expected) {
                    BOOST_CHECK_NO_THROW(d.on(sample.event));
                } else {
                    BOOST_CHECK_THROW(d.on(sample.event), std::logic_error);
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_whole_file_is_fetched_checked_and_committed) {
    Driven d;
    BOOST_TEST(d.on(ev::Start{}).type == Type::open_part);
    BOOST_TEST(d.on(ev::PartOpened{0, std::nullopt}).type == Type::empty_part); // no record: emptied first
    BOOST_TEST(!d.last.rejected);
    auto const& send = d.on(ev::PartEmptied{});
    BOOST_TEST(send.type == Type::send_request);
    BOOST_TEST(send.url == k_url);
    BOOST_TEST(!send.range_from.has_value());
    auto const h = whole();
    auto const& take = d.on(ev::HeadReceived{&h});
    BOOST_TEST(take.type == Type::take_body);
    BOOST_TEST(take.replace);
    BOOST_REQUIRE(take.record != nullptr);
    BOOST_TEST(take.record->task_id == k_task);
    BOOST_TEST(take.record->url == k_url);
    BOOST_TEST(take.record->validator.value == k_etag);
    BOOST_TEST(take.record->size.value_or(0) == 1000u);
    BOOST_TEST(d.on(ended(1000, 1000, true)).type == Type::verify);
    BOOST_TEST(d.fsm.has_record());
    BOOST_TEST(d.on(ev::Sealed{k_sha, k_mp4}).type == Type::commit);
    auto const& done = d.on(ev::Committed{});
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.ok);
    BOOST_TEST(!done.resumed);
    BOOST_TEST(!done.expired);
    BOOST_TEST(done.reason.empty());
    BOOST_TEST(d.fsm.failures() == 0);
}

BOOST_AUTO_TEST_CASE(a_part_of_this_task_is_continued_with_range_and_if_range) {
    Driven d;
    d.on(ev::Start{});
    auto const& send = d.on(ev::PartOpened{400, record()});
    BOOST_TEST(send.type == Type::send_request);
    BOOST_REQUIRE(send.range_from.has_value());
    BOOST_TEST(*send.range_from == 400u);
    BOOST_TEST(send.if_range == k_etag);
    auto const h = rest(400);
    auto const& take = d.on(ev::HeadReceived{&h});
    BOOST_TEST(take.type == Type::take_body);
    BOOST_TEST(!take.replace);
    BOOST_TEST(take.record == nullptr);
    BOOST_TEST(d.on(ended(600, 1000)).type == Type::verify);
    BOOST_TEST(d.on(ev::Sealed{k_sha, k_mp4}).type == Type::commit);
    auto const& done = d.on(ev::Committed{});
    BOOST_TEST(done.ok);
    BOOST_TEST(done.resumed);
}

BOOST_AUTO_TEST_CASE(a_part_of_another_task_or_url_or_empty_is_emptied_first) {
    for (auto const& found : {ev::PartOpened{400, record("task-2")}, ev::PartOpened{400, record(k_task, k_url + "?x")},
                              ev::PartOpened{0, record()}, ev::PartOpened{400, std::nullopt}}) {
        Driven d;
        d.on(ev::Start{});
        BOOST_TEST(d.on(found).type == Type::empty_part);
        auto const& send = d.on(ev::PartEmptied{});
        BOOST_TEST(send.type == Type::send_request);
        BOOST_TEST(!send.range_from.has_value()); // a part without a record of ours is never continued
        BOOST_TEST(!d.fsm.has_record());
    }
}

BOOST_AUTO_TEST_CASE(a_part_that_cannot_be_opened_or_emptied_fails_the_file) {
    Driven a;
    a.on(ev::Start{});
    auto const& refused = a.on(ev::PartRefused{"/o/a.mp4.part is a symbolic link"});
    BOOST_TEST(refused.type == Type::done);
    BOOST_TEST(!refused.ok);
    BOOST_TEST(refused.reason == "/o/a.mp4.part is a symbolic link");

    Driven b;
    b.on(ev::Start{});
    b.on(ev::PartOpened{5, std::nullopt});
    auto const& failed = b.on(ev::PartEmptied{make_error_code(boost::system::errc::io_error)});
    BOOST_TEST(failed.type == Type::done);
    BOOST_TEST(failed.reason.starts_with("cannot empty /o/a.mp4.part: "));
}

// If-Range answered with 200: the file changed, the part starts over from this body.
BOOST_AUTO_TEST_CASE(if_range_answered_200_restarts_the_part) {
    Driven d;
    d.on(ev::Start{});
    d.on(ev::PartOpened{400, record()});
    auto const h = whole({{"etag", "\"v2\""}});
    auto const& take = d.on(ev::HeadReceived{&h});
    BOOST_TEST(take.type == Type::take_body);
    BOOST_TEST(take.replace);
    BOOST_TEST(!d.fsm.has_record()); // forgotten with the part
    // Cut before the first byte: no record written, so the next attempt starts from 0.
    BOOST_TEST(d.on(cut(0, 0, false)).type == Type::empty_part);
    BOOST_TEST(!d.last.rejected);
    BOOST_TEST(d.on(ev::PartEmptied{}).type == Type::sleep_until);
    auto const& send = d.on(ev::Slept{});
    BOOST_TEST(send.type == Type::send_request);
    BOOST_TEST(!send.range_from.has_value());
}

BOOST_AUTO_TEST_CASE(a_cut_body_with_a_record_is_continued_from_where_the_part_ends) {
    auto d = requesting();
    auto const h = whole();
    d.on(ev::HeadReceived{&h});
    auto const& sleep = d.on(cut(300, 300, true));
    BOOST_TEST(sleep.type == Type::sleep_until);
    BOOST_TEST((sleep.until == k_now + 500ms));
    auto const& send = d.on(ev::Slept{});
    BOOST_REQUIRE(send.range_from.has_value());
    BOOST_TEST(*send.range_from == 300u);
    BOOST_TEST(send.if_range == k_etag);
    auto const r = rest(300);
    BOOST_TEST(d.on(ev::HeadReceived{&r}).type == Type::take_body);
    BOOST_TEST(d.on(ended(700, 1000)).type == Type::verify);
}

BOOST_AUTO_TEST_CASE(a_cut_body_without_a_validator_starts_over) {
    auto d = requesting();
    auto const h = head(200, {{"content-length", "1000"}});
    auto const& take = d.on(ev::HeadReceived{&h});
    BOOST_TEST(take.type == Type::take_body);
    BOOST_TEST(take.record == nullptr);
    BOOST_TEST(d.on(cut(300, 300)).type == Type::empty_part);
    BOOST_TEST(d.on(ev::PartEmptied{}).type == Type::sleep_until);
    BOOST_TEST(!d.on(ev::Slept{}).range_from.has_value());
}

// 206 answers that do not continue the part: refused before the body, the part started over.
BOOST_AUTO_TEST_CASE(a_206_that_does_not_fit_the_part_is_refused_and_the_file_started_over) {
    struct Case {
        char const* name;
        net::HttpResponse head;
        std::uint64_t part;
    };
    std::vector<Case> const cases{
        {"another start", rest(500), 400},
        {"another etag", rest(400, "\"v2\""), 400},
        {"no content-range", head(206, {{"etag", k_etag}}), 400},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT(c.name) {
            Driven d;
            d.on(ev::Start{});
            d.on(ev::PartOpened{c.part, record()});
            BOOST_TEST(d.on(ev::HeadReceived{&c.head}).type == Type::refuse_body);
            auto const& empty = d.on(ended(0, c.part));
            BOOST_TEST(empty.type == Type::empty_part);
            BOOST_TEST(empty.rejected);
            BOOST_TEST(d.on(ev::PartEmptied{}).type == Type::sleep_until);
            BOOST_TEST(d.fsm.failures() == 1);
            BOOST_TEST(!d.on(ev::Slept{}).range_from.has_value());
        }
    }
    // A 206 to a request without Range.
    auto d = requesting();
    auto const h = rest(0);
    BOOST_TEST(d.on(ev::HeadReceived{&h}).type == Type::refuse_body);
    BOOST_TEST(d.on(ended(0, 0)).rejected);
    d.on(ev::PartEmptied{});
    d.on(ev::Slept{});
    d.on(unanswered());
    d.on(ev::Slept{});
    d.on(unanswered());
    auto const& done = d.on(ev::Slept{});
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.reason == "gave up after 3 attempts: connection refused");
}

BOOST_AUTO_TEST_CASE(checks_that_fail_start_the_file_over_with_their_reason) {
    auto expect_rejected = [](Driven& d, std::string const& why) {
        auto const& empty = d.last;
        BOOST_TEST(empty.type == Type::empty_part);
        BOOST_TEST(empty.rejected);
        BOOST_TEST(d.on(ev::PartEmptied{}).type == Type::sleep_until);
        auto const& done = d.on(ev::Slept{}); // one attempt allowed: its reason is the last
        BOOST_TEST(done.type == Type::done);
        BOOST_TEST(done.reason.find(why) != std::string::npos, done.reason);
    };
    { // a document, not a video
        auto d = requesting(config(1));
        auto const h = head(200, {{"content-type", "text/html"}, {"content-length", "10"}});
        BOOST_TEST(d.on(ev::HeadReceived{&h}).type == Type::refuse_body);
        d.on(ended(0, 0));
        expect_rejected(d, "text/html");
    }
    { // fewer bytes than Content-Length, though the connection ended cleanly
        auto d = requesting(config(1));
        auto const h = whole();
        d.on(ev::HeadReceived{&h});
        d.on(ended(900, 900, true));
        expect_rejected(d, "the answer declared 1000 bytes and sent 900");
    }
    { // the part is not the size the file was declared
        Driven d(config(1));
        d.on(ev::Start{});
        d.on(ev::PartOpened{400, record()});
        auto const h = rest(400);
        d.on(ev::HeadReceived{&h});
        d.on(ended(600, 999));
        expect_rejected(d, "got 999 bytes, expected 1000");
    }
    { // a declared digest that does not match
        auto d = requesting(config(1));
        auto const h = whole({{"x-amz-meta-sha256", std::string(64, 'b')}});
        d.on(ev::HeadReceived{&h});
        BOOST_TEST(d.on(ended(1000, 1000, true)).type == Type::verify);
        d.on(ev::Sealed{k_sha, k_mp4});
        expect_rejected(d, "its x-amz-meta-sha256 header says");
    }
    { // a digest declared by the first answer holds for the continued file too
        Driven d(config(1));
        d.on(ev::Start{});
        auto r = record();
        r.digests = {{"repr-digest", std::string(64, 'b')}};
        d.on(ev::PartOpened{400, r});
        auto const h = rest(400);
        d.on(ev::HeadReceived{&h});
        d.on(ended(600, 1000));
        d.on(ev::Sealed{k_sha, k_mp4});
        expect_rejected(d, "its repr-digest header says");
    }
    { // not the start of an MP4
        auto d = requesting(config(1));
        auto const h = whole();
        d.on(ev::HeadReceived{&h});
        d.on(ended(1000, 1000, true));
        d.on(ev::Sealed{k_sha, "<html>"});
        expect_rejected(d, "does not start like a .mp4 video");
    }
}

BOOST_AUTO_TEST_CASE(retries_back_off_doubling_up_to_the_cap_then_give_up) {
    auto d = requesting(config(20));
    std::vector<std::chrono::milliseconds> waits;
    for (int i = 0; i < 20; ++i) {
        auto const& sleep = d.on(i % 2 == 0 ? DownloadEvent{unanswered()} : DownloadEvent{unanswered(net::NetErrc::connection_closed)});
        BOOST_REQUIRE(sleep.type == Type::sleep_until);
        waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(sleep.until - k_now));
        auto const& next = d.on(ev::Slept{});
        BOOST_REQUIRE(next.type == (i < 19 ? Type::send_request : Type::done));
    }
    std::vector<std::chrono::milliseconds> const expected{500ms,  1000ms, 2000ms, 4000ms, 8000ms,
                                                          10000ms, 10000ms, 10000ms, 10000ms, 10000ms};
    BOOST_TEST(std::vector(waits.begin(), waits.begin() + 10) == expected, boost::test_tools::per_element());
    BOOST_TEST(d.last.reason == "gave up after 20 attempts: connection refused");
    BOOST_TEST(d.fsm.failures() == 20);

    // The doubling stops at 2^10: a tiny first backoff still grows no further.
    auto c = config(14);
    c.first_backoff = 1ms;
    auto e = requesting(c);
    for (int i = 1; i <= 14; ++i) {
        auto const& sleep = e.on(unanswered());
        auto const expected_wait = std::chrono::milliseconds(1 << std::min(i - 1, 10));
        BOOST_TEST((sleep.until - k_now == expected_wait), "failure " << i);
        e.on(ev::Slept{});
    }
}

BOOST_AUTO_TEST_CASE(status_429_and_5xx_are_retried_other_statuses_are_not) {
    for (int status : {429, 500, 502, 503}) {
        auto d = requesting(config(1));
        auto const h = head(status);
        BOOST_TEST(d.on(ev::HeadReceived{&h}).type == Type::refuse_body);
        BOOST_TEST(d.on(ended(0, 0)).type == Type::sleep_until);
        auto const& done = d.on(ev::Slept{});
        BOOST_TEST(done.reason == "gave up after 1 attempts: HTTP " + std::to_string(status));
    }
    for (int status : {400, 401, 405, 302, 204}) { // 302 without a Location
        auto d = requesting();
        auto const h = head(status);
        d.on(ev::HeadReceived{&h});
        auto const& done = d.on(ended(0, 0));
        BOOST_TEST(done.type == Type::done);
        BOOST_TEST(!done.expired);
        BOOST_TEST(done.reason == "the result link answers HTTP " + std::to_string(status));
    }
}

BOOST_AUTO_TEST_CASE(a_gone_link_is_expired_at_once) {
    for (int status : {403, 404, 410}) {
        auto d = requesting();
        auto const h = head(status);
        d.on(ev::HeadReceived{&h});
        auto const& done = d.on(ended(0, 0));
        BOOST_TEST(done.type == Type::done);
        BOOST_TEST(done.expired);
        BOOST_TEST(!done.ok);
        BOOST_TEST(done.reason == "the result link answers " + std::to_string(status) + ": it has expired or is gone");
        BOOST_TEST(d.fsm.failures() == 0);
    }
}

BOOST_AUTO_TEST_CASE(status_416_starts_the_part_over) {
    Driven d;
    d.on(ev::Start{});
    d.on(ev::PartOpened{400, record()});
    auto const h = head(416);
    d.on(ev::HeadReceived{&h});
    auto const& empty = d.on(ended(0, 400));
    BOOST_TEST(empty.type == Type::empty_part);
    BOOST_TEST(!empty.rejected);
    BOOST_TEST(d.on(ev::PartEmptied{}).type == Type::sleep_until);
    BOOST_TEST(!d.on(ev::Slept{}).range_from.has_value());
}

BOOST_AUTO_TEST_CASE(redirects_are_followed_to_their_limit_without_counting_as_failures) {
    auto d = requesting(config(3, 2));
    auto const to_cdn = head(302, {{"location", "https://cdn.example.com/x.mp4"}});
    d.on(ev::HeadReceived{&to_cdn});
    auto const& first = d.on(ended(0, 0));
    BOOST_TEST(first.type == Type::send_request);
    BOOST_TEST(first.url == "https://cdn.example.com/x.mp4");
    auto const same_origin = head(307, {{"location", "/y.mp4?sig=1"}});
    d.on(ev::HeadReceived{&same_origin});
    BOOST_TEST(d.on(ended(0, 0)).url == "https://cdn.example.com/y.mp4?sig=1");
    BOOST_TEST(d.fsm.failures() == 0);
    BOOST_TEST(d.fsm.redirects() == 2);
    d.on(ev::HeadReceived{&to_cdn});
    auto const& done = d.on(ended(0, 0));
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.reason == "too many redirects");

    for (char const* where : {"//evil.example.com/x", "x.mp4", "ftp://h/x"}) {
        auto e = requesting();
        auto const h = head(301, {{"location", where}});
        e.on(ev::HeadReceived{&h});
        BOOST_TEST(e.on(ended(0, 0)).reason == "a redirect to an unusable location");
    }
}

BOOST_AUTO_TEST_CASE(a_redirect_keeps_the_record_of_the_task_url) {
    auto d = requesting();
    auto const h = head(302, {{"location", "https://cdn.example.com/x.mp4"}});
    d.on(ev::HeadReceived{&h});
    d.on(ended(0, 0));
    auto const w = whole();
    auto const& take = d.on(ev::HeadReceived{&w});
    BOOST_REQUIRE(take.record != nullptr);
    BOOST_TEST(take.record->url == k_url); // before any redirect, as the task gave it
}

BOOST_AUTO_TEST_CASE(an_insecure_or_bad_url_is_never_retried) {
    for (auto code : {net::NetErrc::insecure_url, net::NetErrc::bad_url}) {
        auto d = requesting();
        auto const& done = d.on(unanswered(code));
        BOOST_TEST(done.type == Type::done);
        BOOST_TEST(done.reason == "gave up after 0 attempts: connection refused");
    }
}

BOOST_AUTO_TEST_CASE(a_file_above_the_cap_is_refused_without_retries) {
    auto d = requesting();
    auto const h = head(200, {{"content-length", "1001"}});
    BOOST_TEST(d.on(ev::HeadReceived{&h}).type == Type::refuse_body);
    BOOST_TEST(d.on(ended(0, 0)).reason == "the file is larger than the cap of 1000 bytes");

    Driven r;
    r.on(ev::Start{});
    r.on(ev::PartOpened{400, [] { auto x = record(); x.size = 2000; return x; }()});
    auto const big = head(206, {{"content-range", "bytes 400-1999/2000"}, {"content-length", "1600"}, {"etag", k_etag}});
    BOOST_TEST(r.on(ev::HeadReceived{&big}).type == Type::refuse_body);
    BOOST_TEST(r.on(ended(0, 400)).reason == "the file is larger than the cap of 1000 bytes");

    auto e = requesting(); // no length declared: the sink's cap stops the body
    auto const chunked = head(200, {{"etag", k_etag}});
    BOOST_TEST(e.on(ev::HeadReceived{&chunked}).type == Type::take_body);
    ev::ResponseEnded over = cut(1000, 1000, true);
    over.error = net::NetErrc::body_too_large;
    BOOST_TEST(e.on(over).reason == "the file is larger than the cap of 1000 bytes");
}

BOOST_AUTO_TEST_CASE(write_and_keep_failures_end_the_file) {
    auto d = requesting();
    auto const h = whole();
    d.on(ev::HeadReceived{&h});
    ev::ResponseEnded broken = cut(100, 100, false);
    broken.write_failure = make_error_code(boost::system::errc::no_space_on_device);
    auto const& done = d.on(broken);
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.reason.starts_with("cannot write /o/a.mp4.part: "));

    auto v = in_state(State::verifying);
    auto const& seal_failed = v.on(ev::KeepFailed{"fsync: I/O error"});
    BOOST_TEST(seal_failed.reason == "cannot keep /o/a.mp4: fsync: I/O error");
    BOOST_TEST(!seal_failed.ok);

    Driven r; // a resumed file that cannot be kept still counts as resumed, as before
    r.on(ev::Start{});
    r.on(ev::PartOpened{400, record()});
    auto const h2 = rest(400);
    r.on(ev::HeadReceived{&h2});
    r.on(ended(600, 1000));
    r.on(ev::Sealed{k_sha, k_mp4});
    auto const& publish_failed = r.on(ev::KeepFailed{"/o/a.mp4 is a symbolic link"});
    BOOST_TEST(publish_failed.type == Type::done);
    BOOST_TEST(publish_failed.resumed);
    BOOST_TEST(publish_failed.reason == "cannot keep /o/a.mp4: /o/a.mp4 is a symbolic link");
}

BOOST_AUTO_TEST_CASE(stopped_before_a_request_keeps_the_part) {
    auto d = requesting();
    auto const& done = d.on(ev::Stopped{});
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.reason == "stopped; the partial file is kept for the next run");
    BOOST_TEST(d.fsm.state() == State::finished);
}

BOOST_AUTO_TEST_CASE(no_attempts_allowed_gives_up_before_sending) {
    Driven d(config(0));
    d.on(ev::Start{});
    auto const& done = d.on(ev::PartOpened{400, record()});
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.reason == "gave up after 0 attempts: no reason given");
}

BOOST_AUTO_TEST_CASE(the_last_failure_still_backs_off_before_giving_up) {
    // As before the FSM: the loop's test comes after the pause (a quirk kept on purpose).
    auto d = requesting(config(1));
    BOOST_TEST(d.on(unanswered()).type == Type::sleep_until);
    BOOST_TEST(d.on(ev::Slept{}).type == Type::done);
}

BOOST_AUTO_TEST_SUITE_END()
