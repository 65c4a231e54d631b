// Ledger replay: each event's rule, request changes, batches, and what replay must do with a
// damaged file: count a last event that only lost its '\n', ignore a torn last line (at every
// byte it can be cut), and refuse, naming the line, anything else that is not an event.

#include "evobatch/ledger/replay.hpp"

#include "ledger/line_parser.hpp"

#include "common/temp_dir.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <fmt/format.h>

#include <array>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace evobatch::ledger;
using evobatch::test::TempDir;

constexpr std::int64_t k_t0 = 1'767'225'600'000;

Event job_event(EventType type, std::string const& job, std::int64_t t, std::string const& req = "req-1") {
    Event e;
    e.type = type;
    e.t_ms = t;
    e.job = job;
    e.req = req;
    return e;
}

Event submitting(std::string const& job, std::int64_t t, int attempt = 1, std::string const& req = "req-1") {
    Event e = job_event(EventType::submitting, job, t, req);
    e.attempt = attempt;
    e.key = fmt::format("evb-{}-{}-{}", job, req, attempt);
    return e;
}

Event submitted(std::string const& job, std::int64_t t, std::string const& task) {
    Event e = job_event(EventType::submitted, job, t);
    e.task = task;
    e.credits = 30;
    e.eta_s = 300;
    e.rid = "req_01";
    return e;
}

Event progress(std::string const& job, std::int64_t t, int value) {
    Event e = job_event(EventType::progress, job, t);
    e.progress = value;
    return e;
}

Event completed(std::string const& job, std::int64_t t) {
    Event e = job_event(EventType::completed, job, t);
    e.results = {"https://files.example.com/" + job + ".mp4?sig=abc"};
    e.credits = 28;
    return e;
}

Event with_error(Event e, std::string code, std::string message) {
    e.error = EventError{std::move(code), std::move(message)};
    return e;
}

Event downloaded(std::string const& job, std::int64_t t, std::string const& file, std::uint64_t bytes) {
    Event e = job_event(EventType::downloaded, job, t);
    e.file = file;
    e.bytes = bytes;
    e.sha256 = "e3b0c442";
    return e;
}

Event batch(std::int64_t t, std::string const& digest) {
    Event e;
    e.type = EventType::batch;
    e.t_ms = t;
    e.manifest = "jobs/demo.yaml";
    e.digest = digest;
    return e;
}

std::string text_of(std::vector<Event> const& events) {
    std::string text;
    for (auto const& e : events) {
        text += to_json_line(e);
    }
    return text;
}

// Every field of a history, one per line: comparing these compares all fields, and a failure
// shows which differ.
std::string describe(JobHistory const& h) {
    std::string out = fmt::format(
        "job={} req={} phase={} attempt={} key={} task={}\nfirst={} submitting={} key_first_sent={} submitted={} "
        "finished={} last={}\nprogress={} eta_s={} credits={} superseded={}\nresults=[{}]\n",
        h.job, h.req, to_string(h.phase), h.attempt, h.key, h.task, h.first_t_ms, h.submitting_t_ms,
        h.key_first_sent_t_ms,
        h.submitted_t_ms, h.finished_t_ms, h.last_t_ms, h.progress,
        h.eta_s ? std::to_string(*h.eta_s) : "none", h.credits, h.superseded_events,
        fmt::join(h.results, ", "));
    out += h.error ? fmt::format("error={}: {}\n", h.error->code, h.error->message) : "error=none\n";
    for (auto const& d : h.downloads) {
        out += fmt::format("download {} {} {} {}\n", d.file, d.bytes, d.sha256, d.t_ms);
    }
    return out;
}

// The jobs in order and the batches; the index must agree with the jobs.
std::string describe_state(Replay const& r) {
    std::string out;
    for (std::size_t i = 0; i < r.jobs.size(); ++i) {
        auto const it = r.index.find(r.jobs[i].job);
        out += fmt::format("#{} (index {})\n{}", i,
                           it == r.index.end() ? "missing" : std::to_string(it->second), describe(r.jobs[i]));
    }
    out += fmt::format("index size={}\n", r.index.size());
    for (auto const& b : r.batches) {
        out += fmt::format("batch {} {} {}\n", b.t_ms, b.manifest, b.digest);
    }
    return out;
}

