// Ledger replay: each event's rule, request changes, batches, the key's first use.

#include "replay_events.hpp"

#include "common/temp_dir.hpp"

#include <boost/test/unit_test.hpp>

namespace {

using namespace evobatch::test::replay_events;
using evobatch::test::TempDir;

} // namespace

BOOST_AUTO_TEST_SUITE(ledger_replay)


BOOST_AUTO_TEST_CASE(empty_text_is_an_empty_replay) {
    auto const r = replay_text("");
    BOOST_TEST(r.jobs.empty());
    BOOST_TEST(r.batches.empty());
    BOOST_TEST(r.index.empty());
    BOOST_TEST(r.events == 0U);
    BOOST_TEST(r.torn_tail_bytes == 0U);
    BOOST_TEST(r.find("anything") == nullptr);
}

BOOST_AUTO_TEST_CASE(a_missing_file_is_an_empty_ledger) {
    TempDir dir;
    for (auto const& path : {dir.path() / "ledger.jsonl", dir.path() / "no" / "such" / "ledger.jsonl"}) {
        auto const r = replay_file(path);
        BOOST_TEST(r.jobs.empty());
        BOOST_TEST(r.events == 0U);
    }
}

BOOST_AUTO_TEST_CASE(an_unreadable_file_is_line_0_with_the_reason) {
    TempDir dir;
    try {
        replay_file(dir.path()); // a folder opens, but read() says EISDIR
        BOOST_FAIL("a folder replayed as a ledger");
    } catch (ReplayError const& e) {
        BOOST_TEST(e.line() == 0U);
        std::string const what = e.what();
        BOOST_TEST(what.starts_with("cannot read " + dir.path().string() + ": "));
        BOOST_TEST(what.find("directory") != std::string::npos, what);
    }
}

BOOST_AUTO_TEST_CASE(the_key_counts_from_its_first_use_not_from_a_resend) {
    auto const r = replay_text(text_of({submitting("j", k_t0), submitting("j", k_t0 + 500), // same key again
                                        submitting("j", k_t0 + 900, 2)}));                 // a new attempt's key
    auto const& h = history(r, "j");
    BOOST_TEST(h.submitting_t_ms == k_t0 + 900);
    BOOST_TEST(h.key_first_sent_t_ms == k_t0 + 900);
    auto const resent = replay_text(text_of({submitting("j", k_t0), submitting("j", k_t0 + 500)}));
    BOOST_TEST(history(resent, "j").submitting_t_ms == k_t0 + 500);
    BOOST_TEST(history(resent, "j").key_first_sent_t_ms == k_t0);
}

BOOST_AUTO_TEST_CASE(submitting_starts_an_attempt_from_nothing) {
    // Everything a finished attempt left behind, then a new attempt.
    auto failed = with_error(job_event(EventType::failed, "j", k_t0 + 5), "boom", "it broke");
    auto const r = replay_text(
        text_of({submitting("j", k_t0), submitted("j", k_t0 + 1, "task-1"), progress("j", k_t0 + 2, 50),
                 completed("j", k_t0 + 3), downloaded("j", k_t0 + 4, "out/j.mp4", 10), failed,
                 submitting("j", k_t0 + 100, 2)}));
    auto const& h = history(r, "j");
    BOOST_TEST(to_string(h.phase) == "submitting");
    BOOST_TEST(h.attempt == 2);
    BOOST_TEST(h.key == "evb-j-req-1-2");
    BOOST_TEST(h.task.empty());
    BOOST_TEST(h.submitting_t_ms == k_t0 + 100);
    BOOST_TEST(h.submitted_t_ms == 0);
    BOOST_TEST(h.finished_t_ms == 0);
    BOOST_TEST(h.progress == 0);
    BOOST_TEST(!h.eta_s.has_value());
    BOOST_TEST(h.credits == 0);
    BOOST_TEST(h.results.empty());
    BOOST_TEST(!h.error.has_value());
    BOOST_TEST(h.downloads.empty());
    BOOST_TEST(h.first_t_ms == k_t0); // the request's first event, not the attempt's
    BOOST_TEST(h.last_t_ms == k_t0 + 100);

    // Without `attempt` and `key` (not what we write, but what the rule says): attempt 1, no key.
    auto const bare = replay_text(text_of({job_event(EventType::submitting, "k", k_t0)}));
    BOOST_TEST(history(bare, "k").attempt == 1);
    BOOST_TEST(history(bare, "k").key.empty());
}

