#include "evobatch/sched/rate_limiter.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <deque>
#include <random>
#include <vector>

using namespace evobatch::sched;
using namespace std::chrono_literals;

namespace {

TimePoint const t0 = TimePoint{} + 1000h;

// The most grants inside any closed window of 1 s: checking the window that ends at each grant
// is enough, since the fullest window can always be slid to end at one.
std::size_t max_per_second(std::vector<TimePoint> const& grants) {
    std::deque<TimePoint> window;
    std::size_t most = 0;
    for (TimePoint const g : grants) {
        window.push_back(g);
        while (window.front() < g - 1s) {
            window.pop_front();
        }
        most = std::max(most, window.size());
    }
    return most;
}

// Asks as fast as it can, at random steps of 0..`max_step`, for `length`; returns the grants.
std::vector<TimePoint> greedy(RateLimiter& limiter, TimePoint start, Clock::duration length,
                              Clock::duration max_step, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<Clock::rep> step(0, max_step.count());
    std::vector<TimePoint> grants;
    for (TimePoint now = start; now < start + length; now += Clock::duration(step(rng))) {
        while (!limiter.try_acquire(now)) {
            grants.push_back(now);
        }
    }
    return grants;
}

} // namespace

BOOST_AUTO_TEST_SUITE(rate_limiter)

BOOST_AUTO_TEST_CASE(starts_full_then_says_how_long_to_wait) {
    RateLimiter limiter(10, 6); // one token of headroom below the server's 6: 5 at once
    BOOST_TEST(limiter.burst() == 5.0);
    for (int i = 0; i < 5; ++i) {
        BOOST_TEST(!limiter.try_acquire(t0).has_value());
    }
    auto const wait = limiter.try_acquire(t0);
    BOOST_REQUIRE(wait.has_value());
    BOOST_TEST(std::chrono::duration<double>(*wait).count() == 0.1, boost::test_tools::tolerance(1e-6));
    // A refusal takes nothing: asking again gives the same answer.
    BOOST_TEST((limiter.try_acquire(t0) == wait));
    BOOST_TEST(limiter.try_acquire(t0 + *wait - 1ms).has_value());
    BOOST_TEST(!limiter.try_acquire(t0 + *wait).has_value());
}

BOOST_AUTO_TEST_CASE(a_burst_below_one_still_grants) {
    RateLimiter limiter(2, 0);
    BOOST_TEST(limiter.burst() == 1.0);
    BOOST_TEST(RateLimiter(2, 1).burst() == 1.0); // no room for headroom: one at a time
    BOOST_TEST(!limiter.try_acquire(t0).has_value());
    BOOST_TEST(limiter.try_acquire(t0).has_value());
}

