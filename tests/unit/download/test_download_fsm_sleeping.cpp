// DownloadFsm between attempts (state sleeping): retries back off doubling up to the cap, and the
// last failure still backs off before giving up.

#include "unit/download/download_fsm_support.hpp"

using namespace download_fsm_test;

BOOST_AUTO_TEST_SUITE(download_fsm)

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

BOOST_AUTO_TEST_CASE(the_last_failure_still_backs_off_before_giving_up) {
    // As before the FSM: the loop's test comes after the pause (a quirk kept on purpose).
    auto d = requesting(config(1));
    BOOST_TEST(d.on(unanswered()).type == Type::sleep_until);
    BOOST_TEST(d.on(ev::Slept{}).type == Type::done);
}

BOOST_AUTO_TEST_SUITE_END()