BOOST_AUTO_TEST_CASE(submitted_means_a_task_is_running) {
    auto answered = submitted("j", k_t0 + 7, "task-1");
    answered.progress = 5;
    auto const r = replay_text(text_of({submitting("j", k_t0), answered}));
    auto const& h = history(r, "j");
    BOOST_TEST(to_string(h.phase) == "running");
    BOOST_TEST(h.task == "task-1");
    BOOST_TEST(h.credits == 30);
    BOOST_TEST((h.eta_s == std::optional<int>(300)));
    BOOST_TEST(h.submitted_t_ms == k_t0 + 7);
    BOOST_TEST(h.progress == 5);
    BOOST_TEST(h.key == "evb-j-req-1-1"); // from `submitting`, kept

    // No credits: 0; no progress: the progress before stays.
    Event bare = job_event(EventType::submitted, "k", k_t0 + 2);
    auto const r2 = replay_text(text_of({submitting("k", k_t0), progress("k", k_t0 + 1, 3), bare}));
    BOOST_TEST(history(r2, "k").credits == 0);
    BOOST_TEST(history(r2, "k").progress == 3);
    BOOST_TEST(!history(r2, "k").eta_s.has_value());
}

BOOST_AUTO_TEST_CASE(progress_changes_progress_only) {
    auto const r = replay_text(text_of({submitting("j", k_t0), submitted("j", k_t0 + 1, "task-1"),
                                        progress("j", k_t0 + 2, 40), progress("j", k_t0 + 3, 60)}));
    auto const& h = history(r, "j");
    BOOST_TEST(to_string(h.phase) == "running");
    BOOST_TEST(h.progress == 60);
    BOOST_TEST(h.submitted_t_ms == k_t0 + 1);
    BOOST_TEST(h.last_t_ms == k_t0 + 3);
    // Progress before any submitting leaves the default phase alone.
    auto const early = replay_text(text_of({progress("k", k_t0, 10)}));
    BOOST_TEST(to_string(history(early, "k").phase) == "submitting");
    BOOST_TEST(history(early, "k").progress == 10);
}

BOOST_AUTO_TEST_CASE(completed_keeps_results_credits_and_a_problem) {
    auto done = with_error(completed("j", k_t0 + 9), "partial", "one of two outputs");
    auto const r = replay_text(text_of(
        {submitting("j", k_t0), submitted("j", k_t0 + 1, "task-1"), progress("j", k_t0 + 2, 70), done}));
    auto const& h = history(r, "j");
    BOOST_TEST(to_string(h.phase) == "completed");
    BOOST_TEST(h.results == done.results);
    BOOST_TEST(h.credits == 28); // used, replacing the 30 reserved
    BOOST_TEST_REQUIRE(h.error.has_value());
    BOOST_TEST(h.error->code == "partial");
    BOOST_TEST(h.finished_t_ms == k_t0 + 9);
    BOOST_TEST(h.progress == 100);
    BOOST_TEST(h.task == "task-1");

    // Without credits the reserved ones stay; without an error there is none.
    Event plain = job_event(EventType::completed, "k", k_t0 + 3);
    auto const r2 = replay_text(text_of({submitting("k", k_t0), submitted("k", k_t0 + 1, "task-2"), plain}));
    BOOST_TEST(history(r2, "k").credits == 30);
    BOOST_TEST(!history(r2, "k").error.has_value());
    BOOST_TEST(history(r2, "k").results.empty());
}

