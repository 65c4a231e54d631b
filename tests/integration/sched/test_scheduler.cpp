// The batch run end to end: the real Scheduler, the simulator over real TLS, a real ledger.

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

namespace {

// Tasks the simulator created per video URL (one job per URL in these tests).
std::map<std::string, int> tasks_per_video(test::BatchRun const& run) {
    std::map<std::string, int> per_video;
    for (auto const& line : run.sim_log) {
        auto const entry = boost::json::parse(line).as_object();
        ++per_video[std::string(entry.at("video").as_string())];
    }
    return per_video;
}

} // namespace

BOOST_AUTO_TEST_SUITE(scheduler)

BOOST_AUTO_TEST_CASE(a_batch_completes_within_the_rate_limit_and_without_429s) {
    BatchOptions o;
    o.jobs = 200;
    o.sim.rps = 120;
    // The simulator's bucket counts arrivals: when its thread is descheduled (the suite runs two
    // tests at once on 2 cores), the requests sent meanwhile arrive together. 50 absorbs a
    // ~0.4 s stall (20 did not: 13 429s once, under load); a client past its own limit still
    // empties it within the batch, and the 1 s window check below bounds the rate directly.
    o.sim.burst = 50;
    o.limits.requests_per_second = 100;
    o.limits.burst = 10;
    o.limits.max_in_flight = 100;
    o.limits.max_credits = 1'000'000;
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed == 200u);
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_ok);
    BOOST_TEST(run.stats.tasks_created == 200u);
    BOOST_TEST(run.stats.count(429) == 0u);
    BOOST_TEST(run.stats.max_requests_in_any_1s_window <= 100u + 10u);
    BOOST_TEST(count_events(run, EventType::submitting) == 200u);
    BOOST_TEST(count_events(run, EventType::submitted) == 200u);
    BOOST_TEST(count_events(run, EventType::completed) == 200u);
    // Write-ahead: each job's `submitting` comes before its `submitted`, which comes before `completed`.
    std::map<std::string, int> stage;
    for (auto const& e : run.events) {
        if (e.type == EventType::submitting) {
            BOOST_TEST(stage[e.job] == 0);
            stage[e.job] = 1;
        } else if (e.type == EventType::submitted) {
            BOOST_TEST(stage[e.job] == 1);
            stage[e.job] = 2;
        } else if (e.type == EventType::completed) {
            BOOST_TEST(stage[e.job] == 2);
            BOOST_TEST(!e.results.empty());
            stage[e.job] = 3;
        }
    }
    // Batch reads keep polling cheap: well under 1.5 requests per task, creates included.
    BOOST_TEST(static_cast<double>(run.stats.api_requests) <= 1.5 * 200 + 5);
}

BOOST_AUTO_TEST_CASE(a_429_storm_still_completes) {
    BatchOptions o;
    o.jobs = 30;
    o.sim.rps = 16;
    o.sim.burst = 2;
    o.limits.requests_per_second = 80; // far above what the server takes
    o.limits.burst = 10;
    o.limits.max_credits = 1'000'000;
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed == 30u);
    BOOST_TEST(run.stats.count(429) > 0u);
    BOOST_TEST(run.stats.tasks_created == 30u);
}

BOOST_AUTO_TEST_CASE(a_402_stops_submission_and_exits_4) {
    BatchOptions o;
    o.jobs = 40;
    o.sim.credits = 60; // a handful of tasks
    o.sim.time_scale = 0.002; // tasks of 0.2-1.2 s: the in-flight cap makes them run in turn
    o.limits.max_credits = 1'000'000;
    o.limits.max_in_flight = 2;
    auto const run = run_batch(o);
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_api_stopped);
    BOOST_TEST(run.outcome.api_stopped);
    BOOST_TEST(run.outcome.unsubmitted > 0u);
    BOOST_TEST(run.outcome.completed == run.stats.tasks_created);
    BOOST_TEST(run.stats.count(402) >= 1u);
    BOOST_TEST(run.outcome.stop_reason.find("402") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_credit_ceiling_is_never_crossed) {
    BatchOptions o;
    o.jobs = 30;
    o.limits.max_credits = 50;
    auto const run = run_batch(o);
    BOOST_TEST(run.stats.credits_spent + run.stats.credits_reserved_now <= 50);
    BOOST_TEST(run.outcome.credits_committed <= 50);
    BOOST_TEST(run.outcome.unsubmitted > 0u);
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_interrupted);
    BOOST_TEST(run.outcome.stop_reason.find("max_credits") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_in_flight_cap_holds) {
    BatchOptions o;
    o.jobs = 20;
    o.sim.time_scale = 0.002; // tasks of 0.2-1.2 s, run three at a time
    o.sim.max_concurrent_tasks = 3; // the server refuses a 4th running task with a 429
    o.limits.max_in_flight = 3;
    o.limits.max_credits = 1'000'000;
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed == 20u);
    BOOST_TEST(run.stats.concurrency_limited == 0u);
}