BOOST_AUTO_TEST_CASE(rejects_a_rate_that_is_not_positive) {
    BOOST_CHECK_THROW(RateLimiter(0, 5), std::invalid_argument);
    BOOST_CHECK_THROW(RateLimiter(-1, 5), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(no_second_holds_more_than_rate_plus_burst) {
    struct Case {
        double rate;
        double burst;
        Clock::duration max_step;
    };
    for (Case const c : {Case{10, 5, 3ms}, Case{7.3, 2.5, 1ms}, Case{50, 50, 200us}, Case{0.5, 1, 50ms},
                         Case{200, 1, 100us}}) {
        RateLimiter limiter(c.rate, c.burst);
        auto const grants = greedy(limiter, t0, 30s, c.max_step, 42);
        auto const bound = static_cast<std::size_t>(std::floor(c.rate + c.burst + 1e-9));
        BOOST_TEST_CONTEXT("rate " << c.rate << " burst " << c.burst) {
            BOOST_TEST(max_per_second(grants) <= bound);
            // And it is not needlessly slow: the whole run gets the rate. (A bucket of one token
            // loses what accrues between a token becoming free and the next request.)
            BOOST_TEST(static_cast<double>(grants.size()) >= c.rate * 29.9 * 0.98);
        }
    }
}

BOOST_AUTO_TEST_CASE(throttles_and_recoveries_never_break_the_configured_bound) {
    RateLimiter limiter(20, 10);
    std::mt19937_64 rng(7);
    std::vector<TimePoint> grants;
    TimePoint now = t0;
    for (int step = 0; step < 60'000; ++step) {
        now += Clock::duration(std::uniform_int_distribution<Clock::rep>(0, 1'000'000)(rng));
        while (!limiter.try_acquire(now)) {
            grants.push_back(now);
            if (std::bernoulli_distribution(0.01)(rng)) {
                limiter.on_throttled(now, std::nullopt);
            } else {
                limiter.on_success(now);
            }
        }
    }
    BOOST_TEST(max_per_second(grants) <= 30u);
    BOOST_TEST(limiter.current_rate() <= 20.0);
}

BOOST_AUTO_TEST_CASE(a_throttle_halves_the_rate_once_per_spacing_down_to_the_floor) {
    RateLimiter limiter(10, 5);
    limiter.on_throttled(t0, std::nullopt);
    BOOST_TEST(limiter.current_rate() == 5.0);
    // The rest of a storm: answers to requests sent before the first 429 was seen.
    limiter.on_throttled(t0 + 10ms, std::nullopt);
    limiter.on_throttled(t0 + 999ms, std::nullopt);
    BOOST_TEST(limiter.current_rate() == 5.0);
    limiter.on_throttled(t0 + 1s, std::nullopt);
    BOOST_TEST(limiter.current_rate() == 2.5);
    for (int i = 2; i < 20; ++i) {
        limiter.on_throttled(t0 + std::chrono::seconds(i), std::nullopt);
    }
    BOOST_TEST(limiter.current_rate() == 10.0 / 32);

    RateLimiter slow(1, 1);
    for (int i = 0; i < 20; ++i) {
        slow.on_throttled(t0 + std::chrono::seconds(i), std::nullopt);
    }
    BOOST_TEST(slow.current_rate() == 0.05);
    RateLimiter slower(0.02, 1); // configured below the floor: never above the configuration
    slower.on_throttled(t0, std::nullopt);
    BOOST_TEST(slower.current_rate() == 0.02);
}

BOOST_AUTO_TEST_CASE(a_throttle_empties_the_bucket) {
    RateLimiter limiter(10, 5);
    BOOST_TEST(!limiter.try_acquire(t0).has_value());
    limiter.on_throttled(t0, std::nullopt);
    auto const wait = limiter.try_acquire(t0);
    BOOST_REQUIRE(wait.has_value());
    BOOST_TEST(std::chrono::duration<double>(*wait).count() == 0.2, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(retry_after_holds_every_token_until_then) {
    RateLimiter limiter(10, 5);
    limiter.on_throttled(t0, 30s);
    BOOST_TEST((limiter.try_acquire(t0) == std::optional<Clock::duration>(30s)));
    BOOST_TEST((limiter.paused_until(t0) == std::optional<TimePoint>(t0 + 30s)));
    BOOST_TEST((limiter.try_acquire(t0 + 29s) == std::optional<Clock::duration>(1s)));
    BOOST_TEST(!limiter.try_acquire(t0 + 30s).has_value()); // one request may go right then
    BOOST_TEST(!limiter.paused_until(t0 + 30s).has_value());
    BOOST_TEST(limiter.try_acquire(t0 + 30s).has_value()); // then the halved rate
    // A shorter Retry-After does not shorten a pause under way.
    limiter.on_throttled(t0 + 31s, 60s);
    limiter.on_throttled(t0 + 32s, 5s);
    BOOST_TEST(limiter.try_acquire(t0 + 40s).has_value());
    BOOST_TEST((limiter.paused_until(t0 + 40s) == std::optional<TimePoint>(t0 + 91s)));
}

BOOST_AUTO_TEST_CASE(throttles_answering_requests_sent_before_a_pause_do_not_pause_again) {
    RateLimiter limiter(10, 5);
    limiter.on_throttled(t0, 1s);
    BOOST_TEST(limiter.current_rate() == 5.0);
    // 429s arriving within the spacing answer requests sent before the first one: the pause
    // is not pushed back and the rate is not halved again.
    limiter.on_throttled(t0 + 500ms, 1s);
    BOOST_TEST((limiter.paused_until(t0 + 500ms) == std::optional<TimePoint>(t0 + 1s)));
    BOOST_TEST(limiter.current_rate() == 5.0);
    BOOST_TEST(!limiter.try_acquire(t0 + 1s).has_value());
    // Once the spacing has passed, a 429 is news: halve and pause again.
    limiter.on_throttled(t0 + 1s + 200ms, 1s);
    BOOST_TEST((limiter.paused_until(t0 + 1s + 200ms) == std::optional<TimePoint>(t0 + 2s + 200ms)));
    BOOST_TEST(limiter.current_rate() == 2.5);
}

BOOST_AUTO_TEST_CASE(successes_bring_the_rate_back_by_time_not_by_count) {
    RateLimiter limiter(10, 5);
    limiter.on_throttled(t0, std::nullopt);
    BOOST_TEST(limiter.current_rate() == 5.0);
    for (int i = 0; i < 100; ++i) {
        limiter.on_success(t0); // many answers at once say nothing about time
    }
    BOOST_TEST(limiter.current_rate() == 5.0);
    limiter.on_success(t0 + 1s);
    BOOST_TEST(limiter.current_rate() == 6.0, boost::test_tools::tolerance(1e-9));
    limiter.on_success(t0 + 3s);
    BOOST_TEST(limiter.current_rate() == 8.0, boost::test_tools::tolerance(1e-9));
    limiter.on_success(t0 + 60s);
    BOOST_TEST(limiter.current_rate() == 10.0);
}

BOOST_AUTO_TEST_CASE(throughput_drops_after_a_throttle_and_recovers_within_seconds) {
    RateLimiter limiter(20, 1);
    auto const count_in = [&](TimePoint from, Clock::duration length) {
        std::size_t n = 0;
        for (TimePoint now = from; now < from + length; now += 1ms) {
            while (!limiter.try_acquire(now)) {
                limiter.on_success(now);
                ++n;
            }
        }
        return n;
    };
    BOOST_TEST(count_in(t0, 2s) >= 39u);
    limiter.on_throttled(t0 + 2s, std::nullopt);
    std::size_t const first_second_after = count_in(t0 + 2s, 1s);
    BOOST_TEST(first_second_after <= 13u); // ~10/s, climbing by 2/s
    BOOST_TEST(first_second_after >= 9u);
    count_in(t0 + 3s, 5s);
    BOOST_TEST(limiter.current_rate() == 20.0);
    std::size_t const later = count_in(t0 + 8s, 1s);
    BOOST_TEST(later >= 19u);
    BOOST_TEST(later <= 21u);
}

BOOST_AUTO_TEST_SUITE_END()
