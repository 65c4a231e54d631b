#include "evobatch/jobs/resume.hpp"

#include "evobatch/download/result_file.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/jobs/request_of.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

using namespace evobatch;
using namespace evobatch::jobs;
using ledger::JobPhase;
namespace bdata = boost::unit_test::data;

BOOST_TEST_DONT_PRINT_LOG_VALUE(evobatch::ledger::JobPhase)

namespace {

constexpr std::int64_t k_now = 1'800'000'000'000;

ResumeOptions options() {
    ResumeOptions o;
    o.idempotency_window = std::chrono::minutes(15);
    o.max_attempts = 3;
    o.now_ms = k_now;
    return o;
}

ledger::JobHistory history(JobPhase phase, int attempt = 1) {
    ledger::JobHistory h;
    h.job = "clip-1";
    h.req = "digest-1";
    h.phase = phase;
    h.attempt = attempt;
    h.key = "evb-key-of-attempt";
    h.submitting_t_ms = k_now - 60'000; // a minute ago
    h.key_first_sent_t_ms = h.submitting_t_ms;
    return h;
}

ResumeDecision decide(ledger::JobHistory const& h, ResumeOptions const& o = options()) {
    return decide_resume(&h, "clip-1", "digest-1", o, DiskSnapshot{});
}

} // namespace

BOOST_AUTO_TEST_SUITE(resume_rules)

BOOST_AUTO_TEST_CASE(an_unknown_job_is_submitted_as_a_first_attempt) {
    auto const d = decide_resume(nullptr, "clip-1", "digest-1", options(), DiskSnapshot{});
    BOOST_TEST((d.action == ResumeAction::submit));
    BOOST_TEST(d.attempt == 1);
    BOOST_TEST(!d.changed);
}

// A changed manifest entry: nothing its earlier request paid for is dropped or paid again silently.
BOOST_DATA_TEST_CASE(a_changed_request_after_a_paid_one_waits_for_rerun_changed,
                     bdata::make({JobPhase::completed, JobPhase::submitting, JobPhase::uncertain}), phase) {
    auto const h = history(phase, 2);
    auto d = decide_resume(&h, "clip-1", "digest-2", options(), DiskSnapshot{});
    BOOST_TEST((d.action == ResumeAction::hold));
    BOOST_TEST(d.changed);
    BOOST_TEST(!d.rerun);
    BOOST_TEST(d.why.find("--rerun-changed") != std::string::npos);
    auto o = options();
    o.rerun_changed = {"clip-1"};
    d = decide_resume(&h, "clip-1", "digest-2", o, DiskSnapshot{});
    BOOST_TEST((d.action == ResumeAction::submit));
    BOOST_TEST(d.attempt == 1);
    BOOST_TEST(d.rerun);
    o.rerun_changed = {"clip-9"}; // another job named: this one still waits
    BOOST_TEST((decide_resume(&h, "clip-1", "digest-2", o, DiskSnapshot{}).action == ResumeAction::hold));
    o.rerun_all_changed = true;
    BOOST_TEST((decide_resume(&h, "clip-1", "digest-2", o, DiskSnapshot{}).action == ResumeAction::submit));
}

BOOST_DATA_TEST_CASE(a_changed_request_after_an_unpaid_one_is_a_new_job,
                     bdata::make({JobPhase::failed, JobPhase::unsent}), phase) {
    auto const h = history(phase, 2);
    auto const d = decide_resume(&h, "clip-1", "digest-2", options(), DiskSnapshot{});
    BOOST_TEST((d.action == ResumeAction::submit));
    BOOST_TEST(d.attempt == 1);
    BOOST_TEST(d.changed);
    BOOST_TEST(!d.rerun);
}

