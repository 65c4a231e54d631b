// The one definition of what a batch's tasks cost (jobs/credits.hpp), over every attempt.

#include "evobatch/ledger/replay.hpp"
#include "evobatch/jobs/credits.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch;
using ledger::JobPhase;

namespace {

ledger::Attempt attempt(JobPhase phase, std::int64_t credits) {
    ledger::Attempt a;
    a.phase = phase;
    a.credits = credits;
    a.key = "evb-key";
    return a;
}

} // namespace

BOOST_AUTO_TEST_SUITE(credits)

BOOST_AUTO_TEST_CASE(each_phase_counts_once_where_it_belongs) {
    BOOST_TEST(jobs::credits_of(attempt(JobPhase::completed, 7)).charged == 7);
    BOOST_TEST(jobs::credits_of(attempt(JobPhase::running, 9)).reserved == 9);
    BOOST_TEST(jobs::credits_of(attempt(JobPhase::failed, 11)).refunded == 11);
    // A task the server stopped knowing (404) may have been charged: at risk, not refunded.
    auto forgotten = attempt(JobPhase::failed, 11);
    forgotten.error = ledger::EventError{"task_not_found", "404"};
    BOOST_TEST(jobs::credits_of(forgotten).refunded == 0);
    BOOST_TEST(jobs::credits_of(forgotten).at_risk == 11);
    for (JobPhase const maybe : {JobPhase::submitting, JobPhase::uncertain}) {
        auto const t = jobs::credits_of(attempt(maybe, 0));
        BOOST_TEST(t.at_risk == 15); // it may exist and cost the most a task costs
        BOOST_TEST(t.at_risk_count == 1u);
    }
    BOOST_TEST((jobs::credits_of(attempt(JobPhase::unsent, 0)) == jobs::CreditTotals{}));
    // Refunds came back: the ceiling bounds what is charged, held, or may be.
    jobs::CreditTotals t;
    t.charged = 100;
    t.reserved = 20;
    t.refunded = 50;
    t.at_risk = 15;
    BOOST_TEST(t.against_ceiling() == 135);
}

BOOST_AUTO_TEST_CASE(a_job_counts_its_earlier_attempts_and_requests) {
    ledger::JobHistory h;
    h.earlier.push_back(attempt(JobPhase::failed, 12));   // a failed first attempt
    h.earlier.push_back(attempt(JobPhase::completed, 8)); // its request's result, before the manifest changed
    static_cast<ledger::Attempt&>(h) = attempt(JobPhase::running, 10);
    auto const t = jobs::credits_of(h);
    BOOST_TEST(t.charged == 8);
    BOOST_TEST(t.reserved == 10);
    BOOST_TEST(t.refunded == 12);
    // A current attempt that never went out (no key, no task) counts nothing.
    ledger::JobHistory stray;
    stray.phase = JobPhase::submitting;
    BOOST_TEST((jobs::credits_of(stray) == jobs::CreditTotals{}));
}

BOOST_AUTO_TEST_CASE(words_and_money) {
    jobs::CreditTotals t;
    t.charged = 572;
    t.refunded = 61;
    BOOST_TEST(jobs::credits_text(t) == "572 charged, 0 reserved now, 61 refunded");
    t.at_risk = 30;
    t.at_risk_count = 2;
    BOOST_TEST(jobs::credits_text(t) ==
               "572 charged, 0 reserved now, 61 refunded, up to 30 at risk (2 creates or tasks of unknown outcome)");
    BOOST_TEST(jobs::usd_text(572, 68) == "~$8.41");
    BOOST_TEST(jobs::usd_text(572, 0).empty());
}

BOOST_AUTO_TEST_SUITE_END()
