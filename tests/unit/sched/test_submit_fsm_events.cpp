// SubmitFsm in every state: an event the last action did not ask for is a bug.

#include "unit/sched/submit_fsm_support.hpp"

using namespace submit_fsm_test;

BOOST_AUTO_TEST_SUITE(submit_fsm)

BOOST_AUTO_TEST_CASE(an_event_the_last_action_did_not_ask_for_is_a_bug) {
    // In each state, only its own event is accepted.
    auto const events = [] {
        return std::vector<SubmitEvent>{SubmitStarted{}, SubmittingWritten{true}, TokenAcquired{}, WokeUp{},
                                        SubmitEvent{created()}};
    };
    auto const accepted_in = [](SubmitState s) -> std::size_t {
        switch (s) {
        case SubmitState::start: return 0;
        case SubmitState::writing: return 1;
        case SubmitState::awaiting_token: return 2;
        case SubmitState::backing_off: return 3;
        case SubmitState::sending: return 4;
        case SubmitState::finished: return 99;
        }
        return 99;
    };
    // One machine per state, reached the ordinary way.
    auto const machine_in = [](SubmitState s, Backoff& backoff) {
        SubmitFsm fsm(fresh_options(), backoff);
        if (s == SubmitState::start) {
            return fsm;
        }
        fsm.resume(SubmitStarted{}, t0, false);
        if (s == SubmitState::writing) {
            return fsm;
        }
        fsm.resume(SubmittingWritten{true}, t0, false);
        if (s == SubmitState::sending) {
            return fsm;
        }
        if (s == SubmitState::awaiting_token) {
            fsm.resume(no_answer(), t0, false);
        } else if (s == SubmitState::backing_off) {
            fsm.resume(not_sent(), t0, false);
        } else {
            fsm.resume(refused(400), t0, false);
        }
        return fsm;
    };
    for (SubmitState const s : {SubmitState::start, SubmitState::writing, SubmitState::sending,
                                SubmitState::awaiting_token, SubmitState::backing_off, SubmitState::finished}) {
        auto evs = events();
        for (std::size_t i = 0; i < evs.size(); ++i) {
            BOOST_TEST_CONTEXT("state " << s << ", event " << i) {
                Backoff backoff = make_backoff();
                SubmitFsm fsm = machine_in(s, backoff);
                BOOST_TEST_REQUIRE(fsm.state() == s);
                if (i == accepted_in(s)) {
                    BOOST_CHECK_NO_THROW(fsm.resume(std::move(evs[i]), t0, false));
                } else {
                    BOOST_CHECK_THROW(fsm.resume(std::move(evs[i]), t0, false), std::logic_error);
                    BOOST_TEST(fsm.state() == s); // refused without a change
                }
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
