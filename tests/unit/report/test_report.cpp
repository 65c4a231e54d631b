// The report's model: rows and totals from a manifest and a hand-built replay (states,
// durations, changed entries, failure reasons).

#include "report_support.hpp"

using namespace evobatch::test::report_support;

BOOST_AUTO_TEST_SUITE(report_model)

BOOST_AUTO_TEST_CASE(states_follow_the_ledger_and_the_manifest) {
    Report const r = sample_report();
    BOOST_TEST(r.rows.size() == 7u);
    std::vector<std::string> ids;
    std::vector<std::string> states;
    for (auto const& row : r.rows) {
        ids.push_back(row.id);
        states.push_back(row.state);
    }
    std::vector<std::string> const want_ids{"done",   "broken", "busy",      "fresh",
                                            "edited", "lost",   "broken-too"};
    std::vector<std::string> const want_states{"completed", "failed",    "running", "new",
                                               "changed",   "uncertain", "failed"};
    BOOST_TEST(ids == want_ids, boost::test_tools::per_element());
    BOOST_TEST(states == want_states, boost::test_tools::per_element());
    BOOST_TEST(row(r, "fresh").attempts == 0);
    BOOST_TEST(row(r, "fresh").task.empty());
    BOOST_TEST(row(r, "broken").attempts == 3);
    BOOST_TEST(row(r, "broken").credits == 0);     // failed tasks are refunded
    BOOST_TEST(row(r, "edited").task == "task-4"); // a changed entry keeps what was paid for
}

