// The batch run end to end, resumed: keys the server may have forgotten, new attempts' keys, a
// key refused while tasks run, tasks the server does not know, odd and unusable task ids.

#include "integration/sched/batch_fixture.hpp"

#include "evobatch/cli/exit_code.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/sim/file_content.hpp"
#include "evobatch/jobs/task_errors.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <set>

using namespace evobatch;
namespace bdata = boost::unit_test::data;
using evobatch::test::BatchOptions;
using evobatch::test::count_events;
using evobatch::test::run_batch;
using ledger::EventType;

BOOST_AUTO_TEST_SUITE(scheduler)

BOOST_AUTO_TEST_CASE(a_resend_whose_key_the_server_may_have_forgotten_is_sent_only_when_forced) {
    // 14.5 min since the keys' first use: inside a 15 min window, but past its 14 min of trust
    // (a resumed job can also get there waiting behind the in-flight cap).
    std::int64_t const first_use = ledger::now_ms() - (14 * 60 + 30) * 1000;
    std::vector<ledger::JobHistory> lost(2);
    for (std::size_t i = 0; i < lost.size(); ++i) {
        lost[i].job = "job-" + std::to_string(i);
        lost[i].phase = ledger::JobPhase::submitting;
        lost[i].key = "evb-lost-key-of-job-" + std::to_string(i) + "-0123456789";
        lost[i].key_first_sent_t_ms = first_use;
        lost[i].submitting_t_ms = first_use;
    }
    jobs::ResumeDecision resend{jobs::ResumeAction::resend, 1, false, "its create got no answer"};
    jobs::ResumeDecision forced = resend;
    forced.forced = true; // --resubmit-uncertain
    BatchOptions o;
    o.jobs = 2;
    o.limits.max_credits = 1'000'000;
    o.limits.idempotency_window = std::chrono::minutes(15);
    o.starts = {{resend, &lost[0]}, {forced, &lost[1]}};
    auto const run = run_batch(o);
    BOOST_TEST(run.stats.create_requests == 1u); // job-1's only
    BOOST_TEST(run.outcome.uncertain == 1u);
    BOOST_TEST(run.outcome.completed == 1u);
    std::vector<EventType> job0;
    for (auto const& e : run.events) {
        if (e.job == "job-0") {
            job0.push_back(e.type);
            BOOST_TEST((e.error && e.error->code == "key_window_passed"));
        }
    }
    BOOST_TEST((job0 == std::vector<EventType>{EventType::uncertain})); // no `submitting`: nothing was sent
}

BOOST_AUTO_TEST_CASE(a_new_attempt_after_a_resent_key_gets_a_new_key_trusted_from_its_own_send) {
    // Forced resends (--resubmit-uncertain) under a zero window: each key is trusted for its own
    // send only. Their tasks all fail; a new attempt has a new key that nothing can have used,
    // so it is sent, never called uncertain for what the resent key might have made.
    std::vector<ledger::JobHistory> lost(20);
    for (std::size_t i = 0; i < lost.size(); ++i) {
        lost[i].job = "job-" + std::to_string(i);
        lost[i].phase = ledger::JobPhase::uncertain;
        lost[i].key = "evb-uncertain-key-of-job-" + std::to_string(i) + "-0123456789";
        lost[i].key_first_sent_t_ms = ledger::now_ms() - 3600'000;
        lost[i].submitting_t_ms = lost[i].key_first_sent_t_ms;
    }
    jobs::ResumeDecision forced{jobs::ResumeAction::resend, 1, false, "asked with --resubmit-uncertain"};
    forced.forced = true;
    BatchOptions o;
    o.jobs = lost.size();
    o.sim.fail_ratio = 1.0; // about half with codes worth a new attempt
    o.limits.idempotency_window = std::chrono::seconds(0);
    o.limits.max_credits = 1'000'000;
    for (auto const& h : lost) {
        o.starts.push_back({forced, &h});
    }
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.uncertain == 0u);
    BOOST_TEST(run.outcome.failed == lost.size());
    auto const new_attempts = std::count_if(run.events.begin(), run.events.end(), [](ledger::Event const& e) {
        return e.type == EventType::submitting && e.attempt.value_or(1) > 1;
    });
    BOOST_TEST(new_attempts > 0);
}

BOOST_AUTO_TEST_CASE(a_key_refused_while_tasks_run_ends_the_run_instead_of_polling_forever) {
    // Every create is answered, then the key stops working (rotated, disabled): no read can
    // follow the running tasks, so the run ends as the API stopped it, tasks left for the next.
    BatchOptions o;
    o.jobs = 20;
    o.limits.max_credits = 1'000'000;
    o.sim.revoke_key_after = 22; // the 20 creates and a read or two
    o.deadline = std::chrono::seconds(60);
    auto const run = run_batch(o);
    BOOST_TEST(run.stats.create_requests == 20u);
    BOOST_TEST(run.outcome.api_stopped);
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_api_stopped);
    BOOST_TEST(run.outcome.running > 0u); // left running for a run with a working key
    BOOST_TEST(run.outcome.stop_reason.find("refused the key") != std::string::npos, run.outcome.stop_reason);
}