BOOST_AUTO_TEST_CASE(a_changed_request_whose_earlier_task_runs_polls_that_task_first) {
    auto const h = history(JobPhase::running, 2);
    auto o = options();
    o.rerun_all_changed = true; // even when asked: the running task's result must not be lost
    auto const d = decide_resume(&h, "clip-1", "digest-2", o, DiskSnapshot{});
    BOOST_TEST((d.action == ResumeAction::poll));
    BOOST_TEST(d.attempt == 2);
    BOOST_TEST(d.changed);
}

BOOST_AUTO_TEST_CASE(a_rejected_job_is_probed_again_or_with_probing_off_stays_rejected) {
    auto h = history(JobPhase::rejected);
    h.key.clear(); // never sent
    h.error = ledger::EventError{"not_a_video", "video: an HTML page"};
    auto d = decide(h);
    BOOST_TEST((d.action == ResumeAction::submit));
    BOOST_TEST(d.reprobe);
    BOOST_TEST(d.attempt == 1);
    BOOST_TEST(d.why.find("not_a_video") != std::string::npos);
    auto o = options();
    o.probe = false; // the run cannot renew the verdict: it stands, and nothing is sent
    d = decide(h, o);
    BOOST_TEST((d.action == ResumeAction::rejected));
    BOOST_TEST(d.why.find("probing is off") != std::string::npos);
    BOOST_TEST(state_name(&h, d) == "rejected");
    BOOST_TEST((credits_of(h) == CreditTotals{})); // it cost nothing
}

BOOST_AUTO_TEST_CASE(a_job_only_probed_is_new) {
    auto h = history(JobPhase::probed);
    h.key.clear();
    auto const d = decide(h);
    BOOST_TEST((d.action == ResumeAction::submit));
    BOOST_TEST(!d.reprobe);
    BOOST_TEST(state_name(&h, d) == "new");
    BOOST_TEST((credits_of(h) == CreditTotals{}));
}

BOOST_AUTO_TEST_CASE(a_changed_request_after_a_rejected_one_is_a_new_job) {
    auto h = history(JobPhase::rejected, 1);
    h.key.clear();
    auto const d = decide_resume(&h, "clip-1", "digest-2", options(), DiskSnapshot{});
    BOOST_TEST((d.action == ResumeAction::submit));
    BOOST_TEST(d.changed);
}

BOOST_AUTO_TEST_CASE(completed_is_skipped_and_running_is_polled_never_resubmitted) {
    BOOST_TEST((decide(history(JobPhase::completed)).action == ResumeAction::done));
    auto const d = decide(history(JobPhase::running, 2));
    BOOST_TEST((d.action == ResumeAction::poll));
    BOOST_TEST(d.attempt == 2);
}

// A create whose answer was lost, in a crash (`submitting`) or twice in a run (`uncertain`).
BOOST_DATA_TEST_CASE(a_lost_answer_is_resent_under_its_key_only_inside_the_window,
                     bdata::make({JobPhase::submitting, JobPhase::uncertain}), phase) {
    auto h = history(phase, 2);
    auto d = decide(h);
    BOOST_TEST((d.action == ResumeAction::resend));
    BOOST_TEST(d.attempt == 2); // the same attempt, so the same key
    h.key_first_sent_t_ms = k_now - 16 * 60'000;
    d = decide(h);
    BOOST_TEST((d.action == ResumeAction::uncertain)); // a resend a minute ago does not restart the window
    if (phase == JobPhase::submitting) {
        BOOST_TEST(d.why.find("idempotency_window") != std::string::npos);
    }
    h.key_first_sent_t_ms = k_now - 14 * 60'000 - 30'000; // inside the window, past its last minute of trust
    BOOST_TEST((decide(h).action == ResumeAction::uncertain));
    auto o = options();
    o.idempotency_window = std::chrono::seconds(0); // a server trusted with no key at all
    h.key_first_sent_t_ms = k_now;
    BOOST_TEST((decide(h, o).action == ResumeAction::uncertain));
}

