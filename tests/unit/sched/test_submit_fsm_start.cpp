// SubmitFsm before its first send (states start and writing): a stop at the start, the
// write-ahead before the send, and the key-trust span a first send sets or a resumed key keeps.

#include "unit/sched/submit_fsm_support.hpp"

using namespace submit_fsm_test;

BOOST_AUTO_TEST_SUITE(submit_fsm)

BOOST_AUTO_TEST_CASE(start_stopped_leaves_the_job_unsubmitted_and_releases) {
    Backoff backoff = make_backoff();
    SubmitFsm fsm(resumed_options(t0 + 1h), backoff);
    SubmitAction const a = fsm.resume(SubmitStarted{}, t0, true);
    BOOST_TEST(a.step == SubmitStep::unsubmitted);
    BOOST_TEST(a.budget == BudgetEffect::release); // nothing was sent in this run
    BOOST_TEST(a.breaker == BreakerSignal::none);
    BOOST_TEST(fsm.state() == SubmitState::finished);
}

BOOST_AUTO_TEST_CASE(the_write_ahead_comes_before_the_send_and_a_failed_write_releases) {
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    BOOST_TEST(fsm.state() == SubmitState::start);
    BOOST_TEST(fsm.resume(SubmitStarted{}, t0, false).step == SubmitStep::write_submitting);
    BOOST_TEST(fsm.state() == SubmitState::writing);
    SubmitAction const a = fsm.resume(SubmittingWritten{false}, t0, false);
    BOOST_TEST(a.step == SubmitStep::unsubmitted);
    BOOST_TEST(a.budget == BudgetEffect::release);
    BOOST_TEST(a.note.empty());
}

BOOST_AUTO_TEST_CASE(key_trust_starts_at_the_first_send_of_a_new_key) {
    Backoff backoff = make_backoff();
    SubmitFsm::Options o = fresh_options();
    o.key_trusted_until = t0 - 1h; // a stale value of an earlier attempt's key: a new key is trusted anew
    SubmitFsm fsm(o, backoff);
    to_first_send(fsm, t0);
    BOOST_TEST((fsm.key_trusted_until() == std::optional<TimePoint>(t0 + k_span)));
    BOOST_TEST(jobs::key_trust_span(k_window) == k_span);
}

BOOST_AUTO_TEST_CASE(a_resumed_key_keeps_its_trust_or_counts_from_now_when_sent_on_request) {
    {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(resumed_options(t0 + 5min), backoff);
        to_first_send(fsm, t0);
        BOOST_TEST((fsm.key_trusted_until() == std::optional<TimePoint>(t0 + 5min)));
    }
    {
        // --resubmit-uncertain (forced), or an `unsent` key: no trust carried, counted from now.
        Backoff backoff = make_backoff();
        SubmitFsm fsm(resumed_options(std::nullopt), backoff);
        to_first_send(fsm, t0);
        BOOST_TEST((fsm.key_trusted_until() == std::optional<TimePoint>(t0 + k_span)));
    }
}

BOOST_AUTO_TEST_CASE(a_resumed_key_past_its_trust_is_uncertain_before_anything_is_written) {
    // The edge: trusted strictly before key_trusted_until.
    {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(resumed_options(t0), backoff);
        SubmitAction const a = fsm.resume(SubmitStarted{}, t0, false);
        BOOST_TEST(a.step == SubmitStep::uncertain);
        BOOST_TEST(a.budget == BudgetEffect::keep);
        BOOST_TEST(a.error.code == "key_window_passed");
        BOOST_TEST(a.error.message.find("15m") != std::string::npos);
        BOOST_TEST(a.request_id.empty());
    }
    {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(resumed_options(t0 + 1ns), backoff);
        BOOST_TEST(fsm.resume(SubmitStarted{}, t0, false).step == SubmitStep::write_submitting);
    }
    {
        // A key that may not have made a task (an `unsent` one) is sent whatever its age.
        Backoff backoff = make_backoff();
        SubmitFsm::Options o = resumed_options(t0 - 1h);
        o.may_have_task = false;
        SubmitFsm fsm(o, backoff);
        BOOST_TEST(fsm.resume(SubmitStarted{}, t0, false).step == SubmitStep::write_submitting);
    }
}

BOOST_AUTO_TEST_SUITE_END()