BOOST_AUTO_TEST_CASE(a_resumed_task_the_server_does_not_know_is_reported_never_resubmitted) {
    ledger::JobHistory known;
    known.job = "job-0";
    known.phase = ledger::JobPhase::running;
    known.task = "task-unified-1700000000-unknown1";
    known.submitted_t_ms = ledger::now_ms() - 1000;
    known.eta_s = 1;
    known.credits = 9;
    BatchOptions o;
    o.jobs = 2;
    o.limits.max_credits = 1'000'000;
    o.starts = {{{jobs::ResumeAction::poll, 1, false, {}}, &known}, {}};
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.failed == 1u);
    BOOST_TEST(run.outcome.completed == 1u);  // job-1 was new
    BOOST_TEST(run.stats.tasks_created == 1u); // ... and job-0 was not submitted again
    bool reported = false;
    for (auto const& e : run.events) {
        if (e.job == "job-0") {
            BOOST_TEST((e.type == EventType::failed));
            reported = e.error && e.error->code == "task_not_found";
        }
    }
    BOOST_TEST(reported);
}

BOOST_AUTO_TEST_CASE(odd_task_ids_without_batch_reads_are_polled_to_the_end) {
    // Ids with ' ', '/', '%', '?', '#' and non-ASCII bytes, and a server without batch reads:
    // every task is read by GET /v1/tasks/{id}, and the run ends well inside its deadline.
    BatchOptions o;
    o.jobs = 12;
    o.sim.batch_read = false;
    o.sim.task_ids = sim::TaskIds::odd;
    o.limits.max_credits = 1'000'000;
    o.limits.max_in_flight = 12;
    o.downloads = true; // the result links hold the ids too
    o.deadline = std::chrono::seconds(30);
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed == 12u);
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_ok);
    BOOST_TEST(run.outcome.downloaded == 12u);
    BOOST_TEST(run.stats.tasks_created == 12u);
    BOOST_TEST(run.stats.task_reads > 0u);
    BOOST_TEST(run.stats.count(400) == 0u);
    for (auto const& e : run.events) {
        if (e.type == EventType::completed) {
            BOOST_TEST_INFO(e.job);
            BOOST_TEST(e.task->find_first_of(" /%?#\xc3+") != std::string::npos); // the odd tail is kept
        }
    }
}

BOOST_AUTO_TEST_CASE(unusable_task_ids_are_kept_in_the_ledger_and_never_created_again) {
    // The create's answer names a task whose id holds an escape sequence: the task exists and
    // may be billed, but nobody can read it. The job ends uncertain with that id in the ledger,
    // at once, and nothing is created again.
    BatchOptions o;
    o.jobs = 4;
    o.sim.batch_read = false;
    o.sim.task_ids = sim::TaskIds::unusable;
    o.limits.max_credits = 1'000'000;
    o.deadline = std::chrono::seconds(30);
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.uncertain == 4u);
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_jobs_failed);
    BOOST_TEST(run.stats.create_requests == 4u);
    BOOST_TEST(run.stats.tasks_created == 4u);
    BOOST_TEST(run.stats.task_reads == 0u);
    std::set<std::string> kept;
    for (auto const& e : run.events) {
        if (e.type == EventType::uncertain) {
            BOOST_TEST_INFO(e.job);
            BOOST_REQUIRE(e.error);
            BOOST_TEST(e.error->code == "invalid_task_id");
            BOOST_REQUIRE(e.task);
            kept.insert(*e.task);
        }
    }
    BOOST_TEST(kept.size() == 4u);
    // And the replayed ledger names each task and counts it as at risk, never as refunded.
    auto const replay = ledger::replay_text(run.ledger_text);
    for (auto const& h : replay.jobs) {
        BOOST_TEST_INFO(h.job);
        BOOST_TEST((h.phase == ledger::JobPhase::uncertain));
        BOOST_TEST(kept.count(h.task) == 1u);
    }
}

BOOST_AUTO_TEST_CASE(a_resumed_task_no_read_can_reach_ends_uncertain_instead_of_keeping_the_run_waiting) {
    // From an older ledger: one id the server refuses (400 invalid_task_id), one no URL can hold
    // (a control character). Neither read can ever succeed; before, both were retried every few
    // seconds, forever, and the run never ended.
    std::vector<ledger::JobHistory> known(2);
    known[0].task = "not-a-task-id";
    known[1].task = "task-unified-1700000000-\x1b]0;x\x07";
    for (std::size_t i = 0; i < known.size(); ++i) {
        known[i].job = "job-" + std::to_string(i);
        known[i].phase = ledger::JobPhase::running;
        known[i].key = "evb-known-key-of-job-" + std::to_string(i) + "-0123456789";
        known[i].submitted_t_ms = ledger::now_ms() - 1000;
        known[i].eta_s = 1;
        known[i].credits = 9;
    }
    jobs::ResumeDecision const poll{jobs::ResumeAction::poll, 1, false, {}};
    BatchOptions o;
    o.jobs = 3;
    o.sim.batch_read = false;
    o.limits.max_credits = 1'000'000;
    o.starts = {{poll, &known[0]}, {poll, &known[1]}, {}};
    o.deadline = std::chrono::seconds(30);
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.uncertain == 2u);
    BOOST_TEST(run.outcome.completed == 1u);   // job-2 was new
    BOOST_TEST(run.stats.tasks_created == 1u); // ... and neither known task was created again
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_jobs_failed);
    for (auto const& e : run.events) {
        if (e.job != "job-2") {
            BOOST_TEST_INFO(e.job);
            BOOST_TEST((e.type == EventType::uncertain));
            BOOST_TEST((e.error && e.error->code == "invalid_task_id"));
            BOOST_TEST((e.task && *e.task == known[e.job == "job-0" ? 0 : 1].task));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