JobHistory const& history(Replay const& r, std::string_view job) {
    auto const* h = r.find(job);
    BOOST_TEST_REQUIRE(h != nullptr, "no history for " << job);
    return *h;
}

// The ReplayError replay_text throws, or a failed test.
ReplayError replay_error(std::string_view text) {
    try {
        replay_text(text);
    } catch (ReplayError const& e) {
        return e;
    }
    BOOST_FAIL("replay accepted a damaged ledger:\n" << text);
    return ReplayError(0, "");
}

// A batch shaped like a real one: two runs, interleaved jobs, a retried failure, every event.
std::vector<Event> realistic_events() {
    return {
        batch(k_t0, "sha256:aa"),
        submitting("beach-01", k_t0 + 10),
        submitting("city-02", k_t0 + 11),
        submitted("beach-01", k_t0 + 300, "task-b1"),
        submitting("dunes-03", k_t0 + 301),
        submitted("city-02", k_t0 + 320, "task-c1"),
        progress("beach-01", k_t0 + 5'000, 40),
        submitting("forest-04", k_t0 + 5'001),
        with_error(job_event(EventType::unsent, "forest-04", k_t0 + 5'002), "insufficient_credits", "402"),
        progress("city-02", k_t0 + 6'000, 25),
        with_error(job_event(EventType::uncertain, "dunes-03", k_t0 + 9'000), "no_answer",
                   "connection reset"),
        completed("beach-01", k_t0 + 20'000),
        with_error(job_event(EventType::failed, "city-02", k_t0 + 21'000), "content_policy_violation",
                   "try again"),
        batch(k_t0 + 60'000, "sha256:bb"),
        submitting("city-02", k_t0 + 60'010, 2),
        downloaded("beach-01", k_t0 + 60'020, "out/beach-01.mp4", 18'000'000),
        submitted("city-02", k_t0 + 60'300, "task-c2"),
        progress("city-02", k_t0 + 70'000, 80),
    };
}

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
    BOOST_TEST(r.events == 8U);

    // Any event of another request restarts it, whatever its type: here a `progress`.
    auto const r2 = replay_text(text_of({submitting("a", k_t0), submitted("a", k_t0 + 1, "t"),
                                         job_event(EventType::progress, "a", k_t0 + 2, "req-9")}));
    BOOST_TEST(history(r2, "a").req == "req-9");
    BOOST_TEST(history(r2, "a").task.empty());
    BOOST_TEST(history(r2, "a").superseded_events == 2U);
    BOOST_TEST(history(r2, "a").first_t_ms == k_t0 + 2);
}

BOOST_AUTO_TEST_CASE(a_last_event_that_lost_only_its_newline_counts) {
    std::string text = text_of(realistic_events());
    text.pop_back();
    auto const r = replay_text(text);
    BOOST_TEST(r.events == 18U);
    BOOST_TEST(r.torn_tail_bytes == 0U);
    BOOST_TEST(history(r, "city-02").progress == 80);
    BOOST_TEST(describe_state(r) == describe_state(replay_text(text + "\n")));
}

// The issue's test: cut the last event at every byte; replay must give the state before it,
// except when only the '\n' is missing, which is the state with it.
BOOST_DATA_TEST_CASE(a_last_event_cut_at_every_byte_replays_as_before_it,
                     boost::unit_test::data::make({0, 1, 2, 3, 4}), which) {
    std::array const last_events{
        completed("city-02", k_t0 + 90'000),                                          // finishes a job
        submitting("ghost-05", k_t0 + 90'000),                                        // a job's first event
        with_error(job_event(EventType::failed, "city-02", k_t0 + 90'000), "x", "y"), // with an error
        batch(k_t0 + 90'000, "sha256:cc"),                                            // no job
        submitting("beach-01", k_t0 + 90'000, 1, "req-new"),                          // a changed request
    };
    std::string const before = text_of(realistic_events());
    std::string const line = to_json_line(last_events.at(static_cast<std::size_t>(which)));
    Replay const expected_before = replay_text(before);
    Replay const expected_with = replay_text(before + line);
    BOOST_TEST_REQUIRE(describe_state(expected_before) != describe_state(expected_with)); // the event matters
    for (std::size_t n = 0; n < line.size(); ++n) {
        std::string_view const prefix = std::string_view(line).substr(0, n);
        BOOST_TEST_CONTEXT("the last line cut to " << n << " of " << line.size() << " bytes: " << prefix) {
            Replay const r = replay_text(before + std::string(prefix));
            if (n + 1 == line.size()) {
                BOOST_TEST(describe_state(r) == describe_state(expected_with));
                BOOST_TEST(r.events == expected_with.events);
                BOOST_TEST(r.torn_tail_bytes == 0U);
            } else {
                BOOST_TEST(describe_state(r) == describe_state(expected_before));
                BOOST_TEST(r.events == expected_before.events);
                BOOST_TEST(r.torn_tail_bytes == n);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_bad_line_in_the_middle_is_refused_with_its_number) {
    auto const events = realistic_events();
    std::vector<std::string> lines;
    for (auto const& e : events) {
        lines.push_back(to_json_line(e));
    }
    auto const with_line_3 = [&](std::string const& bad) {
        std::string text;
        for (std::size_t i = 0; i < lines.size(); ++i) {
            text += i == 2 ? bad : lines[i];
        }
        return text;
    };
    // Garbage, a torn line that is not the last, an unknown event, a wrong type, another version.
    for (std::string const& bad :
         {std::string("garbage\n"), lines[2].substr(0, 30) + "\n",
          std::string(R"({"v":1,"t":5,"job":"j","req":"r","ev":"exploded"})") + "\n",
          std::string(R"({"v":1,"t":"5","job":"j","req":"r","ev":"progress"})") + "\n",
          std::string(R"({"v":2,"t":5,"job":"j","req":"r","ev":"progress"})") + "\n"}) {
        BOOST_TEST_CONTEXT(bad) {
            auto const e = replay_error(with_line_3(bad));
            BOOST_TEST(e.line() == 3U);
            std::string const what = e.what();
            BOOST_TEST(what.starts_with("line 3 (byte " + std::to_string(lines[0].size() + lines[1].size()) +
                                        ") is not a ledger event: "),
                       what);
            BOOST_TEST(what.find(bad.substr(0, 7)) != std::string::npos, what); // shows the line
            BOOST_TEST(what.find("keep the file") != std::string::npos, what);  // says what to do
        }
    }
    auto const unknown = replay_error(with_line_3(R"({"v":1,"t":5,"job":"j","req":"r","ev":"exploded"})"
                                                  "\n"));
    BOOST_TEST(std::string(unknown.what()).find("unknown event") != std::string::npos, unknown.what());
}

BOOST_AUTO_TEST_CASE(an_empty_line_is_refused) {
    std::string const one = to_json_line(submitting("a", k_t0));
    std::string const two = to_json_line(progress("a", k_t0 + 1, 5));
    BOOST_TEST(replay_error(one + "\n" + two).line() == 2U);
    BOOST_TEST(replay_error("\n" + one).line() == 1U);
    BOOST_TEST(replay_error(one + two + "\n").line() == 3U); // a '\n' after the last line
    BOOST_TEST(std::string(replay_error(one + "\n" + two).what()).find("empty") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_last_line_that_cannot_be_ours_is_refused) {
    // As the writer's repair decides: a last line that does not start like ours (`{"v":`) was
    // not torn by a crash of ours, and the writer would refuse to touch the file.
    std::string const one = to_json_line(submitting("a", k_t0));
    for (std::string const tail : {"garbage", "{\"t\":5,", "[1,2]", " {\"v\":1"}) {
        BOOST_TEST_CONTEXT(tail) {
            auto const e = replay_error(one + tail);
            BOOST_TEST(e.line() == 2U);
            BOOST_TEST(std::string(e.what()).find("last line") != std::string::npos, e.what());
        }
    }
    // Longer than any line of ours: the writer's 1 MiB bound.
    std::string const huge = R"({"v":1,"t":5,"job":"a","req":"r","ev":"failed","error":{"message":")" +
                             std::string(std::size_t{1} << 20U, 'x');
    BOOST_TEST(replay_error(one + huge).line() == 2U);
    // A whole object of a later version or with an unknown event is not an event; cut short or
    // not, the writer would cut it, so replay ignores it the same way.
    std::string const future = R"({"v":2,"t":5,"job":"a","req":"r","ev":"progress"})";
    BOOST_TEST(replay_text(one + future).torn_tail_bytes == future.size());
}

BOOST_AUTO_TEST_CASE(the_parser_reused_line_after_line_forgets_the_last_line) {
    // Replay parses every line with one parser: fields of a line must not leak into the next.
    Event full = with_error(completed("a", k_t0), "partial", "m");
    full.task = "t";
    full.progress = 99;
    Event bare = job_event(EventType::completed, "b", k_t0 + 1);
    evobatch::ledger::detail::LineParser parser;
    BOOST_TEST_REQUIRE(!parser.parse(to_json_line(full)));
    BOOST_TEST(parser.view().results.size() == 1U);
    BOOST_TEST(parser.view().has_error);
    BOOST_TEST_REQUIRE(!parser.parse(to_json_line(bare)));
    auto const& v = parser.view();
    BOOST_TEST(v.job == "b");
    BOOST_TEST(v.results.empty());
    BOOST_TEST(!v.has_error);
    BOOST_TEST(!v.task.has_value());
    BOOST_TEST(!v.progress.has_value());
    BOOST_TEST(!v.credits.has_value());
    // A failed line in between leaves nothing behind either.
    BOOST_TEST(
        bool(parser.parse(R"({"v":1,"t":5,"job":"c","req":"r","ev":"completed","results":["x"],"tas)")));
    BOOST_TEST_REQUIRE(!parser.parse(to_json_line(bare)));
    BOOST_TEST(parser.view().results.empty());

    auto const r = replay_text(text_of({full, bare}));
    BOOST_TEST(history(r, "b").results.empty());
    BOOST_TEST(!history(r, "b").error.has_value());
}

BOOST_AUTO_TEST_CASE(a_file_replays_as_its_text_across_read_chunks) {
    // Over 3 MiB (replay_file reads 1 MiB at a time), a line longer than a chunk in the middle
    // and a torn last line: the file must replay exactly as its text does.
    std::vector<Event> events;
    for (int i = 0; i < 12'000; ++i) {
        std::string const job = fmt::format("job-{:05}", i % 3'000);
        switch (i / 3'000) {
        case 0:
            events.push_back(submitting(job, k_t0 + i));
            break;
        case 1:
            events.push_back(submitted(job, k_t0 + i, "task-" + job));
            break;
        case 2:
            events.push_back(progress(job, k_t0 + i, 50));
            break;
        default:
            events.push_back(completed(job, k_t0 + i));
            break;
        }
        if (i == 5'000) {
            events.push_back(with_error(job_event(EventType::failed, "long", k_t0 + i), "server_error",
                                        std::string(std::size_t{3} << 20U, 'm')));
        }
    }
    std::string text = text_of(events);
    text += to_json_line(completed("job-00000", k_t0 + 99'999)).substr(0, 40);
    BOOST_TEST_REQUIRE(text.size() > (std::size_t{4} << 20U));
    TempDir dir;
    auto const path = dir.write("ledger.jsonl", text);
    Replay const from_file = replay_file(path);
    Replay const from_text = replay_text(text);
    BOOST_TEST(from_file.events == events.size());
    BOOST_TEST(from_file.events == from_text.events);
    BOOST_TEST(from_file.torn_tail_bytes == 40U);
    BOOST_TEST(from_file.jobs.size() == 3'001U);
    BOOST_TEST(history(from_file, "long").error->message.size() == std::size_t{3} << 20U);
    BOOST_TEST((describe_state(from_file) == describe_state(from_text)));

    // A bad line in a later chunk is named by its number in the whole file.
    text.insert(text.size() - 40, "oops\n");
    auto const bad = dir.write("bad.jsonl", text);
    try {
        replay_file(bad);
        BOOST_FAIL("a damaged file replayed");
    } catch (ReplayError const& e) {
        BOOST_TEST(e.line() == events.size() + 1);
    }
}

BOOST_AUTO_TEST_CASE(job_phase_names) {
    BOOST_TEST(to_string(JobPhase::submitting) == "submitting");
    BOOST_TEST(to_string(JobPhase::running) == "running");
    BOOST_TEST(to_string(JobPhase::completed) == "completed");
    BOOST_TEST(to_string(JobPhase::failed) == "failed");
    BOOST_TEST(to_string(JobPhase::uncertain) == "uncertain");
    BOOST_TEST(to_string(JobPhase::unsent) == "unsent");
}

BOOST_AUTO_TEST_SUITE_END()
