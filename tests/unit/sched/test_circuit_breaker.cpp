#include "evobatch/sched/circuit_breaker.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch::sched;
using namespace std::chrono_literals;

namespace {
TimePoint const t0 = TimePoint{} + 1000h;
} // namespace

BOOST_AUTO_TEST_SUITE(circuit_breaker)

BOOST_AUTO_TEST_CASE(stays_closed_below_the_threshold_and_a_success_resets_the_count) {
    CircuitBreaker b(3, 10s, 5min);
    b.on_failure(t0);
    b.on_failure(t0);
    BOOST_TEST(b.allows_new_work(t0));
    b.on_success();
    b.on_failure(t0);
    b.on_failure(t0);
    BOOST_TEST(b.allows_new_work(t0));
    BOOST_TEST(!b.open_until().has_value());
    BOOST_TEST(b.consecutive_failures() == 2);
}

BOOST_AUTO_TEST_CASE(opens_after_threshold_failures_for_the_pause) {
    CircuitBreaker b(3, 10s, 5min);
    for (int i = 0; i < 3; ++i) {
        b.on_failure(t0 + std::chrono::seconds(i));
    }
    BOOST_TEST(!b.allows_new_work(t0 + 2s));
    BOOST_TEST((b.open_until() == std::optional<TimePoint>(t0 + 12s)));
    BOOST_TEST(!b.allows_new_work(t0 + 12s - 1ns));
    BOOST_TEST(b.allows_new_work(t0 + 12s));
}

BOOST_AUTO_TEST_CASE(failures_while_open_do_not_extend_the_pause) {
    CircuitBreaker b(2, 10s, 5min);
    b.on_failure(t0);
    b.on_failure(t0);
    for (int i = 1; i < 10; ++i) {
        b.on_failure(t0 + std::chrono::seconds(i)); // polls sent before it opened
    }
    BOOST_TEST((b.open_until() == std::optional<TimePoint>(t0 + 10s)));
}

BOOST_AUTO_TEST_CASE(the_pause_doubles_while_trouble_persists_up_to_the_maximum) {
    CircuitBreaker b(2, 10s, 35s);
    b.on_failure(t0);
    b.on_failure(t0);
    BOOST_TEST((b.open_until() == std::optional<TimePoint>(t0 + 10s)));
    // The first failure after the pause, before any success, opens it again at once.
    b.on_failure(t0 + 10s);
    BOOST_TEST((b.open_until() == std::optional<TimePoint>(t0 + 30s)));
    b.on_failure(t0 + 30s);
    BOOST_TEST((b.open_until() == std::optional<TimePoint>(t0 + 65s)));
    b.on_failure(t0 + 65s);
    BOOST_TEST((b.open_until() == std::optional<TimePoint>(t0 + 100s)));
}

BOOST_AUTO_TEST_CASE(a_success_closes_it_and_resets_the_pause) {
    CircuitBreaker b(2, 10s, 5min);
    b.on_failure(t0);
    b.on_failure(t0);
    b.on_failure(t0 + 10s); // 20 s now
    b.on_success();
    BOOST_TEST(b.allows_new_work(t0 + 11s));
    BOOST_TEST(!b.open_until().has_value());
    b.on_failure(t0 + 40s); // one failure after a success is not yet a run
    BOOST_TEST(b.allows_new_work(t0 + 40s));
    b.on_failure(t0 + 41s);
    BOOST_TEST((b.open_until() == std::optional<TimePoint>(t0 + 51s)));
}

BOOST_AUTO_TEST_CASE(a_threshold_below_one_counts_as_one) {
    CircuitBreaker b(0, 1s, 1s);
    b.on_failure(t0);
    BOOST_TEST(!b.allows_new_work(t0));
}

BOOST_AUTO_TEST_SUITE_END()