BOOST_AUTO_TEST_CASE(failed_tasks_are_retried_only_for_retryable_codes_and_attempts) {
    BatchOptions o;
    o.jobs = 40;
    o.sim.fail_ratio = 0.5;
    o.limits.max_attempts = 3;
    o.limits.max_credits = 1'000'000;
    o.limits.max_in_flight = 40;
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed + run.outcome.failed == 40u);
    BOOST_TEST(run.outcome.failed > 0u);
    std::map<std::string, int> attempts;
    std::map<std::string, std::string> last_failure;
    for (auto const& e : run.events) {
        if (e.type == EventType::submitting) {
            BOOST_TEST_INFO("job " << e.job);
            // A new attempt only after a retryable failure.
            if (attempts[e.job] > 0) {
                BOOST_TEST(jobs::is_retryable_task_error(last_failure[e.job]));
            }
            ++attempts[e.job];
        } else if (e.type == EventType::failed && e.error) {
            last_failure[e.job] = e.error->code;
        }
    }
    for (auto const& [job, n] : attempts) {
        BOOST_TEST(n <= 3);
    }
    for (auto const& [video, n] : tasks_per_video(run)) {
        BOOST_TEST(n <= 3);
    }
}

BOOST_AUTO_TEST_CASE(cut_connections_after_create_leave_no_duplicate_task) {
    BatchOptions o;
    o.jobs = 60;
    o.sim.cut_after_create_ratio = 0.3;
    o.limits.max_credits = 1'000'000;
    o.limits.max_in_flight = 60;
    auto const run = run_batch(o);
    BOOST_TEST(run.stats.cut_connections > 0u);
    BOOST_TEST(run.stats.replays > 0u);
    for (auto const& [video, n] : tasks_per_video(run)) {
        BOOST_TEST_INFO(video);
        BOOST_TEST(n == 1);
    }
    // Jobs whose retry was cut too are uncertain; all others completed. Nothing is lost.
    BOOST_TEST(run.outcome.completed + run.outcome.uncertain == 60u);
    BOOST_TEST(run.stats.tasks_created == 60u);
}

BOOST_AUTO_TEST_CASE(without_an_idempotency_window_a_create_answered_5xx_is_never_sent_again) {
    BatchOptions o;
    o.jobs = 40;
    o.sim.error_ratio = 0.3;
    o.sim.idempotency = false;
    o.limits.idempotency_window = std::chrono::seconds(0);
    o.limits.max_credits = 1'000'000;
    o.limits.max_in_flight = 40;
    auto const run = run_batch(o);
    BOOST_TEST(run.stats.count_5xx() > 0u);
    BOOST_TEST(run.stats.create_requests == 40u); // one POST per job, however it was answered
    BOOST_TEST(run.outcome.uncertain > 0u);
    BOOST_TEST(run.outcome.completed + run.outcome.uncertain == 40u);
    BOOST_TEST(count_events(run, EventType::uncertain) == run.outcome.uncertain);
    BOOST_TEST(run.stats.tasks_created == run.outcome.completed);
}

// A server without batch reads (404), or whose batch read refuses what we send (400: it wants
// another body), is polled with one GET per task. The 400 was retried for the whole group
// forever: the run polled nothing and never ended.
BOOST_DATA_TEST_CASE(polling_works_without_batch_reads, bdata::make({404, 400}), refused_with) {
    BatchOptions o;
    o.jobs = 30;
    o.sim.batch_read = refused_with != 404;
    o.sim.batch_read_refused = refused_with == 400;
    o.deadline = std::chrono::seconds(30);
    o.limits.max_credits = 1'000'000;
    o.limits.max_in_flight = 30;
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed == 30u);
    BOOST_TEST(run.stats.task_reads > 0u);
    // The batch reads in flight when the first refusal came back.
    BOOST_TEST(run.stats.count(static_cast<unsigned>(refused_with)) <= 4u);
    BOOST_TEST(static_cast<double>(run.stats.api_requests) <= 4.0 * 30 + 2);
}

BOOST_AUTO_TEST_CASE(stop_ends_the_run_as_interrupted_with_a_consistent_ledger) {
    BatchOptions o;
    o.jobs = 200;
    o.limits.requests_per_second = 20;
    o.limits.max_credits = 1'000'000;
    o.during = [&](boost::asio::io_context& io, sched::Scheduler& s) {
        // The handler owns its timer, which must go before the io_context does (ASan+UBSan
        // caught a timer deleted after it).
        auto stopper = std::make_shared<boost::asio::steady_timer>(io, std::chrono::milliseconds(700));
        stopper->async_wait([&s, stopper](boost::system::error_code) { s.stop("interrupted (test)"); });
    };
    auto const run = run_batch(o);
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_interrupted);
    BOOST_TEST(run.outcome.interrupted);
    BOOST_TEST(run.outcome.unsubmitted > 0u);
    // Every task the simulator made is in the ledger as submitted (or as uncertain, never lost).
    std::set<std::string> ledger_tasks;
    for (auto const& e : run.events) {
        if (e.type == EventType::submitted && e.task) {
            ledger_tasks.insert(*e.task);
        }
    }
    BOOST_TEST(ledger_tasks.size() == run.stats.tasks_created);
    BOOST_TEST(count_events(run, EventType::submitting) == run.stats.tasks_created);
}

