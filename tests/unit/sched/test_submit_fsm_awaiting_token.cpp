// SubmitFsm waiting for a rate token before its same-key resend (state awaiting_token): the key
// is checked once the token comes.

#include "unit/sched/submit_fsm_support.hpp"

using namespace submit_fsm_test;

BOOST_AUTO_TEST_SUITE(submit_fsm)

BOOST_AUTO_TEST_CASE(a_resend_checks_the_key_after_the_wait_for_its_token) {
    // No answer at t0 + 1 min: the resend may go. The token comes at the span's edge.
    for (auto const& [token_at, step] : {std::pair{t0 + k_span - 1ns, SubmitStep::send},
                                        std::pair{t0 + k_span, SubmitStep::uncertain},
                                        std::pair{t0 + k_span + 1s, SubmitStep::uncertain}}) {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(fresh_options(), backoff);
        to_first_send(fsm, t0);
        BOOST_TEST(fsm.resume(no_answer(), t0 + 1min, false).step == SubmitStep::acquire_token);
        BOOST_TEST(fsm.state() == SubmitState::awaiting_token);
        BOOST_TEST(fsm.resent_same_key());
        SubmitAction const a = fsm.resume(TokenAcquired{}, token_at, false);
        BOOST_TEST(a.step == step);
        if (a.step == SubmitStep::uncertain) {
            BOOST_TEST(a.error.code == "key_window_passed");
            BOOST_TEST(a.budget == BudgetEffect::keep);
        }
    }
    // A key that cannot have made a task is sent after any wait (not sent, then a late token).
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    BOOST_TEST(fsm.resume(not_sent(), t0, false).step == SubmitStep::sleep_until);
    BOOST_TEST(fsm.resume(WokeUp{}, t0 + 1s, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, t0 + 2h, false).step == SubmitStep::send);
}

BOOST_AUTO_TEST_SUITE_END()
