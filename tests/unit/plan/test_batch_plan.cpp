#include "evobatch/api/pricing.hpp"
#include "evobatch/plan/batch_plan.hpp"

#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <vector>

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
    BOOST_TEST(p.jobs_within_ceiling == 60u);
}

BOOST_AUTO_TEST_CASE(the_ceiling_caps_what_can_be_reserved) {
    auto m = with_jobs(100);
    m.limits.max_credits = 500;
    auto const p = plan::plan_batch(m);
    BOOST_TEST(p.credits_worst_case == 1500);
    BOOST_TEST(p.credits_at_most == 500);
    BOOST_TEST(p.jobs_within_ceiling == 33u);
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

// plan --probe: one predicted cost per job to submit.
namespace {

using plan::JobCost;

plan::BatchPlan with_costs(std::int64_t ceiling, std::vector<JobCost> const& costs,
                           plan::LedgerCounts const& ledger = {}) {
    auto m = with_jobs(costs.size());
    m.limits.max_credits = ceiling;
    return plan::plan_batch(m, ledger, costs);
}

} // namespace

BOOST_AUTO_TEST_CASE(without_costs_every_job_counts_at_the_most) {
    auto m = with_jobs(4);
    m.limits.max_credits = 1000;
    auto const p = plan::plan_batch(m);
    BOOST_TEST(!p.probed);
    BOOST_TEST(p.jobs_unprobed == 4u);
    BOOST_TEST(p.jobs_exact == 0u);
    BOOST_TEST(p.credits_exact == 0);
    BOOST_TEST(p.credits_expected == 60);
    BOOST_TEST(p.credits_worst_case == 60);
    BOOST_TEST(p.credits_to_cover == 60);
    // The same figures when every cost is given as unknown.
    auto const q = with_costs(1000, std::vector<JobCost>(4, JobCost::unknown()));
    BOOST_TEST(q.probed);
    BOOST_TEST(q.credits_expected == p.credits_expected);
    BOOST_TEST(q.credits_at_most == p.credits_at_most);
    BOOST_TEST(q.jobs_within_ceiling == p.jobs_within_ceiling);
}

BOOST_AUTO_TEST_CASE(exact_costs_rejected_and_unknown_are_summed_apart) {
    auto const p = with_costs(1000, {JobCost::exact(7), JobCost::rejected(), JobCost::exact(5), JobCost::unknown(),
                                     JobCost::exact(15)});
    BOOST_TEST(p.to_submit == 5u);
    BOOST_TEST(p.jobs_exact == 3u);
    BOOST_TEST(p.jobs_rejected == 1u);
    BOOST_TEST(p.jobs_unprobed == 1u);
    BOOST_TEST(p.credits_exact == 27);
    BOOST_TEST(p.credits_expected == 27 + 15);
    BOOST_TEST(p.credits_at_most == 42);
    BOOST_TEST(p.credits_to_cover == 42);
    BOOST_TEST(p.jobs_within_ceiling == 5u);
    // A rejected job is never sent: no create, no task to poll, not in the worst case.
    BOOST_TEST(p.create_requests == 4u);
    BOOST_TEST(p.credits_worst_case == 60);
    BOOST_TEST(p.submit_time.count() == plan::plan_batch(with_jobs(4)).submit_time.count());
}

BOOST_AUTO_TEST_CASE(the_ceiling_admits_jobs_in_order_at_their_own_cost) {
    // 5 + 5 + 0 + 15 + 7 = 32 fits 32; the 7 after it does not, nor anything after that, even
    // the cheap last one: the run submits in manifest order and stops at the first that does
    // not fit.
    std::vector<JobCost> const costs{JobCost::exact(5), JobCost::exact(5),  JobCost::rejected(),
                                     JobCost::unknown(), JobCost::exact(7), JobCost::exact(7),
                                     JobCost::exact(5)};
    auto const p = with_costs(32, costs);
    BOOST_TEST(p.jobs_within_ceiling == 5u);
    BOOST_TEST(p.credits_within_ceiling == 32);
    BOOST_TEST(p.credits_expected == 44);
    BOOST_TEST(p.credits_at_most == 32);
    BOOST_TEST(p.credits_to_cover == 44);
    // At the most a task costs, the same ceiling surely covers only two tasks.
    auto const worst = plan::plan_batch([] {
        auto m = with_jobs(7);
        m.limits.max_credits = 32;
        return m;
    }());
    BOOST_TEST(worst.jobs_within_ceiling == 2u);
    // One credit less and the fifth job no longer fits.
    BOOST_TEST(with_costs(31, costs).jobs_within_ceiling == 4u);
    BOOST_TEST(with_costs(31, costs).credits_within_ceiling == 25);
}

BOOST_AUTO_TEST_CASE(a_ceiling_of_cheap_jobs_admits_more_than_the_worst_case_would) {
    // 100 clips of 4 s (billed as 6 s: 5 credits) under 500: all of them, not 33.
    auto const p = with_costs(500, std::vector<JobCost>(100, JobCost::exact(5)));
    BOOST_TEST(p.jobs_within_ceiling == 100u);
    BOOST_TEST(p.credits_at_most == 500);
    BOOST_TEST(p.credits_exact == 500);
}

BOOST_AUTO_TEST_CASE(credits_carried_by_the_ledger_shrink_the_room) {
    plan::LedgerCounts ledger;
    ledger.credits_carried = 20;
    std::vector<JobCost> const costs{JobCost::exact(7), JobCost::exact(7), JobCost::exact(7)};
    auto const p = with_costs(35, costs, ledger);
    BOOST_TEST(p.jobs_within_ceiling == 2u); // 15 left: 7 + 7
    BOOST_TEST(p.credits_within_ceiling == 14);
    BOOST_TEST(p.credits_at_most == 15);
    BOOST_TEST(p.credits_to_cover == 20 + 21);
    // A ledger already over the ceiling leaves room for rejected jobs only.
    ledger.credits_carried = 50;
    auto const over = with_costs(35, {JobCost::rejected(), JobCost::exact(5), JobCost::rejected()}, ledger);
    BOOST_TEST(over.jobs_within_ceiling == 1u);
    BOOST_TEST(over.credits_at_most == 0);
}

BOOST_AUTO_TEST_CASE(the_costs_follow_the_jobs_to_submit_only) {
    // limits.max_credits is at least 1 (the manifest refuses 0: there is no "unlimited"); a
    // plan given 0 anyway admits only what costs nothing.
    auto const zero = with_costs(0, {JobCost::rejected(), JobCost::exact(5)});
    BOOST_TEST(zero.jobs_within_ceiling == 1u);
    BOOST_TEST(zero.credits_at_most == 0);
    // Jobs the ledger settled get no cost; a list of another length is a caller's bug.
    auto m = with_jobs(3);
    plan::LedgerCounts ledger;
    ledger.done = 1;
    std::vector<JobCost> const two{JobCost::exact(5), JobCost::exact(7)};
    BOOST_TEST(plan::plan_batch(m, ledger, two).credits_expected == 12);
    std::vector<JobCost> const three(3, JobCost::exact(5));
    BOOST_CHECK_THROW(plan::plan_batch(m, ledger, three), std::invalid_argument);
    BOOST_TEST(JobCost::unknown().counted() == api::k_max_credits_per_task);
    BOOST_TEST(JobCost::rejected().counted() == 0);
}

BOOST_AUTO_TEST_CASE(jobs_an_earlier_probe_rejected_are_not_sent_with_probing_off) {
    // Probing off: the ledger's rejection stands, and they are no creates. Probing on, they are
    // among the jobs to submit (probed again first), as the ledger counts them apart.
    auto m = with_jobs(4);
    plan::LedgerCounts ledger;
    ledger.done = 1;
    ledger.rejected = 2;
    auto const off = plan::plan_batch(m, ledger);
    BOOST_TEST(off.to_submit == 1u);
    BOOST_TEST(off.create_requests == 1u);
    BOOST_TEST(off.credits_worst_case == api::k_max_credits_per_task);
    ledger.rejected = 0;
    ledger.reprobe = 2;
    BOOST_TEST(plan::plan_batch(m, ledger).to_submit == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
