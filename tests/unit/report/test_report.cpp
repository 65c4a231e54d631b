// The report: rows and totals from a manifest and a hand-built replay (states, durations,
// changed entries, failure reasons), and the three writers: CSV quoting and its formula guard,
// the JSON fields, HTML escaping of hostile server text and prompts, one SVG bar per task (every
// attempt, earlier requests' too) or aggregate charts above the threshold, result links
// relative to the page, failure reasons linking their jobs.

#include "evobatch/report/render.hpp"
#include "evobatch/report/report_model.hpp"

#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/loader.hpp"
#include "evobatch/jobs/request_of.hpp"
#include "common/temp_dir.hpp"
#include "report/detail/charts.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace evobatch;
using report::Report;

constexpr std::int64_t k_t0 = 1'767'225'600'000; // 2026-01-01T00:00:00Z

constexpr std::string_view k_manifest = R"(version: 1
defaults:
  prompt: Make it blue
output:
  ledger: l.jsonl
  dir: out
jobs:
  - id: done
    video: https://cdn.example.com/done.mp4
  - id: broken
    video: https://cdn.example.com/broken.mp4
  - id: busy
    video: https://cdn.example.com/busy.mp4
  - id: fresh
    video: https://cdn.example.com/fresh.mp4
  - id: edited
    video: https://cdn.example.com/edited.mp4
  - id: lost
    video: https://cdn.example.com/lost.mp4
  - id: broken-too
    video: https://cdn.example.com/broken-too.mp4
)";

manifest::Manifest load() {
    auto loaded = manifest::load_manifest_text(k_manifest, "m.yaml", ".");
    BOOST_TEST_REQUIRE(loaded.ok());
    return *loaded.manifest;
}

std::string digest_of(manifest::Manifest const& m, std::string_view id) {
    for (manifest::Job const& j : m.jobs) {
        if (j.id == id) {
            return jobs::request_digest(jobs::request_of(j));
        }
    }
    throw std::logic_error("test bug: no job " + std::string(id));
}

ledger::JobHistory history(manifest::Manifest const& m, std::string const& id, ledger::JobPhase phase) {
    ledger::JobHistory h;
    h.job = id;
    h.req = digest_of(m, id);
    h.phase = phase;
    h.key = "evb-key-" + id; // every attempt in a ledger went out under a key
    h.first_t_ms = k_t0;
    h.last_t_ms = k_t0;
    return h;
}

void add(ledger::Replay& r, ledger::JobHistory h) {
    r.index[h.job] = r.jobs.size();
    r.jobs.push_back(std::move(h));
}