BOOST_AUTO_TEST_CASE(uncertain_jobs_are_resent_only_when_asked_by_id_or_all) {
    auto h = history(JobPhase::uncertain);
    h.key_first_sent_t_ms = k_now - 16 * 60'000; // outside the window
    BOOST_TEST((decide(h).action == ResumeAction::uncertain));
    auto o = options();
    o.resubmit_uncertain = {"other-job"};
    BOOST_TEST((decide(h, o).action == ResumeAction::uncertain));
    o.resubmit_uncertain = {"clip-1"};
    BOOST_TEST((decide(h, o).action == ResumeAction::resend));
    o = options();
    o.resubmit_all_uncertain = true;
    auto const d = decide(h, o);
    BOOST_TEST((d.action == ResumeAction::resend));
    BOOST_TEST(d.forced);
    // A new attempt under the same key: the first create stays in the ledger, still at risk.
    BOOST_TEST(d.attempt == 2);
}

// An unsent create made no task: its key goes out again while the server still keeps it, and
// past that a new attempt takes a new key (issue 18: a reconcile settles only untrusted keys).
BOOST_AUTO_TEST_CASE(an_unsent_create_is_resent_while_its_key_is_trusted_else_a_new_attempt) {
    auto h = history(JobPhase::unsent, 2);
    auto d = decide(h); // first sent a minute ago
    BOOST_TEST((d.action == ResumeAction::resend));
    BOOST_TEST(d.attempt == 2);
    BOOST_TEST(d.why == "its create made no task");

    h.submitting_t_ms = k_now - 48 * 3600'000LL;
    h.key_first_sent_t_ms = h.submitting_t_ms; // two days old: past any window
    d = decide(h);
    BOOST_TEST((d.action == ResumeAction::retry));
    BOOST_TEST(d.attempt == 3);
    BOOST_TEST(!d.forced);
    BOOST_TEST(d.why == "its create made no task; its key is too old to trust: a new attempt under a new key");

    h.key_first_sent_t_ms = k_now - 14 * 60'000; // inside 15 minutes but past the trust span (less 1 min)
    BOOST_TEST((decide(h).action == ResumeAction::retry));
    auto o = options();
    o.idempotency_window = std::chrono::seconds(0); // no key is ever trusted
    h.key_first_sent_t_ms = k_now - 1'000;
    BOOST_TEST((decide(h, o).action == ResumeAction::retry));

    // A reconcile's unsent: the task list is the evidence.
    h.key_first_sent_t_ms = k_now - 48 * 3600'000LL;
    h.listed = ledger::ListEvidence{"listed", 1, 1'799'999'000, 1'799'999'100, {}};
    d = decide(h);
    BOOST_TEST((d.action == ResumeAction::retry));
    BOOST_TEST(d.attempt == 3);
    BOOST_TEST(d.why ==
               "its create made no task (the account's task list shows none); a new attempt under a new key");
    BOOST_TEST(state_name(&h, d) == "unsent");
    BOOST_TEST((credits_of(static_cast<ledger::Attempt const&>(h)) == CreditTotals{})); // no task: nothing
}