BOOST_AUTO_TEST_CASE(a_job_its_probe_rejected_is_a_state_and_a_failure_reason_and_costs_nothing) {
    auto const m = load();
    ledger::Replay replay = sample_replay(m);
    auto rejected = history(m, "fresh", ledger::JobPhase::rejected);
    rejected.key.clear(); // never sent
    rejected.error = ledger::EventError{"not_a_video", "video: an HTML page"};
    add(replay, std::move(rejected));
    Report const r = report::build_report(m, replay, "l.jsonl", k_t0 + 60'000);
    report::Row const& fresh = row(r, "fresh");
    BOOST_TEST(fresh.state == "rejected");
    BOOST_TEST(fresh.credits == 0);
    BOOST_TEST(fresh.runs.empty()); // no task, no attempt that went out
    BOOST_TEST(fresh.note.find("probes it again") != std::string::npos);
    auto const& reasons = r.totals.failure_reasons;
    auto const listed = std::find_if(reasons.begin(), reasons.end(),
                                     [](report::FailureReason const& f) { return f.code == "not_a_video"; });
    BOOST_TEST_REQUIRE((listed != reasons.end()));
    BOOST_TEST(listed->jobs == std::vector<std::string>{"fresh"}, boost::test_tools::per_element());
    auto const& states = r.totals.states;
    auto const counted = std::find_if(states.begin(), states.end(), [](auto const& s) { return s.first == "rejected"; });
    BOOST_TEST_REQUIRE((counted != states.end()));
    BOOST_TEST(counted->second == 1u);
}

BOOST_AUTO_TEST_CASE(durations_are_finish_minus_submit_for_finished_tasks) {
    Report const r = sample_report();
    BOOST_TEST(row(r, "done").actual_s.value() == 42.5);
    BOOST_TEST(row(r, "done").estimated_s.value() == 300);
    BOOST_TEST(row(r, "broken").actual_s.value() == 10.0);
    BOOST_TEST(!row(r, "busy").actual_s.has_value());
    BOOST_TEST(row(r, "busy").finished_t_ms == 0);
    BOOST_TEST(!row(r, "lost").actual_s.has_value());
    BOOST_TEST(!row(r, "fresh").actual_s.has_value());

    // A running task's bar reaches the ledger's last event; a row without a task has none.
    std::int64_t s = 0;
    std::int64_t e = 0;
    BOOST_TEST(report::task_span(row(r, "busy").runs.at(0), r.totals, s, e));
    BOOST_TEST(s == k_t0 + 3'000);
    BOOST_TEST(e == k_t0 + 50'000);
    BOOST_TEST(report::task_span(row(r, "done").runs.at(0), r.totals, s, e));
    BOOST_TEST(e - s == 42'500);
    BOOST_TEST(!report::task_span(row(r, "lost").runs.at(0), r.totals, s, e));
    BOOST_TEST(row(r, "fresh").runs.empty());
}

BOOST_AUTO_TEST_CASE(totals) {
    Report const r = sample_report();
    auto const& t = r.totals;
    BOOST_TEST(t.jobs == 7u);
    BOOST_TEST(t.tasks == 5u);
    BOOST_TEST(t.credits.charged == 28 + 10); // done, and edited's earlier request
    BOOST_TEST(t.credits.reserved == 30);
    BOOST_TEST(t.credits.refunded == 40);
    BOOST_TEST(t.credits.at_risk == 15); // lost: its create may have made a task
    BOOST_TEST(t.first_t_ms == k_t0 - 500); // the batch event
    BOOST_TEST(t.last_t_ms == k_t0 + 50'000);
    BOOST_TEST(t.wall_s == 50.5);
    // Files count as every command counts them: recorded, and on disk with their size.
    BOOST_TEST(t.files == 0u); // out/done.mp4 is not here
    BOOST_TEST(row(r, "done").files.size() == 1u);
    BOOST_TEST(!row(r, "done").files[0].on_disk);
    evobatch::test::TempDir dir;
    auto const m = load();
    ledger::Replay replay = sample_replay(m);
    replay.jobs[replay.index.at("done")].downloads[0].file = dir.write("done.mp4", std::string(1024, 'x')).string();
    Report const here = report::build_report(m, replay, "l.jsonl", k_t0 + 60'000);
    BOOST_TEST(here.totals.files == 1u);
    BOOST_TEST(here.totals.bytes == 1024u);
    BOOST_TEST(row(here, "done").files.at(0).on_disk);
    using Count = std::pair<std::string, std::size_t>;
    BOOST_TEST_REQUIRE(t.failure_reasons.size() == 2u);
    BOOST_TEST(t.failure_reasons[0].code == "content_policy_violation");
    std::vector<std::string> const policy{"broken", "broken-too"};
    BOOST_TEST(t.failure_reasons[0].jobs == policy, boost::test_tools::per_element());
    BOOST_TEST(t.failure_reasons[1].code == "no_answer");
    BOOST_TEST(t.failure_reasons[1].jobs == std::vector<std::string>{"lost"}, boost::test_tools::per_element());
    std::vector<Count> const states{{"new", 1},    {"running", 1},   {"completed", 1},
                                    {"failed", 2}, {"uncertain", 1}, {"changed", 1}};
    BOOST_TEST((t.states == states));
}

// `status` renders these same rows: what it shows of a job (files, staleness, the next run's
// action) is decided here once.
BOOST_AUTO_TEST_CASE(rows_say_what_status_shows) {
    auto const m = load(); // output.download is on by default
    ledger::Replay replay = sample_replay(m);
    auto& busy = replay.jobs[replay.index.at("busy")];
    busy.eta_s = 10;
    busy.progress = 40;
    Report r = report::build_report(m, replay, "l.jsonl", k_t0 + 60'000);
    auto const& done = row(r, "done");
    BOOST_TEST(done.files_note == "to download"); // recorded, not on disk
    BOOST_TEST(done.to_download);
    BOOST_TEST(!done.expired);
    BOOST_TEST(row(r, "busy").stale); // 57 s running, estimate 10 s
    BOOST_TEST(row(r, "busy").progress == 40);
    BOOST_TEST(row(r, "busy").last_t_ms == k_t0 + 50'000);
    BOOST_TEST(row(r, "edited").next_run == "hold");
    BOOST_TEST(row(r, "edited").note.starts_with("held: "));
    BOOST_TEST(!row(r, "edited").why.empty());
    busy.eta_s = 60; // 57 s of 3 x 60: not stale
    r = report::build_report(m, replay, "l.jsonl", k_t0 + 60'000);
    BOOST_TEST(!row(r, "busy").stale);
    // A day later the done job's links have expired.
    r = report::build_report(m, replay, "l.jsonl", k_t0 + 25 * 3600'000LL);
    BOOST_TEST(row(r, "done").expired);
    BOOST_TEST(row(r, "done").files_note == "expired: links older than 24 h");
}

BOOST_AUTO_TEST_CASE(an_empty_ledger_makes_new_rows_and_zero_totals) {
    auto const m = load();
    Report const r = report::build_report(m, ledger::Replay{}, "l.jsonl", k_t0);
    BOOST_TEST(r.rows.size() == 7u);
    BOOST_TEST(r.totals.tasks == 0u);
    BOOST_TEST(r.totals.wall_s == 0.0);
    BOOST_TEST(r.totals.states.size() == 1u);
    BOOST_TEST(count(page(r), "<rect class=\"bar") == 0u);
    BOOST_TEST(page(r).find("No task submitted yet") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_uncertain_job_a_reconcile_left_lists_its_candidates) {
    auto const m = load();
    Report const r = report::build_report(m, replay_with_candidates(m), "l.jsonl", k_t0 + 60'000);
    report::Row const& lost = row(r, "lost");
    BOOST_TEST(lost.state == "uncertain");
    BOOST_TEST((lost.candidates == std::vector<ledger::ListedCandidate>{{"task-unified-aaa", 1'767'225'600},
                                                                        {"task-unified-bbb", 1'767'225'603}}));
    for (auto const& other : r.rows) {
        BOOST_TEST((other.id == "lost" || other.candidates.empty()), other.id);
    }
    // Evidence on a job that is not uncertain (an unsent one, or adopted and running) lists nothing.
    ledger::Replay replay = replay_with_candidates(m);
    replay.jobs[replay.index.at("lost")].phase = ledger::JobPhase::unsent;
    BOOST_TEST(row(report::build_report(m, replay, "l.jsonl", k_t0 + 60'000), "lost").candidates.empty());
    replay.jobs[replay.index.at("lost")].phase = ledger::JobPhase::running;
    replay.jobs[replay.index.at("lost")].task = "task-unified-aaa";
    BOOST_TEST(row(report::build_report(m, replay, "l.jsonl", k_t0 + 60'000), "lost").candidates.empty());
}

BOOST_AUTO_TEST_CASE(iso8601) {
    BOOST_TEST(report::iso8601_utc_s(1'767'225'603) == "2026-01-01T00:00:03Z");
    BOOST_TEST(report::iso8601_utc_s(0) == "1970-01-01T00:00:00Z");
    BOOST_TEST(report::iso8601_utc_s(-1) == "-1"); // out of range: the number as listed
    BOOST_TEST(report::iso8601_utc_s(253'402'300'800) == "253402300800");
    BOOST_TEST(report::iso8601_utc_s(253'402'300'799) == "9999-12-31T23:59:59Z");
    BOOST_TEST(report::iso8601_utc(0) == "1970-01-01T00:00:00.000Z");
    BOOST_TEST(report::iso8601_utc(k_t0) == "2026-01-01T00:00:00.000Z");
    BOOST_TEST(report::iso8601_utc(951'782'400'000 + 86'399'999) == "2000-02-29T23:59:59.999Z"); // leap day
}

BOOST_AUTO_TEST_SUITE_END()