BOOST_AUTO_TEST_CASE(failed_uncertain_and_unsent_say_why) {
    auto failed = with_error(job_event(EventType::failed, "f", k_t0 + 5), "content_policy_violation", "no");
    auto failed_task = failed;
    failed_task.job = "g";
    failed_task.task = "task-from-failure";
    auto const r = replay_text(text_of({
        submitting("f", k_t0),
        submitted("f", k_t0 + 1, "task-f"),
        failed,
        submitting("g", k_t0),
        failed_task,
        submitting("u", k_t0),
        with_error(job_event(EventType::uncertain, "u", k_t0 + 6), "no_answer", "reset"),
        submitting("n", k_t0),
        with_error(job_event(EventType::unsent, "n", k_t0 + 7), "rate_limited", "429"),
    }));
    auto const& f = history(r, "f");
    BOOST_TEST(to_string(f.phase) == "failed");
    BOOST_TEST(f.task == "task-f"); // kept when the event names none
    BOOST_TEST(f.finished_t_ms == k_t0 + 5);
    BOOST_TEST((f.error == EventError{"content_policy_violation", "no"}));
    BOOST_TEST(history(r, "g").task == "task-from-failure");

    auto const& u = history(r, "u");
    BOOST_TEST(to_string(u.phase) == "uncertain");
    BOOST_TEST((u.error == EventError{"no_answer", "reset"}));
    BOOST_TEST(u.finished_t_ms == k_t0 + 6);

    auto const& n = history(r, "n");
    BOOST_TEST(to_string(n.phase) == "unsent");
    BOOST_TEST((n.error == EventError{"rate_limited", "429"}));
    BOOST_TEST(n.finished_t_ms == 0);     // nothing finished: no task exists
    BOOST_TEST(n.key == "evb-n-req-1-1"); // the key resume sends again
    BOOST_TEST(n.last_t_ms == k_t0 + 7);
}

BOOST_AUTO_TEST_CASE(an_uncertain_create_keeps_the_task_it_names) {
    // The create was answered with a task id no read can use: the task exists, so the ledger
    // keeps its id (for support), while the job stays uncertain and counted at risk.
    auto odd = with_error(job_event(EventType::uncertain, "o", k_t0 + 2), "invalid_task_id", "control character");
    odd.task = "task-unified-1-\x1b[2J";
    auto const r = replay_text(text_of({submitting("o", k_t0), odd}));
    auto const& o = history(r, "o");
    BOOST_TEST(to_string(o.phase) == "uncertain");
    BOOST_TEST(o.task == "task-unified-1-\x1b[2J");
    BOOST_TEST(o.key == "evb-o-req-1-1");
}

BOOST_AUTO_TEST_CASE(downloads_are_listed_in_order) {
    auto const r = replay_text(text_of({submitting("j", k_t0), submitted("j", k_t0 + 1, "task-1"),
                                        completed("j", k_t0 + 2), downloaded("j", k_t0 + 3, "out/j.mp4", 100),
                                        downloaded("j", k_t0 + 4, "out/j-2.mp4", 200)}));
    auto const& h = history(r, "j");
    BOOST_TEST_REQUIRE(h.downloads.size() == 2U);
    BOOST_TEST(h.downloads[0].file == "out/j.mp4");
    BOOST_TEST(h.downloads[0].bytes == 100U);
    BOOST_TEST(h.downloads[0].sha256 == "e3b0c442");
    BOOST_TEST(h.downloads[0].t_ms == k_t0 + 3);
    BOOST_TEST(h.downloads[1].file == "out/j-2.mp4");
    BOOST_TEST(to_string(h.phase) == "completed"); // a download changes no phase
}

