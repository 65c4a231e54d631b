// SubmitFsm between attempts (state backing_off): not-sent answers and server errors retried with
// backoff up to their caps, 429's Retry-After, and a stop during the wait, each cause its own way.

#include "unit/sched/submit_fsm_support.hpp"

using namespace submit_fsm_test;

BOOST_AUTO_TEST_SUITE(submit_fsm)

BOOST_AUTO_TEST_CASE(not_sent_is_retried_with_backoff_up_to_its_cap) {
    for (bool const may_have_task : {false, true}) {
        BOOST_TEST_CONTEXT("may_have_task " << may_have_task) {
            Backoff twin = make_backoff(); // draws the same waits
            Backoff backoff = make_backoff();
            SubmitFsm::Options o = may_have_task ? resumed_options(t0 + 1h) : fresh_options();
            SubmitFsm fsm(o, backoff);
            to_first_send(fsm, t0);
            TimePoint now = t0;
            for (int i = 1; i < 8; ++i) {
                SubmitAction const a = fsm.resume(not_sent(), now, false);
                BOOST_TEST_REQUIRE(a.step == SubmitStep::sleep_until);
                BOOST_TEST((a.until == now + twin.next(i)));
                BOOST_TEST(a.until <= now + twin.ceiling(i));
                BOOST_TEST(a.breaker == BreakerSignal::failure);
                BOOST_TEST(fsm.backoff_cause() == BackoffCause::not_sent);
                BOOST_TEST(fsm.not_sent_count() == i);
                now = a.until;
                BOOST_TEST(fsm.resume(WokeUp{}, now, false).step == SubmitStep::acquire_token);
                BOOST_TEST(fsm.resume(TokenAcquired{}, now, false).step == SubmitStep::send);
            }
            SubmitAction const a = fsm.resume(not_sent(), now, false);
            BOOST_TEST(a.step == (may_have_task ? SubmitStep::unsubmitted : SubmitStep::unsent));
            BOOST_TEST(a.budget == (may_have_task ? BudgetEffect::keep : BudgetEffect::release));
            BOOST_TEST(a.error.code == "not_sent");
            BOOST_TEST(a.error.message == "could not reach the API: connection refused");
            BOOST_TEST(a.note == "could not reach the API: connection refused");
        }
    }
}

BOOST_AUTO_TEST_CASE(server_errors_are_retried_with_backoff_up_to_their_cap) {
    Backoff twin = make_backoff();
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    TimePoint now = t0;
    for (int i = 1; i < 8; ++i) {
        SubmitAction const a = fsm.resume(refused(500 + i), now, false);
        BOOST_TEST_REQUIRE(a.step == SubmitStep::sleep_until);
        BOOST_TEST((a.until == now + twin.next(i)));
        BOOST_TEST(fsm.server_error_count() == i);
        BOOST_TEST(fsm.backoff_cause() == BackoffCause::server_error);
        now = a.until;
        BOOST_TEST(fsm.resume(WokeUp{}, now, false).step == SubmitStep::acquire_token);
        BOOST_TEST(fsm.resume(TokenAcquired{}, now, false).step == SubmitStep::send);
    }
    SubmitAction const a = fsm.resume(refused(500), now, false);
    BOOST_TEST(a.step == SubmitStep::unsubmitted); // left for the next run, which resends the key
    BOOST_TEST(a.budget == BudgetEffect::keep);   // the 5xx may have made a task
    BOOST_TEST(!a.note.empty());
}

