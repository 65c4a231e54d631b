#include "evobatch/sched/backoff.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <vector>

using namespace evobatch::sched;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(the_ceiling_doubles_up_to_the_cap) {
    Backoff const b(100ms, 10s, 1);
    BOOST_TEST((b.ceiling(0) == Clock::duration(100ms)));
    BOOST_TEST((b.ceiling(1) == Clock::duration(200ms)));
    BOOST_TEST((b.ceiling(6) == Clock::duration(6400ms)));
    BOOST_TEST((b.ceiling(7) == Clock::duration(10s)));
    BOOST_TEST((b.ceiling(-3) == Clock::duration(100ms)));
}

BOOST_AUTO_TEST_CASE(large_attempts_do_not_overflow) {
    Backoff const capped(1s, 5min, 1);
    for (int attempt : {30, 34, 62, 63, 64, 100, 1'000'000}) {
        BOOST_TEST((capped.ceiling(attempt) == Clock::duration(5min)));
    }
    Backoff const uncapped(1s, Clock::duration::max(), 1);
    BOOST_TEST((uncapped.ceiling(33) == Clock::duration(std::chrono::seconds(1LL << 33))));
    BOOST_TEST((uncapped.ceiling(34) == Clock::duration::max())); // 2^34 s is more nanoseconds than fit
    BOOST_TEST((uncapped.ceiling(63) == Clock::duration::max()));
    Backoff const tiny(Clock::duration(1), Clock::duration::max(), 1);
    BOOST_TEST((tiny.ceiling(62) == Clock::duration(Clock::rep(1) << 62)));
    BOOST_TEST((tiny.ceiling(63) == Clock::duration::max()));
}

BOOST_AUTO_TEST_CASE(waits_spread_over_the_whole_interval) {
    Backoff b(100ms, 10s, 12345);
    std::vector<Clock::duration> waits;
    for (int i = 0; i < 10'000; ++i) {
        waits.push_back(b.next(3));
    }
    auto const [lo, hi] = std::minmax_element(waits.begin(), waits.end());
    BOOST_TEST(lo->count() >= 0);
    BOOST_TEST((*hi <= Clock::duration(800ms)));
    BOOST_TEST((*lo < Clock::duration(40ms)));  // full jitter: down to almost nothing...
    BOOST_TEST((*hi > Clock::duration(760ms))); // ...and up to the ceiling
    double sum = 0;
    for (auto const w : waits) {
        sum += std::chrono::duration<double>(w).count();
    }
    BOOST_TEST(sum / 10'000 == 0.4, boost::test_tools::tolerance(0.03));
    for (int attempt = 0; attempt < 80; ++attempt) {
        BOOST_TEST((b.next(attempt) <= b.ceiling(attempt)));
    }
}

BOOST_AUTO_TEST_CASE(the_seed_decides_the_sequence) {
    Backoff a(1s, 1min, 99);
    Backoff same(1s, 1min, 99);
    Backoff other(1s, 1min, 100);
    bool differs = false;
    for (int i = 0; i < 20; ++i) {
        auto const x = a.next(5);
        BOOST_TEST((x == same.next(5)));
        differs = differs || x != other.next(5);
    }
    BOOST_TEST(differs);
}

BOOST_AUTO_TEST_CASE(a_zero_base_never_waits) {
    Backoff b(0s, 10s, 1);
    BOOST_TEST((b.next(10) == Clock::duration::zero()));
    Backoff negative(-5s, -1s, 1);
    BOOST_TEST((negative.next(3) == Clock::duration::zero()));
}

BOOST_AUTO_TEST_SUITE_END()
