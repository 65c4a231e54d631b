// DownloadFsm with a request out (state requesting): what each answer's head leads to (If-Range
// answered 200, a 206 that does not fit the part, statuses retried or not, a gone link, 416,
// redirects, an insecure or bad URL, a file above the cap), and a stop before the request.

#include "unit/download/download_fsm_support.hpp"

using namespace download_fsm_test;

BOOST_AUTO_TEST_SUITE(download_fsm)

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

BOOST_AUTO_TEST_CASE(stopped_before_a_request_keeps_the_part) {
    auto d = requesting();
    auto const& done = d.on(ev::Stopped{});
    BOOST_TEST(done.type == Type::done);
    BOOST_TEST(done.reason == "stopped; the partial file is kept for the next run");
    BOOST_TEST(d.fsm.state() == State::finished);
}

BOOST_AUTO_TEST_SUITE_END()