// done: completed in 42.5 s (estimate 300 s), one file; broken/broken-too: failed tasks; busy:
// running; fresh: not in the ledger; edited: ledger request differs; lost: uncertain, no task.
ledger::Replay sample_replay(manifest::Manifest const& m, std::string const& hostile = "bad input") {
    ledger::Replay r;
    r.events = 20;
    r.batches.push_back(ledger::BatchStart{k_t0 - 500, "m.yaml", "abc"});

    auto done = history(m, "done", ledger::JobPhase::completed);
    done.task = "task-1";
    done.submitted_t_ms = k_t0 + 1'000;
    done.finished_t_ms = k_t0 + 43'500;
    done.last_t_ms = k_t0 + 45'000;
    done.eta_s = 300;
    done.credits = 28;
    done.results = {"https://files.example.com/r/done.mp4?sig=1"};
    done.downloads.push_back(ledger::Download{"out/done.mp4", 1024, std::string(64, 'a'), k_t0 + 45'000});
    add(r, done);

    auto broken = history(m, "broken", ledger::JobPhase::failed);
    broken.task = "task-2";
    broken.attempt = 3;
    broken.submitted_t_ms = k_t0 + 2'000;
    broken.finished_t_ms = k_t0 + 12'000;
    broken.last_t_ms = broken.finished_t_ms;
    broken.eta_s = 120;
    broken.credits = 40; // reserved by `submitted`, refunded when the task failed
    broken.error = ledger::EventError{"content_policy_violation", hostile};
    add(r, broken);

    auto busy = history(m, "busy", ledger::JobPhase::running);
    busy.task = "task-3";
    busy.submitted_t_ms = k_t0 + 3'000;
    busy.last_t_ms = k_t0 + 50'000;
    busy.credits = 30;
    add(r, busy);

    auto edited = history(m, "edited", ledger::JobPhase::completed);
    edited.req = "an-older-request";
    edited.task = "task-4";
    edited.submitted_t_ms = k_t0 + 4'000;
    edited.finished_t_ms = k_t0 + 9'000;
    edited.credits = 10;
    add(r, edited);

    auto lost = history(m, "lost", ledger::JobPhase::uncertain);
    lost.error = ledger::EventError{"no_answer", "the create was sent, its answer lost"};
    add(r, lost);

    auto broken_too = history(m, "broken-too", ledger::JobPhase::failed);
    broken_too.task = "task-5";
    broken_too.submitted_t_ms = k_t0 + 5'000;
    broken_too.finished_t_ms = k_t0 + 6'000;
    broken_too.error = ledger::EventError{"content_policy_violation", "=cmd|' /C calc'!A0"};
    add(r, broken_too);
    return r;
}

Report sample_report(std::string const& hostile = "bad input") {
    auto const m = load();
    return report::build_report(m, sample_replay(m, hostile), "l.jsonl", k_t0 + 60'000);
}

report::Row const& row(Report const& r, std::string_view id) {
    for (auto const& row : r.rows) {
        if (row.id == id) {
            return row;
        }
    }
    throw std::logic_error("test bug: no row " + std::string(id));
}

std::size_t count(std::string_view text, std::string_view needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + 1)) {
        ++n;
    }
    return n;
}

// sample_replay, and: done's first request (v1, task-0, out/done.mp4) before the current one
// (v2, task-1, out/done@v2.mp4); broken's two earlier attempts (task-2a, task-2b), both failed.
ledger::Replay replay_with_history(manifest::Manifest const& m) {
    ledger::Replay r = sample_replay(m);
    ledger::JobHistory& done = r.jobs[r.index.at("done")];
    ledger::Attempt first;
    first.req = "the-first-request";
    first.phase = ledger::JobPhase::completed;
    first.key = "evb-key-done-v1";
    first.task = "task-0";
    first.submitting_t_ms = k_t0 + 100;
    first.submitted_t_ms = k_t0 + 200;
    first.finished_t_ms = k_t0 + 700;
    first.credits = 12;
    first.results = {"https://files.example.com/r/first.mp4?sig=0"};
    first.downloads.push_back(ledger::Download{"out/done.mp4", 512, std::string(64, 'b'), k_t0 + 800});
    done.earlier.push_back(first);
    done.version = 2;
    done.downloads.at(0).file = "out/done@v2.mp4";
    ledger::JobHistory& broken = r.jobs[r.index.at("broken")];
    for (int attempt = 1; attempt <= 2; ++attempt) {
        ledger::Attempt a;
        a.req = broken.req;
        a.phase = ledger::JobPhase::failed;
        a.attempt = attempt;
        a.key = fmt::format("evb-key-broken-{}", attempt);
        a.task = fmt::format("task-2{}", attempt == 1 ? 'a' : 'b');
        a.submitting_t_ms = k_t0 + attempt * 300;
        a.submitted_t_ms = a.submitting_t_ms + 50;
        a.finished_t_ms = a.submitted_t_ms + 200;
        a.credits = 40;
        a.error = ledger::EventError{"internal_error", "try again"};
        broken.earlier.push_back(a);
    }
    return r;
}

Report history_report() {
    auto const m = load();
    return report::build_report(m, replay_with_history(m), "l.jsonl", k_t0 + 60'000);
}

// `n` rows with one completed task each, 100 ms apart: a batch of any size.
Report report_of_tasks(std::size_t n) {
    Report r = sample_report();
    report::Row const base = row(r, "done");
    r.rows.clear();
    for (std::size_t i = 0; i < n; ++i) {
        report::Row copy = base;
        copy.id = "job-" + std::to_string(i);
        for (report::TaskRun& run : copy.runs) {
            run.submitting_t_ms += static_cast<std::int64_t>(i) * 100;
            run.submitted_t_ms += static_cast<std::int64_t>(i) * 100;
            run.finished_t_ms += static_cast<std::int64_t>(i) * 100;
        }
        r.rows.push_back(copy);
    }
    r.totals.tasks = n;
    return r;
}

std::string page(Report const& r) {
    return report::render_html(r, "out");
}

// A strict RFC 4180 reader: records of fields, CRLF between records.
std::vector<std::vector<std::string>> parse_csv(std::string_view text) {
    std::vector<std::vector<std::string>> records(1, std::vector<std::string>(1));
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char const c = text[i];
        std::string& field = records.back().back();
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            BOOST_TEST_REQUIRE(field.empty()); // a quote only opens a field
            quoted = true;
        } else if (c == ',') {
            records.back().emplace_back();
        } else if (c == '\r') {
            BOOST_TEST_REQUIRE(text.substr(i, 2) == "\r\n");
            ++i;
            records.emplace_back(1);
        } else {
            BOOST_TEST_REQUIRE(c != '\n'); // a bare LF outside quotes is not RFC 4180
            field += c;
        }
    }
    BOOST_TEST_REQUIRE(!quoted);
    BOOST_TEST_REQUIRE(records.back() == std::vector<std::string>(1)); // ends with CRLF
    records.pop_back();
    return records;
}

} // namespace

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

