#include "evobatch/api/pricing.hpp"
#include "evobatch/plan/batch_plan.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch;

namespace {

manifest::Manifest with_jobs(std::size_t n) {
    manifest::Manifest m;
    m.jobs.resize(n);
    return m;
}

} // namespace

BOOST_AUTO_TEST_SUITE(batch_plan)

BOOST_AUTO_TEST_CASE(pricing_matches_the_documented_example_and_clamps) {
    BOOST_TEST(api::credits_for_duration(9) == 7);
    BOOST_TEST(api::credits_for_duration(1) == api::credits_for_duration(6));
    BOOST_TEST(api::credits_for_duration(60) == api::credits_for_duration(20));
    BOOST_TEST(api::k_max_credits_per_task == 15);
}

BOOST_AUTO_TEST_CASE(counts_requests_and_worst_case_credits) {
    auto m = with_jobs(60);
    m.limits.max_credits = 1000;
    auto const p = plan::plan_batch(m);
    BOOST_TEST(p.to_submit == 60u);
    BOOST_TEST(p.create_requests == 60u);
    BOOST_TEST(p.status_reads_batched == 12u);
    BOOST_TEST(p.status_reads_single == 180u);
    BOOST_TEST(p.credits_worst_case == 900);
    BOOST_TEST(p.credits_at_most == 900);
    BOOST_TEST(p.jobs_surely_within_ceiling == 60u);
}

BOOST_AUTO_TEST_CASE(the_ceiling_caps_what_can_be_reserved) {
    auto m = with_jobs(100);
    m.limits.max_credits = 500;
    auto const p = plan::plan_batch(m);
    BOOST_TEST(p.credits_worst_case == 1500);
    BOOST_TEST(p.credits_at_most == 500);
    BOOST_TEST(p.jobs_surely_within_ceiling == 33u);
}

BOOST_AUTO_TEST_CASE(time_follows_the_tighter_of_rate_and_in_flight) {
    auto m = with_jobs(60);
    m.limits.max_in_flight = 20;
    m.limits.requests_per_second = 5;
    // 3 waves of 20 tasks, 300 s each, beat 72 requests at 5/s plus one task time.
    BOOST_TEST(plan::plan_batch(m).estimated_time.count() == 900);
    BOOST_TEST(plan::plan_batch(m).submit_time.count() == 12);
    m.limits.max_in_flight = 10'000;
    m.limits.requests_per_second = 0.5;
    // Now the rate binds: 72 requests at 0.5/s, then the last task's 300 s.
    BOOST_TEST(plan::plan_batch(m).estimated_time.count() == 144 + 300);
}

BOOST_AUTO_TEST_CASE(an_empty_plan_costs_nothing) {
    auto const p = plan::plan_batch(with_jobs(0));
    BOOST_TEST(p.credits_at_most == 0);
    BOOST_TEST(p.estimated_time.count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