BOOST_AUTO_TEST_CASE(results_are_downloaded_while_the_batch_goes_on) {
    BatchOptions o;
    o.jobs = 30;
    o.sim.file_bytes = 200 * 1024;
    o.limits.requests_per_second = 10; // submitting takes ~3 s; the first tasks finish before that
    o.limits.max_in_flight = 30;
    o.limits.max_credits = 1'000'000;
    o.downloads = true;
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed == 30u);
    BOOST_TEST(run.outcome.downloaded == 30u);
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_ok);
    BOOST_TEST(run.file_sha256.size() == 30u);
    std::int64_t first_download = std::numeric_limits<std::int64_t>::max();
    std::int64_t last_submit = 0;
    std::map<std::string, std::string> task_of;
    for (auto const& e : run.events) {
        if (e.type == EventType::submitted) {
            last_submit = std::max(last_submit, e.t_ms);
            task_of[e.job] = *e.task;
        } else if (e.type == EventType::downloaded) {
            first_download = std::min(first_download, e.t_ms);
            BOOST_TEST_INFO(e.job);
            auto const name = std::filesystem::path(*e.file).filename().string();
            BOOST_TEST(name == e.job + ".mp4");
            BOOST_TEST(*e.bytes == 200u * 1024u);
            BOOST_TEST(*e.sha256 == run.file_sha256.at(name)); // the ledger's hash is the file's
            BOOST_TEST(*e.sha256 == sim::expected_file_sha256(task_of.at(e.job), 200 * 1024)); // and the server's bytes
        }
    }
    BOOST_TEST(first_download < last_submit); // not at the end: as soon as a task completes
    BOOST_TEST(run.stats.file_requests_with_key == 0u);
}

// Issue 14: a `downloaded` event vouches for a file; never for one a planted link points at,
// nor for bytes a lying media host sent.
BOOST_AUTO_TEST_CASE(planted_links_are_refused_and_never_recorded_as_results) {
    test::TempDir elsewhere;
    auto const victim = elsewhere.write("victim.txt", "precious");
    BatchOptions o;
    o.jobs = 6;
    o.sim.file_bytes = 64 * 1024;
    o.limits.max_credits = 1'000'000;
    o.downloads = true;
    o.before_run = [&](std::filesystem::path const& out) {
        std::filesystem::create_symlink(victim, out / "job-0.mp4");      // where a result goes
        std::filesystem::create_symlink(victim, out / "job-1.mp4.part"); // where its part goes
    };
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed == 6u);
    BOOST_TEST(run.outcome.downloaded == 4u);
    std::map<std::string, std::string> task_of;
    for (auto const& e : run.events) {
        if (e.type == EventType::submitted) {
            task_of[e.job] = *e.task;
        } else if (e.type == EventType::downloaded) {
            BOOST_TEST_INFO(e.job);
            BOOST_TEST((e.job != "job-0" && e.job != "job-1"));
            BOOST_TEST(*e.sha256 == sim::expected_file_sha256(task_of.at(e.job), 64 * 1024));
        }
    }
    std::ifstream in(victim);
    BOOST_TEST((std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()) == "precious"));
}

BOOST_AUTO_TEST_CASE(a_lying_media_host_gets_no_downloaded_event) {
    for (auto const lie : {sim::FileLie::flipped_bit, sim::FileLie::html, sim::FileLie::not_a_video}) {
        BOOST_TEST_CONTEXT(sim::to_string(lie)) {
            BatchOptions o;
            o.jobs = 4;
            o.sim.file_bytes = 64 * 1024;
            o.sim.file_lies = {lie};
            o.limits.max_credits = 1'000'000;
            o.downloads = true;
            o.download_options.first_backoff = std::chrono::milliseconds(10);
            o.download_options.max_attempts = 2;
            auto const run = run_batch(o);
            BOOST_TEST(run.outcome.completed == 4u);
            BOOST_TEST(run.outcome.downloaded == 0u);
            BOOST_TEST(count_events(run, EventType::downloaded) == 0u);
            for (auto const& [name, sha256] : run.file_sha256) {
                BOOST_TEST(name.ends_with(".part"), name); // nothing made it into a result's name
            }
        }
    }
}

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