BOOST_AUTO_TEST_CASE(iso8601) {
    BOOST_TEST(report::iso8601_utc(0) == "1970-01-01T00:00:00.000Z");
    BOOST_TEST(report::iso8601_utc(k_t0) == "2026-01-01T00:00:00.000Z");
    BOOST_TEST(report::iso8601_utc(951'782'400'000 + 86'399'999) == "2000-02-29T23:59:59.999Z"); // leap day
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(report_csv)

BOOST_AUTO_TEST_CASE(fields_are_quoted_as_rfc_4180_says) {
    BOOST_TEST(report::csv_text_field("plain text") == "plain text");
    BOOST_TEST(report::csv_text_field("") == "");
    BOOST_TEST(report::csv_text_field("a,b") == "\"a,b\"");
    BOOST_TEST(report::csv_text_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    BOOST_TEST(report::csv_text_field("two\nlines") == "\"two\nlines\"");
    BOOST_TEST(report::csv_text_field("cr\rhere") == "\"cr\rhere\"");
}

BOOST_AUTO_TEST_CASE(formula_starts_get_an_apostrophe) {
    BOOST_TEST(report::csv_text_field("=1+2") == "'=1+2");
    BOOST_TEST(report::csv_text_field("+1") == "'+1");
    BOOST_TEST(report::csv_text_field("-1") == "'-1");
    BOOST_TEST(report::csv_text_field("@SUM(A1)") == "'@SUM(A1)");
    BOOST_TEST(report::csv_text_field("\tx") == "'\tx");
    BOOST_TEST(report::csv_text_field("=HYPERLINK(\"http://x\",\"y\")") ==
               "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    BOOST_TEST(report::csv_text_field("a=b") == "a=b"); // only the first character matters
}

BOOST_AUTO_TEST_CASE(one_record_per_job_after_the_header) {
    Report const r = sample_report("line one,\n\"quoted\" line two");
    auto const records = parse_csv(report::render_csv(r));
    BOOST_TEST_REQUIRE(records.size() == 8u);
    // The first 14 columns as they always were (readers by position), the new ones after them.
    std::vector<std::string> const header{
        "id",       "state",       "task", "attempts", "credits", "submitted_at", "finished_at",
        "actual_s", "estimated_s", "file", "bytes",    "sha256",  "error_code",   "error_message",
        "prompt",   "video",       "note", "refunded", "tasks",   "file_versions"};
    BOOST_TEST(records[0] == header, boost::test_tools::per_element());
    for (auto const& rec : records) {
        BOOST_TEST(rec.size() == header.size());
    }
    std::vector<std::string> const done{"done",
                                        "completed",
                                        "task-1",
                                        "1",
                                        "28",
                                        "2026-01-01T00:00:01.000Z",
                                        "2026-01-01T00:00:43.500Z",
                                        "42.5",
                                        "300",
                                        "out/done.mp4",
                                        "1024",
                                        std::string(64, 'a'),
                                        "",
                                        "",
                                        "Make it blue",
                                        "https://cdn.example.com/done.mp4",
                                        "",
                                        "0",
                                        "task-1",
                                        "1"};
    BOOST_TEST(records[1] == done, boost::test_tools::per_element());
    BOOST_TEST(records[2][7] == "10");
    BOOST_TEST(records[2][13] == "line one,\n\"quoted\" line two"); // survives quoting whole
    BOOST_TEST(records[4][1] == "new");
    BOOST_TEST(records[4][4] == ""); // nothing known, not zero
    BOOST_TEST(records[7][0] == "broken-too");
    BOOST_TEST(records[7][13] == "'=cmd|' /C calc'!A0"); // a server's formula stays text
    BOOST_TEST(records[2][17] == "40");                  // broken's failed task, refunded
    BOOST_TEST(records[4][17] == "");                    // fresh: nothing known
    BOOST_TEST(!records[5][16].empty());                 // edited: what the next run does with it
}

BOOST_AUTO_TEST_CASE(every_task_and_file_version_in_one_row) {
    auto const records = parse_csv(report::render_csv(history_report()));
    BOOST_TEST_REQUIRE(records.size() == 8u);
    BOOST_TEST(records[1][0] == "done");
    BOOST_TEST(records[1][9] == "out/done.mp4;out/done@v2.mp4");
    BOOST_TEST(records[1][10] == "512;1024");
    BOOST_TEST(records[1][18] == "task-0;task-1");
    BOOST_TEST(records[1][19] == "1;2");
    BOOST_TEST(records[2][18] == "task-2a;task-2b;task-2");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(report_json)

BOOST_AUTO_TEST_CASE(document_fields) {
    auto const doc = boost::json::parse(report::render_json(sample_report())).as_object();
    BOOST_TEST(doc.at("manifest").as_string() == "m.yaml");
    BOOST_TEST(doc.at("ledger").as_string() == "l.jsonl");
    BOOST_TEST(doc.at("generated_at").as_string() == "2026-01-01T00:01:00.000Z");
    BOOST_TEST(doc.at("events").to_number<int>() == 20);
    auto const& totals = doc.at("totals").as_object();
    BOOST_TEST(totals.at("jobs").to_number<int>() == 7);
    BOOST_TEST(totals.at("tasks").to_number<int>() == 5);
    BOOST_TEST(totals.at("credits").at("charged").to_number<int>() == 38);
    BOOST_TEST(totals.at("credits").at("reserved_now").to_number<int>() == 30);
    BOOST_TEST(totals.at("credits").at("refunded").to_number<int>() == 40);
    BOOST_TEST(totals.at("wall_s").to_number<double>() == 50.5);
    BOOST_TEST(totals.at("first_event_at").as_string() == "2025-12-31T23:59:59.500Z");
    auto const& policy = totals.at("failure_reasons").at("content_policy_violation");
    BOOST_TEST(policy.at("count").to_number<int>() == 2);
    BOOST_TEST(policy.at("jobs") == boost::json::parse(R"(["broken", "broken-too"])"));
    BOOST_TEST(totals.at("failure_reasons").at("no_answer").at("jobs") == boost::json::parse(R"(["lost"])"));
    BOOST_TEST(totals.at("states").at("failed").to_number<int>() == 2);

    auto const& jobs = doc.at("jobs").as_array();
    BOOST_TEST_REQUIRE(jobs.size() == 7u);
    auto const& done = jobs[0].as_object();
    BOOST_TEST(done.at("id").as_string() == "done");
    BOOST_TEST(done.at("state").as_string() == "completed");
    BOOST_TEST(done.at("task").as_string() == "task-1");
    BOOST_TEST(done.at("attempts").to_number<int>() == 1);
    BOOST_TEST(done.at("credits").to_number<int>() == 28);
    BOOST_TEST(done.at("submitted_at").as_string() == "2026-01-01T00:00:01.000Z");
    BOOST_TEST(done.at("finished_at").as_string() == "2026-01-01T00:00:43.500Z");
    BOOST_TEST(done.at("actual_s").to_number<double>() == 42.5);
    BOOST_TEST(done.at("estimated_s").to_number<int>() == 300);
    BOOST_TEST(done.at("files").at(0).at("file").as_string() == "out/done.mp4");
    BOOST_TEST(done.at("files").at(0).at("sha256").as_string() == std::string(64, 'a'));
    BOOST_TEST(done.at("files").at(0).at("version").to_number<int>() == 1);
    BOOST_TEST(done.at("error").is_null());
    BOOST_TEST(done.at("prompt").as_string() == "Make it blue");
    BOOST_TEST(done.at("video").as_string() == "https://cdn.example.com/done.mp4");
    BOOST_TEST(done.at("note").is_null());
    BOOST_TEST(done.at("refunded").to_number<int>() == 0);
    BOOST_TEST_REQUIRE(done.at("runs").as_array().size() == 1u);
    auto const& run = done.at("runs").at(0);
    BOOST_TEST(run.at("task").as_string() == "task-1");
    BOOST_TEST(run.at("phase").as_string() == "completed");
    BOOST_TEST(run.at("current").as_bool());
    BOOST_TEST(run.at("submitted_at").as_string() == "2026-01-01T00:00:01.000Z");
    BOOST_TEST(run.at("actual_s").to_number<double>() == 42.5);
    BOOST_TEST(run.at("credits").to_number<int>() == 28);
    auto const& fresh = jobs[3].as_object();
    BOOST_TEST(fresh.at("state").as_string() == "new");
    BOOST_TEST(fresh.at("task").is_null());
    BOOST_TEST(fresh.at("submitted_at").is_null());
    BOOST_TEST(fresh.at("actual_s").is_null());
    BOOST_TEST(jobs[1].at("error").at("code").as_string() == "content_policy_violation");
    BOOST_TEST(jobs[1].at("refunded").to_number<int>() == 40);
    BOOST_TEST(jobs[3].at("runs").as_array().empty());
    BOOST_TEST(jobs[5].at("runs").at(0).at("task").is_null()); // lost: its create made no task we know
}

BOOST_AUTO_TEST_CASE(runs_and_files_of_every_request) {
    auto const doc = boost::json::parse(report::render_json(history_report())).as_object();
    auto const& done = doc.at("jobs").at(0);
    BOOST_TEST_REQUIRE(done.at("runs").as_array().size() == 2u);
    BOOST_TEST(done.at("runs").at(0).at("version").to_number<int>() == 1);
    BOOST_TEST(done.at("runs").at(0).at("task").as_string() == "task-0");
    BOOST_TEST(!done.at("runs").at(0).at("current").as_bool());
    BOOST_TEST(done.at("runs").at(1).at("version").to_number<int>() == 2);
    BOOST_TEST(done.at("runs").at(1).at("current").as_bool());
    BOOST_TEST_REQUIRE(done.at("files").as_array().size() == 2u);
    BOOST_TEST(done.at("files").at(0).at("file").as_string() == "out/done.mp4");
    BOOST_TEST(done.at("files").at(0).at("version").to_number<int>() == 1);
    BOOST_TEST(done.at("files").at(1).at("file").as_string() == "out/done@v2.mp4");
    BOOST_TEST(done.at("files").at(1).at("version").to_number<int>() == 2);
    auto const& broken = doc.at("jobs").at(1);
    BOOST_TEST_REQUIRE(broken.at("runs").as_array().size() == 3u);
    BOOST_TEST(broken.at("runs").at(0).at("error").at("code").as_string() == "internal_error");
    BOOST_TEST(broken.at("runs").at(0).at("refunded").to_number<int>() == 40);
    BOOST_TEST(broken.at("runs").at(2).at("attempt").to_number<int>() == 3);
}

BOOST_AUTO_TEST_CASE(hostile_text_round_trips) {
    std::string const hostile = "</script>\"\\\n\x01 caf\xc3\xa9";
    auto const doc = boost::json::parse(report::render_json(sample_report(hostile))).as_object();
    BOOST_TEST(doc.at("jobs").at(1).at("error").at("message").as_string() == hostile);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(report_html)

BOOST_AUTO_TEST_CASE(escape) {
    BOOST_TEST(report::html_escape("a<b>&\"c\"'d'") == "a&lt;b&gt;&amp;&quot;c&quot;&#39;d&#39;");
    BOOST_TEST(report::html_escape("caf\xc3\xa9") == "caf\xc3\xa9");
}

BOOST_AUTO_TEST_CASE(hostile_server_text_is_escaped) {
    std::string const hostile = "<script>alert(\"x\")</script><img src=x onerror='y'> & more";
    auto const m = load();
    auto replay = sample_replay(m, hostile);
    replay.jobs[2].task = "\"><svg onload=alert(1)>"; // a task id is server text too
    std::string const html = page(report::build_report(m, replay, "l.jsonl", k_t0 + 60'000));
    BOOST_TEST(html.find("<script") == std::string::npos);
    BOOST_TEST(html.find("<img") == std::string::npos);
    BOOST_TEST(html.find("<svg onload") == std::string::npos);
    BOOST_TEST(
        html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt; "
                  "&amp; more") != std::string::npos);
    BOOST_TEST(html.find("&quot;&gt;&lt;svg onload=alert(1)&gt;") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prompts_are_escaped_in_every_form) {
    std::string const text = std::string(k_manifest)
                                 .replace(k_manifest.find("prompt: Make it blue"), 20,
                                          R"(prompt: "</p><script>alert('p')</script> & \"=1+2\"")");
    auto loaded = manifest::load_manifest_text(text, "m.yaml", ".");
    BOOST_TEST_REQUIRE(loaded.ok());
    Report const r = report::build_report(*loaded.manifest, ledger::Replay{}, "l.jsonl", k_t0);
    std::string const prompt = R"(</p><script>alert('p')</script> & "=1+2")";
    BOOST_TEST(r.rows.at(0).prompt == prompt);

    std::string const html = page(r);
    BOOST_TEST(html.find("<script") == std::string::npos);
    BOOST_TEST(
        count(html, "&lt;/p&gt;&lt;script&gt;alert(&#39;p&#39;)&lt;/script&gt; &amp; &quot;=1+2&quot;") ==
        7u);
    BOOST_TEST(boost::json::parse(report::render_json(r)).at("jobs").at(0).at("prompt").as_string() ==
               prompt);
    auto const records = parse_csv(report::render_csv(r));
    BOOST_TEST(records.at(1).at(14) == prompt);
}

BOOST_AUTO_TEST_CASE(self_contained) {
    std::string const html = page(history_report());
    BOOST_TEST(html.starts_with("<!DOCTYPE html>"));
    BOOST_TEST(html.find("default-src 'none'") != std::string::npos);
    for (std::string_view fetches :
         {"<script", "<link", "<img", "<iframe", "<object", "src=", "url(", "@import"}) {
        BOOST_TEST(html.find(fetches) == std::string::npos, fetches);
    }
    // Links lead to a row of the page or to a result file; the source videos are text, never a link.
    BOOST_TEST(count(html, "href=") == count(html, "href=\"#job-") + count(html, "<a class=\"file\" href="));
    BOOST_TEST(count(html, "href=\"http") == 0u);
    BOOST_TEST(count(html, "http://www.w3.org/2000/svg") == 1u); // a namespace name, never fetched
}

BOOST_AUTO_TEST_CASE(one_bar_per_task_one_row_per_job) {
    Report const r = sample_report();
    std::string const html = page(r);
    BOOST_TEST(count(html, "<rect class=\"bar") == r.totals.tasks);
    BOOST_TEST(count(html, "<rect class=\"bar") == 5u);
    BOOST_TEST(count(html, "<tr class=\"job") == 7u);
    BOOST_TEST(count(html, "<tr class=\"job\" id=\"job-fresh\" data-job=\"fresh\" data-state=\"new\"") == 1u);
    BOOST_TEST(count(html, "<rect class=\"bar s-running\" data-job=\"busy\" data-state=\"running\"") == 1u);
    BOOST_TEST(count(html, "data-job=\"lost\"") == 1u); // its row, no bar
    BOOST_TEST(html.find("<title>done: completed, attempt 1, task task-1, 2026-01-01T00:00:01.000Z to "
                         "2026-01-01T00:00:43.500Z (42.5s; estimated 5m)</title>") != std::string::npos);
    // Each bar leads to its job's row.
    BOOST_TEST(count(html, "<a href=\"#job-done\"><rect class=\"bar") == 1u);
}

BOOST_AUTO_TEST_CASE(every_attempt_gets_a_bar_and_a_details_line) {
    Report const r = history_report();
    BOOST_TEST(r.totals.tasks == 8u);
    std::string const html = page(r);
    BOOST_TEST(count(html, "<rect class=\"bar") == 8u);
    BOOST_TEST(count(html, "<rect class=\"bar s-completed\" data-job=\"done\"") == 2u); // both requests
    BOOST_TEST(count(html, "<rect class=\"bar s-failed\" data-job=\"broken\"") == 3u);  // every attempt
    BOOST_TEST(html.find(">done v2</text>") != std::string::npos);
    BOOST_TEST(html.find(">broken #3</text>") != std::string::npos);
    BOOST_TEST(html.find("<title>done v2: completed, attempt 1, task task-1,") != std::string::npos);

    // The row's details: every attempt with its task, earlier requests' included, and every file.
    auto const done_row = html.find("id=\"job-done\"");
    auto const next_row = html.find("<tr class=\"job", done_row + 1);
    std::string const done = html.substr(done_row, next_row - done_row);
    BOOST_TEST(count(done, "<tr class=\"run\"") == 2u);
    BOOST_TEST(done.find("<summary>2 attempts, 1 of an earlier request; 2 files</summary>") !=
               std::string::npos);
    BOOST_TEST(done.find("<code>task-0</code>") < done.find("<code>task-1</code>"));
    BOOST_TEST(done.find("<tr class=\"run\" data-version=\"1\" data-attempt=\"1\">") != std::string::npos);
    BOOST_TEST(done.find("<tr class=\"run\" data-version=\"2\" data-attempt=\"1\">") != std::string::npos);
    BOOST_TEST(count(done, "<a class=\"file\" href=\"done.mp4\"") == 1u);    // v1, in the details
    BOOST_TEST(count(done, "<a class=\"file\" href=\"done@v2.mp4\"") == 2u); // v2: the result cell too
    BOOST_TEST(done.find(std::string(64, 'b')) != std::string::npos);        // whole hashes in the details
    BOOST_TEST(
        done.find("<code class=\"sha\" title=\"" + std::string(64, 'a') + "\">aaaaaaaaaaaa\u2026</code>") !=
        std::string::npos); // the table: a prefix, the whole in its title

    auto const broken_row = html.find("id=\"job-broken\"");
    std::string const broken =
        html.substr(broken_row, html.find("<tr class=\"job", broken_row + 1) - broken_row);
    BOOST_TEST(count(broken, "<tr class=\"run\"") == 3u);
    BOOST_TEST(count(broken, "<code>internal_error</code> try again") == 2u);
    BOOST_TEST(broken.find("<summary>3 attempts</summary>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(result_links_are_relative_to_the_page) {
    namespace fs = std::filesystem;
    std::string const html = report::render_html(history_report(), "out");
    BOOST_TEST(
        html.find("<a class=\"file\" href=\"done@v2.mp4\" title=\"out/done@v2.mp4\">done@v2.mp4</a>") !=
        std::string::npos);
    BOOST_TEST(report::render_html(history_report(), "").find("href=\"out/done@v2.mp4\"") !=
               std::string::npos);
    BOOST_TEST(report::render_html(history_report(), "reports/2026").find("href=\"../../out/done.mp4\"") !=
               std::string::npos);

    BOOST_TEST(report::file_href("out/demo/shot-01.mp4", "out") == "demo/shot-01.mp4");
    BOOST_TEST(report::file_href("out/demo/shot-01.mp4", ".") == "out/demo/shot-01.mp4");
    BOOST_TEST(report::file_href("out/demo/shot-01.mp4", "") == "out/demo/shot-01.mp4");
    BOOST_TEST(report::file_href("out/./demo/../demo/shot-01.mp4", "out/") == "demo/shot-01.mp4");
    BOOST_TEST(report::file_href(fs::current_path() / "out/a.mp4", "out") ==
               "a.mp4"); // absolute and relative
    BOOST_TEST(report::file_href("/srv/batch/out/a.mp4", "/srv/batch/reports") == "../out/a.mp4");
    // Sharing no folder below the root: a link climbing to / would break when the page moves.
    BOOST_TEST(report::file_href("/srv/out/a.mp4", "/home/me/reports") == "file:///srv/out/a.mp4");
    // Names are percent-encoded: '#', '?', '%', a space, ':' or a quote stay part of the path.
    BOOST_TEST(report::file_href("/srv/out/a b#c?d%e:f\"g'h&i.mp4", "/srv/out") ==
               "a%20b%23c%3Fd%25e%3Af%22g%27h%26i.mp4");
    BOOST_TEST(report::file_href("/srv/out/caf\xc3\xa9.mp4", "/tmp") == "file:///srv/out/caf%C3%A9.mp4");
}

BOOST_AUTO_TEST_CASE(failure_reasons_link_their_jobs) {
    std::string const html = page(sample_report());
    auto const reasons = html.substr(html.find("<table id=\"failure-reasons\""));
    std::string const policy =
        reasons.substr(0, reasons.find("</tr>", reasons.find("content_policy_violation")));
    BOOST_TEST(policy.find("<td class=\"num\">2</td>") != std::string::npos);
    BOOST_TEST(policy.find("<a href=\"#job-broken\">broken</a> <a href=\"#job-broken-too\">broken-too</a>") !=
               std::string::npos);
    BOOST_TEST(reasons.find("<a href=\"#job-lost\">lost</a>") != std::string::npos);
    // The targets exist.
    BOOST_TEST(count(html, "id=\"job-broken\"") == 1u);
    BOOST_TEST(count(html, "id=\"job-broken-too\"") == 1u);
    BOOST_TEST(count(html, "id=\"job-lost\"") == 1u);
}

BOOST_AUTO_TEST_CASE(long_reason_lists_fold) {
    Report r = sample_report();
    r.totals.failure_reasons.at(0).jobs.assign(30, "broken");
    std::string const html = page(r);
    BOOST_TEST(count(html, "<a href=\"#job-broken\">broken</a>") == 30u);
    BOOST_TEST(html.find("<details><summary>6 more</summary>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(many_tasks_get_thin_bars_without_labels) {
    std::string const html = page(report_of_tasks(report::detail::k_max_labelled_bars + 1));
    BOOST_TEST(count(html, "<rect class=\"bar") == report::detail::k_max_labelled_bars + 1);
    BOOST_TEST(count(html, "text-anchor=\"end\"") == 0u);
}

BOOST_AUTO_TEST_CASE(bars_up_to_the_threshold_then_aggregate_charts) {
    std::size_t const most = report::detail::k_max_task_bars;
    std::string const bars = page(report_of_tasks(most));
    BOOST_TEST(count(bars, "<rect class=\"bar") == most);
    BOOST_TEST(bars.find("id=\"jobs-chart\"") == std::string::npos);

    std::string const charts = page(report_of_tasks(most + 1));
    BOOST_TEST(count(charts, "<rect class=\"bar") == 0u);
    BOOST_TEST(count(charts, "<tr class=\"job") == most + 1); // the table keeps every job
    BOOST_TEST(charts.find("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"jobs-chart\"") !=
               std::string::npos);
    BOOST_TEST(charts.find("id=\"duration-chart\"") != std::string::npos);
    BOOST_TEST(charts.find("id=\"credits-chart\"") != std::string::npos);
    // Every task took 42.5 s against 300 s estimated: all in the 0.1-0.2 bin.
    BOOST_TEST(charts.find(fmt::format("<title>{} tasks took 0.1 to 0.2 times their estimate</title>",
                                       most + 1)) != std::string::npos);
    BOOST_TEST(charts.find("median 0.14\u00d7, 100% within their estimate") != std::string::npos);
    BOOST_TEST(charts.find(fmt::format("The {} jobs the ledger has sent", most + 1)) != std::string::npos);
    // Sampled, not drawn per task: the charts weigh the same whatever the batch's size.
    auto const timeline_size = [](std::string const& html) {
        return html.find("id=\"jobs\"") - html.find("id=\"timeline\"");
    };
    std::size_t const small = timeline_size(charts);
    std::size_t const big = timeline_size(page(report_of_tasks(10 * most)));
    BOOST_TEST(small < 60'000u);
    BOOST_TEST(big < small + 2'000);
}

BOOST_AUTO_TEST_CASE(the_job_table_cannot_widen_past_the_window) {
    std::string const html = page(sample_report());
    // Fixed columns, and cells that may break long ids, URLs, task ids and messages anywhere.
    BOOST_TEST(html.find("#job-table{width:100%;table-layout:fixed}") != std::string::npos);
    BOOST_TEST(html.find("td{overflow-wrap:anywhere}") != std::string::npos);
    BOOST_TEST(count(html, "<col class=") == 9u);
    BOOST_TEST(html.find("https:/<wbr>/<wbr>cdn.example.com/<wbr>done.mp4") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