BOOST_AUTO_TEST_CASE(batches_jobs_in_order_counts_and_times) {
    auto const r = replay_text(text_of(realistic_events()));
    BOOST_TEST(r.events == 18U); // batch lines count too
    BOOST_TEST_REQUIRE(r.batches.size() == 2U);
    BOOST_TEST(r.batches[0].t_ms == k_t0);
    BOOST_TEST(r.batches[0].manifest == "jobs/demo.yaml");
    BOOST_TEST(r.batches[0].digest == "sha256:aa");
    BOOST_TEST(r.batches[1].digest == "sha256:bb");
    std::vector<std::string> ids;
    for (auto const& h : r.jobs) {
        ids.push_back(h.job);
        BOOST_TEST(r.index.at(h.job) == ids.size() - 1);
    }
    BOOST_TEST(ids == (std::vector<std::string>{"beach-01", "city-02", "dunes-03", "forest-04"}));
    BOOST_TEST(r.index.size() == 4U);
    BOOST_TEST(r.find("nowhere") == nullptr);
    BOOST_TEST(r.find("") == nullptr);

    auto const& city = history(r, "city-02");
    BOOST_TEST(city.first_t_ms == k_t0 + 11);
    BOOST_TEST(city.last_t_ms == k_t0 + 70'000);
    BOOST_TEST(city.submitting_t_ms == k_t0 + 60'010);
    BOOST_TEST(city.attempt == 2);
    BOOST_TEST(city.task == "task-c2");
    BOOST_TEST(city.progress == 80);
    BOOST_TEST(!city.error.has_value()); // the first attempt's failure went with it
    BOOST_TEST(city.superseded_events == 0U);
    BOOST_TEST(history(r, "beach-01").downloads.size() == 1U);
    BOOST_TEST(r.torn_tail_bytes == 0U);
}

BOOST_AUTO_TEST_CASE(a_changed_request_restarts_the_history_in_place) {
    auto const r = replay_text(text_of({
        submitting("a", k_t0), submitting("b", k_t0 + 1), submitted("a", k_t0 + 2, "task-a"),
        completed("a", k_t0 + 3), downloaded("a", k_t0 + 4, "out/a.mp4", 5), // 4 events of a under req-1
        submitting("a", k_t0 + 100, 1, "req-2"),                             // the manifest changed
        job_event(EventType::progress, "a", k_t0 + 101, "req-2"),            // 2 events of req-2
        submitting("a", k_t0 + 200, 1, "req-3"),                             // changed again
    }));
    BOOST_TEST_REQUIRE(r.jobs.size() == 2U);
    BOOST_TEST(r.jobs[0].job == "a"); // still first
    BOOST_TEST(r.index.at("a") == 0U);
    auto const& a = history(r, "a");
    BOOST_TEST(a.req == "req-3");
    BOOST_TEST(a.version == 3);
    BOOST_TEST(a.superseded_events == 6U);
    BOOST_TEST(a.first_t_ms == k_t0 + 200);
    BOOST_TEST(a.last_t_ms == k_t0 + 200);
    BOOST_TEST(to_string(a.phase) == "submitting");
    BOOST_TEST(a.key == "evb-a-req-3-1");
    BOOST_TEST(a.task.empty());
    BOOST_TEST(a.results.empty());
    BOOST_TEST(a.downloads.empty());
    BOOST_TEST(a.credits == 0);
    BOOST_TEST(history(r, "b").superseded_events == 0U);
    BOOST_TEST(history(r, "b").version == 1);
    BOOST_TEST(r.events == 8U);
    // What the earlier requests paid for stays: req-1's completed task with its file, and
    // req-2's create, which may have made a task.
    BOOST_TEST_REQUIRE(a.earlier.size() == 2U);
    BOOST_TEST(a.earlier[0].req == "req-1");
    BOOST_TEST(a.earlier[0].version == 1);
    BOOST_TEST(to_string(a.earlier[0].phase) == "completed");
    BOOST_TEST(a.earlier[0].task == "task-a");
    BOOST_TEST(a.earlier[0].credits == 28);
    BOOST_TEST_REQUIRE(a.earlier[0].downloads.size() == 1U);
    BOOST_TEST(a.earlier[0].downloads[0].file == "out/a.mp4");
    BOOST_TEST(a.earlier[1].req == "req-2");
    BOOST_TEST(a.earlier[1].version == 2);
    BOOST_TEST(to_string(a.earlier[1].phase) == "submitting");

    // Any event of another request restarts it, whatever its type: here a `progress`.
    auto const r2 = replay_text(text_of({submitting("a", k_t0), submitted("a", k_t0 + 1, "t"),
                                         job_event(EventType::progress, "a", k_t0 + 2, "req-9")}));
    BOOST_TEST(history(r2, "a").req == "req-9");
    BOOST_TEST(history(r2, "a").task.empty());
    BOOST_TEST(history(r2, "a").superseded_events == 2U);
    BOOST_TEST(history(r2, "a").first_t_ms == k_t0 + 2);
    BOOST_TEST(history(r2, "a").earlier.size() == 1U);
}

BOOST_AUTO_TEST_CASE(a_forced_resend_under_the_same_key_is_an_attempt_of_its_own) {
    Event forced = submitting("a", k_t0 + 20, 2);
    forced.key = submitting("a", k_t0).key; // --resubmit-uncertain: the first attempt's key, attempt 2
    auto const r = replay_text(text_of({
        submitting("a", k_t0), with_error(job_event(EventType::uncertain, "a", k_t0 + 1), "no_answer", "cut"),
        submitting("a", k_t0 + 10), // a resend inside the key's window: the same attempt
        with_error(job_event(EventType::uncertain, "a", k_t0 + 11), "no_answer", "cut again"),
        forced, submitted("a", k_t0 + 21, "task-2"),
    }));
    auto const& a = history(r, "a");
    BOOST_TEST(a.attempt == 2);
    BOOST_TEST(a.task == "task-2");
    BOOST_TEST_REQUIRE(a.earlier.size() == 1U); // the first create, which may have made a task
    BOOST_TEST(a.earlier[0].attempt == 1);
    BOOST_TEST(to_string(a.earlier[0].phase) == "uncertain");
    BOOST_TEST(a.earlier[0].error->message == "cut again");
}

BOOST_AUTO_TEST_CASE(a_new_attempt_keeps_the_earlier_one) {
    auto const r = replay_text(text_of({
        submitting("a", k_t0), submitted("a", k_t0 + 1, "task-1"),
        with_error(job_event(EventType::failed, "a", k_t0 + 2), "generation_timeout", "slow"),
        submitting("a", k_t0 + 10, 2), // a new attempt: a new key
        job_event(EventType::unsent, "a", k_t0 + 11),
        submitting("a", k_t0 + 20, 2), // the same key again: the same attempt
        submitted("a", k_t0 + 21, "task-2"),
    }));
    auto const& a = history(r, "a");
    BOOST_TEST(a.attempt == 2);
    BOOST_TEST(a.task == "task-2");
    BOOST_TEST(a.key_first_sent_t_ms == k_t0 + 10);
    BOOST_TEST_REQUIRE(a.earlier.size() == 1U);
    BOOST_TEST(a.earlier[0].attempt == 1);
    BOOST_TEST(a.earlier[0].task == "task-1");
    BOOST_TEST(to_string(a.earlier[0].phase) == "failed");
    BOOST_TEST(a.earlier[0].credits == 30); // reserved, then refunded
    BOOST_TEST(a.earlier[0].error->code == "generation_timeout");
}

BOOST_AUTO_TEST_CASE(a_probe_alone_leaves_a_new_job_and_the_latest_probe_of_each_url) {
    auto probe = [](std::string const& job, std::int64_t t, std::string const& url, std::string const& etag) {
        Event e = job_event(EventType::probed, job, t);
        e.url = url;
        e.bytes = 100;
        e.duration_ms = 9'000;
        e.format = "mp4";
        e.etag = etag;
        e.verdict = "usable";
        e.credits = 7;
        return e;
    };
    auto const r = replay_text(text_of({
        probe("p", k_t0, "https://h/a.mp4", "\"1\""),
        probe("q", k_t0 + 1, "https://h/b.mp4", "\"2\""),
        submitting("q", k_t0 + 2),
        probe("p", k_t0 + 3, "https://h/a.mp4", "\"3\""), // probed again: the latest counts
    }));
    auto const& p = history(r, "p");
    BOOST_TEST(to_string(p.phase) == "probed"); // nothing sent: resume treats it as new
    BOOST_TEST(p.key.empty());
    BOOST_TEST(to_string(history(r, "q").phase) == "submitting"); // a probe never changes a sent job
    BOOST_TEST_REQUIRE(r.probes.size() == 2U);
    auto const* a = r.find_probe("https://h/a.mp4");
    BOOST_TEST_REQUIRE(a != nullptr);
    BOOST_TEST(a->etag == "\"3\"");
    BOOST_TEST(a->t_ms == k_t0 + 3);
    BOOST_TEST(a->duration_ms.value_or(0) == 9'000);
    BOOST_TEST(a->credits.value_or(0) == 7);
    BOOST_TEST(a->verdict == "usable");
    BOOST_TEST(r.find_probe("https://h/c.mp4") == nullptr);
}

BOOST_AUTO_TEST_CASE(rejected_ends_a_job_unsent_and_keeps_an_earlier_attempt) {
    auto const r = replay_text(text_of({
        with_error(job_event(EventType::rejected, "r", k_t0), "not_a_video", "video: an HTML page"),
        submitting("s", k_t0), submitted("s", k_t0 + 1, "task-1"),
        with_error(job_event(EventType::failed, "s", k_t0 + 2), "generation_timeout", "slow"),
        with_error(job_event(EventType::rejected, "s", k_t0 + 3), "unreachable", "video: HTTP 404"),
    }));
    auto const& rj = history(r, "r");
    BOOST_TEST(to_string(rj.phase) == "rejected");
    BOOST_TEST((rj.error == EventError{"not_a_video", "video: an HTML page"}));
    BOOST_TEST(rj.key.empty());
    BOOST_TEST(rj.attempt == 1);
    auto const& s = history(r, "s"); // its retry's source broke: the failed attempt stays real
    BOOST_TEST(to_string(s.phase) == "rejected");
    BOOST_TEST(s.attempt == 2);
    BOOST_TEST(s.task.empty());
    BOOST_TEST_REQUIRE(s.earlier.size() == 1U);
    BOOST_TEST(s.earlier[0].task == "task-1");
    BOOST_TEST(to_string(s.earlier[0].phase) == "failed");
}

// Issue 18: what a reconcile writes.
BOOST_AUTO_TEST_CASE(adopted_makes_the_attempt_a_running_task_with_its_evidence) {
    auto const r = replay_text(text_of({
        submitting("a", k_t0),
        with_error(job_event(EventType::uncertain, "a", k_t0 + 5), "no_answer", "cut"),
        with_evidence(adopted("a", k_t0 + 100'000, "task-unified-aaa"), "task-unified-aaa@1767225600"),
        progress("a", k_t0 + 101'000, 30),
    }));
    auto const& a = history(r, "a");
    BOOST_TEST(to_string(a.phase) == "running");
    BOOST_TEST(a.task == "task-unified-aaa");
    BOOST_TEST(a.attempt == 1);
    BOOST_TEST(a.key == "evb-a-req-1-1");
    BOOST_TEST(a.credits == 12);
    BOOST_TEST(a.submitted_t_ms == k_t0 + 100'000);
    BOOST_TEST(a.finished_t_ms == 0);
    BOOST_TEST(!a.error.has_value()); // the uncertainty it settled
    BOOST_TEST(a.progress == 30);
    BOOST_TEST(a.earlier.empty());
    BOOST_TEST_REQUIRE(a.listed.has_value());
    BOOST_TEST(a.listed->verdict == "listed");
    BOOST_TEST(a.listed->pages == 2);
    BOOST_TEST(a.listed->span_from == 1'767'225'590);
    BOOST_TEST(a.listed->span_to == 1'767'225'640);
    BOOST_TEST((a.listed->candidates == std::vector<ListedCandidate>{{"task-unified-aaa", 1'767'225'600}}));

    // A person's --adopt after an ambiguous reconcile: the list's candidates stay, as the
    // evidence the person chose from; the task is the one named.
    auto const asked = replay_text(text_of({
        submitting("b", k_t0),
        with_evidence(with_error(job_event(EventType::uncertain, "b", k_t0 + 50'000), "ambiguous", "2 fit"),
                      "task-unified-aaa@1767225600 task-unified-bbb@1767225603"),
        [] {
            Event e = adopted("b", k_t0 + 60'000, "task-unified-bbb");
            e.verdict = "asked";
            return e;
        }(),
        completed("b", k_t0 + 90'000),
    }));
    auto const& b = history(asked, "b");
    BOOST_TEST(to_string(b.phase) == "completed");
    BOOST_TEST(b.task == "task-unified-bbb");
    BOOST_TEST(b.submitted_t_ms == k_t0 + 60'000);
    BOOST_TEST_REQUIRE(b.listed.has_value());
    BOOST_TEST(b.listed->candidates.size() == 2U);
}

BOOST_AUTO_TEST_CASE(adopted_names_its_attempt_by_number_and_key) {
    // --resubmit-uncertain sent the first key again as attempt 2; the list then showed the first
    // create's task: attempt 1 (an earlier attempt now) is adopted, attempt 2 stays as it was.
    Event forced = submitting("a", k_t0 + 20, 2);
    forced.key = submitting("a", k_t0).key;
    Event first = adopted("a", k_t0 + 30, "task-1");
    auto const r = replay_text(text_of({
        submitting("a", k_t0), with_error(job_event(EventType::uncertain, "a", k_t0 + 1), "no_answer", "cut"),
        forced, first,
    }));
    auto const& a = history(r, "a");
    BOOST_TEST(to_string(a.phase) == "submitting");
    BOOST_TEST(a.attempt == 2);
    BOOST_TEST(a.task.empty());
    BOOST_TEST_REQUIRE(a.earlier.size() == 1U);
    BOOST_TEST(to_string(a.earlier[0].phase) == "running");
    BOOST_TEST(a.earlier[0].task == "task-1");
    BOOST_TEST(a.earlier[0].credits == 12);

    // An attempt the job never had: the current one, as `submitted` would be.
    auto const odd = replay_text(text_of({submitting("c", k_t0), adopted("c", k_t0 + 5, "task-9", 7)}));
    BOOST_TEST(to_string(history(odd, "c").phase) == "running");
    BOOST_TEST(history(odd, "c").task == "task-9");
    BOOST_TEST(history(odd, "c").attempt == 1);
}

BOOST_AUTO_TEST_CASE(a_reconciles_unsent_and_uncertain_keep_the_evidence) {
    auto const r = replay_text(text_of({
        submitting("n", k_t0),
        with_error(job_event(EventType::uncertain, "n", k_t0 + 5), "no_answer", "cut"),
        with_evidence(job_event(EventType::unsent, "n", k_t0 + 100'000), ""),
        submitting("u", k_t0),
        with_error(job_event(EventType::uncertain, "u", k_t0 + 6), "no_answer", "cut"),
        with_evidence(with_error(job_event(EventType::uncertain, "u", k_t0 + 100'000), "ambiguous", "2 fit"),
                      "task-unified-aaa@1767225600  bad-token @5 x@ y@12z task-unified-bbb@1767225603 a@b@7"),
    }));
    auto const& n = history(r, "n");
    BOOST_TEST(to_string(n.phase) == "unsent");
    BOOST_TEST_REQUIRE(n.listed.has_value());
    BOOST_TEST(n.listed->candidates.empty());
    BOOST_TEST(n.listed->pages == 2);

    auto const& u = history(r, "u");
    BOOST_TEST(to_string(u.phase) == "uncertain");
    BOOST_TEST(u.error->code == "ambiguous");
    BOOST_TEST(u.finished_t_ms == k_t0 + 6); // the span's end stays the create's, not the reconcile's
    BOOST_TEST_REQUIRE(u.listed.has_value());
    BOOST_TEST((u.listed->candidates == std::vector<ListedCandidate>{{"task-unified-aaa", 1'767'225'600},
                                                                     {"task-unified-bbb", 1'767'225'603},
                                                                     {"a@b", 7}}));

    // A new POST makes the evidence void.
    auto const again = replay_text(text_of({
        submitting("n", k_t0), with_evidence(job_event(EventType::unsent, "n", k_t0 + 100'000), ""),
        submitting("n", k_t0 + 200'000, 2),
    }));
    auto const& n2 = history(again, "n");
    BOOST_TEST(!n2.listed.has_value());
    BOOST_TEST_REQUIRE(n2.earlier.size() == 1U);
    BOOST_TEST(n2.earlier[0].listed.has_value()); // kept with the attempt it was about
}

BOOST_AUTO_TEST_CASE(candidates_text_is_read_defensively) {
    BOOST_TEST(parse_candidates("").empty());
    BOOST_TEST(parse_candidates("   ").empty());
    BOOST_TEST(parse_candidates("@5 x@ x@-").empty());
    BOOST_TEST((parse_candidates("t@1 u@-2") == std::vector<ListedCandidate>{{"t", 1}, {"u", -2}}));
    BOOST_TEST(parse_candidates("t@99999999999999999999").empty()); // out of range
    // The listed length after '~', and '!' for one not of the job's clip length.
    BOOST_TEST((parse_candidates("t@1~8 u@2~14.5! v@3!") ==
                std::vector<ListedCandidate>{{"t", 1, 8.0}, {"u", 2, 14.5, false}, {"v", 3, std::nullopt, false}}));
    BOOST_TEST(parse_candidates("t@1~ t@1~x t@1~nan t@1~inf t@1~8s t@1!~8 t@~8").empty());
}

BOOST_AUTO_TEST_CASE(candidates_text_reads_back_as_itself) {
    std::vector<ListedCandidate> const candidates{
        {"task-unified-1796500669-zp6ykf2f", 1'796'500'669, 8.0},
        {"task-unified-1796500669-vol3k995", 1'796'500'669, 14.5, false},
        {"task-unified-1796500670-kbzdkcd2", 1'796'500'670},
        {"task-unified-1796500671-jne9axs3", 1'796'500'671, std::nullopt, false},
    };
    std::string const text = candidates_text(candidates);
    BOOST_TEST(text == "task-unified-1796500669-zp6ykf2f@1796500669~8 task-unified-1796500669-vol3k995@1796500669~14.5! "
                       "task-unified-1796500670-kbzdkcd2@1796500670 task-unified-1796500671-jne9axs3@1796500671!");
    BOOST_TEST((parse_candidates(text) == candidates));
    BOOST_TEST(candidates_text({}).empty());
}

BOOST_AUTO_TEST_CASE(job_phase_names) {
    BOOST_TEST(to_string(JobPhase::submitting) == "submitting");
    BOOST_TEST(to_string(JobPhase::running) == "running");
    BOOST_TEST(to_string(JobPhase::completed) == "completed");
    BOOST_TEST(to_string(JobPhase::failed) == "failed");
    BOOST_TEST(to_string(JobPhase::uncertain) == "uncertain");
    BOOST_TEST(to_string(JobPhase::unsent) == "unsent");
    BOOST_TEST(to_string(JobPhase::rejected) == "rejected");
    BOOST_TEST(to_string(JobPhase::probed) == "probed");
}

BOOST_AUTO_TEST_SUITE_END()
