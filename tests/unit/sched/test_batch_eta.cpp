#include "evobatch/sched/batch_eta.hpp"

#include <boost/test/unit_test.hpp>

#include <vector>

using namespace evobatch::sched;
using namespace std::chrono_literals;

namespace {

TimePoint const t0 = TimePoint{} + 1000h;

// A task submitted `ago` before now, with its estimate and no progress seen yet.
RunningTask started(Clock::duration ago, std::chrono::seconds estimate) {
    return RunningTask{t0 - ago, estimate, 0, {}};
}

std::chrono::seconds eta_s(std::optional<std::chrono::seconds> eta) {
    BOOST_REQUIRE(eta.has_value());
    return *eta;
}

} // namespace

BOOST_AUTO_TEST_SUITE(batch_eta)

BOOST_AUTO_TEST_CASE(nothing_left_is_zero_and_nothing_known_is_nothing) {
    BOOST_TEST(eta_s(BatchEta::estimate({}, 0, 10, 5, t0)).count() == 0);
    BOOST_TEST(!BatchEta::estimate({}, 10, 10, 5, t0).has_value());
    std::vector<RunningTask> const unknown{started(10s, 0s)};
    BOOST_TEST(!BatchEta::estimate(unknown, 3, 10, 5, t0).has_value());
    // What finished tasks took stands in until a running task has an estimate.
    BOOST_TEST(eta_s(BatchEta::estimate({}, 1, 10, 0, t0, 200s)).count() == 200);
}

BOOST_AUTO_TEST_CASE(a_running_task_without_progress_needs_the_rest_of_its_estimate) {
    std::vector<RunningTask> const running{started(100s, 300s)};
    BOOST_TEST(eta_s(BatchEta::estimate(running, 0, 10, 5, t0)).count() == 200);
    std::vector<RunningTask> const late{started(400s, 300s)}; // past its estimate: a few seconds
    BOOST_TEST(eta_s(BatchEta::estimate(late, 0, 10, 5, t0)) == BatchEta::k_min_remaining);
}

BOOST_AUTO_TEST_CASE(progress_gives_the_rate) {
    // 50% after 60 s, seen 10 s ago: 60 s for the rest from then, 50 s from now.
    std::vector<RunningTask> const running{{t0 - 70s, 300s, 50, t0 - 10s}};
    BOOST_TEST(eta_s(BatchEta::estimate(running, 0, 10, 5, t0)).count() == 50);
    // The slowest task decides.
    std::vector<RunningTask> const two{{t0 - 70s, 300s, 50, t0 - 10s}, started(100s, 300s)};
    BOOST_TEST(eta_s(BatchEta::estimate(two, 0, 10, 5, t0)).count() == 200);
}

BOOST_AUTO_TEST_CASE(the_queue_runs_in_waves_of_the_in_flight_cap) {
    // Nothing running, 4 queued, 2 slots, 100 s each: two waves.
    BOOST_TEST(eta_s(BatchEta::estimate({}, 4, 2, 0, t0, 100s)).count() == 200);
    BOOST_TEST(eta_s(BatchEta::estimate({}, 5, 2, 0, t0, 100s)).count() == 300);
    // Two running tasks free their slots after 50 and 80 s; two queued follow, each 100 s.
    std::vector<RunningTask> const running{started(50s, 100s), started(20s, 100s)};
    BOOST_TEST(eta_s(BatchEta::estimate(running, 2, 2, 0, t0)).count() == 180);
    // With a spare slot the first queued job starts at once.
    BOOST_TEST(eta_s(BatchEta::estimate(running, 1, 3, 0, t0)).count() == 100);
}

BOOST_AUTO_TEST_CASE(the_queue_cannot_start_faster_than_the_submit_rate) {
    // 100 queued, room for all, 1 create a second: the last starts after 99 s.
    BOOST_TEST(eta_s(BatchEta::estimate({}, 100, 1000, 1, t0, 60s)).count() == 159);
    // Without a rate limit they all start now.
    BOOST_TEST(eta_s(BatchEta::estimate({}, 100, 1000, 0, t0, 60s)).count() == 60);
}

BOOST_AUTO_TEST_CASE(more_running_than_slots_frees_slots_only_below_the_cap) {
    // The cap was lowered to 2 with 3 running (10, 20, 30 s left): the queued job takes the slot
    // freed at 20 s.
    std::vector<RunningTask> const running{started(90s, 100s), started(80s, 100s), started(70s, 100s)};
    BOOST_TEST(eta_s(BatchEta::estimate(running, 1, 2, 0, t0)).count() == 120);
}

BOOST_AUTO_TEST_SUITE_END()