BOOST_AUTO_TEST_CASE(a_429_honours_retry_after_and_does_not_count_as_a_server_error) {
    Backoff twin = make_backoff();
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    SubmitAction a = fsm.resume(refused(429, 7s), t0, false);
    BOOST_TEST(a.step == SubmitStep::sleep_until);
    BOOST_TEST((a.until == t0 + 7s));
    BOOST_TEST(a.limiter == LimiterSignal::throttled);
    BOOST_TEST((a.retry_after == std::optional<std::chrono::seconds>(7s)));
    BOOST_TEST(fsm.backoff_cause() == BackoffCause::rate_limited);
    BOOST_TEST(fsm.resume(WokeUp{}, t0 + 7s, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, t0 + 7s, false).step == SubmitStep::send);
    // No Retry-After: a backoff wait one step past the server errors so far.
    a = fsm.resume(refused(429), t0 + 7s, false);
    BOOST_TEST((a.until == t0 + 7s + twin.next(1)));
    BOOST_TEST(!a.retry_after.has_value());
    BOOST_TEST(fsm.resume(WokeUp{}, a.until, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, a.until, false).step == SubmitStep::send);
    TimePoint now = a.until;
    a = fsm.resume(refused(503), now, false);
    BOOST_TEST((a.until == now + twin.next(1)));
    now = a.until;
    BOOST_TEST(fsm.resume(WokeUp{}, now, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, now, false).step == SubmitStep::send);
    a = fsm.resume(refused(429), now, false);
    BOOST_TEST((a.until == now + twin.next(2)));
    BOOST_TEST(fsm.server_error_count() == 1);
    // Many 429s never reach a cap.
    for (int i = 0; i < 20; ++i) {
        BOOST_TEST(fsm.resume(WokeUp{}, now, false).step == SubmitStep::acquire_token);
        BOOST_TEST(fsm.resume(TokenAcquired{}, now, false).step == SubmitStep::send);
        BOOST_TEST(fsm.resume(refused(429, 1s), now, false).step == SubmitStep::sleep_until);
    }
}

BOOST_AUTO_TEST_CASE(stopped_during_a_backoff_each_cause_ends_its_own_way) {
    struct Case {
        CreateOutcome cause;
        bool may_have_task;
        SubmitStep step;
        BudgetEffect budget;
        char const* code;
    };
    Case const cases[] = {
        {not_sent(), false, SubmitStep::unsent, BudgetEffect::release, "not_sent"},
        {not_sent(), true, SubmitStep::unsubmitted, BudgetEffect::keep, "not_sent"},
        {refused(429), false, SubmitStep::unsent, BudgetEffect::release, "rate_limited"},
        {refused(429), true, SubmitStep::unsubmitted, BudgetEffect::keep, "rate_limited"},
        {refused(503), false, SubmitStep::unsubmitted, BudgetEffect::keep, ""},
        {refused(503), true, SubmitStep::unsubmitted, BudgetEffect::keep, ""},
    };
    for (Case const& c : cases) {
        BOOST_TEST_CONTEXT("code " << c.code << ", may_have_task " << c.may_have_task) {
            Backoff backoff = make_backoff();
            SubmitFsm fsm(c.may_have_task ? resumed_options(t0 + 1h) : fresh_options(), backoff);
            to_first_send(fsm, t0);
            BOOST_TEST_REQUIRE(fsm.resume(c.cause, t0, false).step == SubmitStep::sleep_until);
            SubmitAction const a = fsm.resume(WokeUp{}, t0 + 1s, true);
            BOOST_TEST(a.step == c.step);
            BOOST_TEST(a.budget == c.budget);
            BOOST_TEST(a.note.empty()); // a stop is the run's to explain
            BOOST_TEST(a.breaker == BreakerSignal::none);
            if (a.step == SubmitStep::unsent) {
                BOOST_TEST(a.error.code == c.code);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_5xx_makes_a_later_not_sent_end_keep_the_reservation) {
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    BOOST_TEST(fsm.resume(refused(502), t0, false).step == SubmitStep::sleep_until);
    BOOST_TEST(fsm.resume(WokeUp{}, t0 + 1s, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, t0 + 1s, false).step == SubmitStep::send);
    SubmitAction const a = fsm.resume(not_sent(), t0 + 1s, true);
    BOOST_TEST(a.step == SubmitStep::unsubmitted);
    BOOST_TEST(a.budget == BudgetEffect::keep);
}

BOOST_AUTO_TEST_SUITE_END()