// A task the list named (`adopted`) is running: polled, never sent again, counted at its credits.
BOOST_AUTO_TEST_CASE(an_adopted_task_is_polled_and_counted_reserved) {
    auto h = history(JobPhase::running);
    h.task = "task-unified-aaa";
    h.credits = 12;
    h.submitted_t_ms = k_now - 1'000;
    h.key_first_sent_t_ms = k_now - 48 * 3600'000LL; // however old its key
    h.listed = ledger::ListEvidence{"listed", 2, 1'799'999'000, 1'799'999'100, {{"task-unified-aaa", 1'799'999'050}}};
    auto const d = decide(h);
    BOOST_TEST((d.action == ResumeAction::poll));
    BOOST_TEST(d.attempt == 1);
    CreditTotals reserved;
    reserved.reserved = 12;
    BOOST_TEST((credits_of(h) == reserved));
}

BOOST_AUTO_TEST_CASE(failed_jobs_get_new_attempts_for_retryable_codes_while_attempts_remain) {
    auto h = history(JobPhase::failed, 1);
    h.error = ledger::EventError{"generation_timeout", "took too long"};
    auto d = decide(h);
    BOOST_TEST((d.action == ResumeAction::retry));
    BOOST_TEST(d.attempt == 2);
    h.attempt = 3; // max_attempts used
    BOOST_TEST((decide(h).action == ResumeAction::failed));
    h.attempt = 1;
    h.error = ledger::EventError{"content_policy_violation", "refused"};
    BOOST_TEST((decide(h).action == ResumeAction::failed));
    h.error = ledger::EventError{"task_not_found", "404 on a known task"}; // reported, not resubmitted by itself
    BOOST_TEST((decide(h).action == ResumeAction::failed));
    auto o = options();
    o.retry_all_failed = true; // attempts used or not, and a 404 on its task too
    h.attempt = 3;
    d = decide(h, o);
    BOOST_TEST((d.action == ResumeAction::retry));
    BOOST_TEST(d.attempt == 4);
    // --retry-failed=all skips what the same input meets again; naming the job sends it anyway.
    h.error = ledger::EventError{"content_policy_violation", "refused"};
    BOOST_TEST((decide(h, o).action == ResumeAction::failed));
    h.error = ledger::EventError{"invalid_parameters", "bad"};
    BOOST_TEST((decide(h, o).action == ResumeAction::failed));
    o.retry_failed = {"clip-1"};
    BOOST_TEST((decide(h, o).action == ResumeAction::retry));
    o.retry_all_failed = false;
    BOOST_TEST((decide(h, o).action == ResumeAction::retry));
    o.retry_failed = {"clip-2"};
    BOOST_TEST((decide(h, o).action == ResumeAction::failed));
}

BOOST_AUTO_TEST_CASE(a_completed_job_is_done_when_the_disk_holds_its_files_as_recorded) {
    ledger::JobHistory h = history(JobPhase::completed);
    h.results = {"https://files.example.com/r/0.mp4"};
    h.finished_t_ms = k_now - 3600'000; // an hour ago
    std::string const file = "out/" + download::result_file_name("clip-1", h.results[0], 1);
    h.downloads.push_back({file, 1000, "ab12", k_now - 3500'000});
    auto o = options();
    o.downloads = true;
    DiskSnapshot disk;
    auto d = decide_resume(&h, "clip-1", "digest-1", o, disk); // not there
    BOOST_TEST((d.action == ResumeAction::done));
    BOOST_TEST(d.download);
    BOOST_TEST(!d.expiring_soon);
    disk.put(file, 999); // there, but not as recorded (cut, or changed)
    BOOST_TEST(decide_resume(&h, "clip-1", "digest-1", o, disk).download);
    disk.put(file, 1000);
    d = decide_resume(&h, "clip-1", "digest-1", o, disk);
    BOOST_TEST(!d.download);
    BOOST_TEST(files_on_disk(h, disk).size() == 1u);
    // Not there, its links 23 h old: soon gone; 25 h: gone, reported, not tried.
    DiskSnapshot const empty;
    h.finished_t_ms = k_now - 23 * 3600'000LL;
    BOOST_TEST(decide_resume(&h, "clip-1", "digest-1", o, empty).expiring_soon);
    h.finished_t_ms = k_now - 25 * 3600'000LL;
    d = decide_resume(&h, "clip-1", "digest-1", o, empty);
    BOOST_TEST(d.expired);
    BOOST_TEST(!d.download);
    // Without downloads, the disk is not asked.
    o.downloads = false;
    BOOST_TEST(!decide_resume(&h, "clip-1", "digest-1", o, empty).download);
}

BOOST_AUTO_TEST_CASE(plan_resume_counts_actions_and_credits_held_by_earlier_runs) {
    std::vector<manifest::Job> jobs(4);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        jobs[i].id = "clip-" + std::to_string(i);
        jobs[i].model = manifest::k_default_model;
        jobs[i].prompt = "Make it cinematic";
        jobs[i].video_url = "https://cdn.example.com/clip-" + std::to_string(i) + ".mp4";
    }
    auto const digest = [&](std::size_t i) { return request_digest(request_of(jobs[i])); };
    ledger::Replay replay;
    auto add = [&](std::string id, std::string req, JobPhase phase, std::int64_t credits) -> ledger::JobHistory& {
        ledger::JobHistory h;
        h.job = std::move(id);
        h.req = std::move(req);
        h.phase = phase;
        h.credits = credits;
        h.key = "evb-key-" + h.job;
        h.submitting_t_ms = k_now;
        h.key_first_sent_t_ms = k_now;
        replay.index[h.job] = replay.jobs.size();
        return replay.jobs.emplace_back(std::move(h));
    };
    add("clip-0", digest(0), JobPhase::completed, 7);
    add("clip-1", digest(1), JobPhase::running, 12);
    auto& edited = add("clip-2", "an-older-request", JobPhase::failed, 9); // changed since
    ledger::Attempt paid;                                                  // ... after an earlier request completed
    paid.phase = JobPhase::completed;
    paid.credits = 11;
    paid.key = "evb-key-first";
    edited.earlier.push_back(paid);
    add("gone", "whatever", JobPhase::running, 5);              // no longer in the manifest: still held
    add("lost", "whatever", JobPhase::uncertain, 0);            // and may have made a task
    auto o = options();
    auto p = plan_resume(jobs, replay, o);
    BOOST_TEST(p.starts.size() == 4u);
    BOOST_TEST(p.done == 1u);
    BOOST_TEST(p.poll == 1u);
    BOOST_TEST(p.submit == 1u); // clip-3 (new)
    BOOST_TEST(p.changed == 1u);
    BOOST_TEST(p.hold == 1u); // clip-2: its latest request failed, but an earlier one was paid for
    BOOST_TEST(p.starts[2].history == replay.find("clip-2"));
    BOOST_TEST(p.not_in_manifest == 2u);
    // Every credit the ledger holds, whatever the manifest says now: charged 7 + 11, reserved
    // 12 + 5, refunded 9, and the uncertain create at the most a task costs.
    BOOST_TEST(p.credits.charged == 7 + 11);
    BOOST_TEST(p.credits.reserved == 12 + 5);
    BOOST_TEST(p.credits.refunded == 9);
    BOOST_TEST(p.credits.at_risk == 15);
    BOOST_TEST(p.credits_carried == 7 + 11 + 12 + 5 + 15);
    BOOST_TEST(p.starts[1].history == replay.find("clip-1"));
    BOOST_TEST(p.starts[1].version == 1);
    auto asked = o;
    asked.rerun_changed = {"clip-2"};
    auto const rerun = plan_resume(jobs, replay, asked);
    BOOST_TEST(rerun.submit == 2u);
    BOOST_TEST(rerun.rerun == 1u);
    BOOST_TEST(rerun.starts[2].history == nullptr); // a changed job sent as new starts afresh
    BOOST_TEST(rerun.starts[2].version == 2);       // ... and names its files @v2

    // A create this run sends again under its key reserves its worst case itself: not carried.
    replay.jobs[0].phase = JobPhase::submitting; // clip-0, its key still trusted
    p = plan_resume(jobs, replay, o);
    BOOST_TEST(p.resend == 1u);
    BOOST_TEST(p.credits.at_risk == 30);
    BOOST_TEST(p.credits_carried == 11 + 12 + 5 + 15);
    // A forced resend (--resubmit-uncertain) may make a second task: the first stays counted.
    replay.jobs[0].key_first_sent_t_ms = k_now - 24 * 3600'000LL; // its key long forgotten
    o.resubmit_all_uncertain = true;
    p = plan_resume(jobs, replay, o);
    BOOST_TEST(p.resend == 1u);
    BOOST_TEST(p.credits_carried == 15 + 11 + 12 + 5 + 15);
}

BOOST_AUTO_TEST_SUITE_END()
