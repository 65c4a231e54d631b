#pragma once
// Ledger events and replay states for the replay tests: builders for each event, ledger text,
// and a full description of a replayed state (comparing descriptions compares every field).

#include "evobatch/ledger/replay.hpp"

#include <boost/test/unit_test.hpp>

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

namespace evobatch::test::replay_events {

using namespace evobatch::ledger;


inline constexpr std::int64_t k_t0 = 1'767'225'600'000;

inline Event job_event(EventType type, std::string const& job, std::int64_t t, std::string const& req = "req-1") {
    Event e;
    e.type = type;
    e.t_ms = t;
    e.job = job;
    e.req = req;
    return e;
}

inline Event submitting(std::string const& job, std::int64_t t, int attempt = 1, std::string const& req = "req-1") {
    Event e = job_event(EventType::submitting, job, t, req);
    e.attempt = attempt;
    e.key = fmt::format("evb-{}-{}-{}", job, req, attempt);
    return e;
}

inline Event submitted(std::string const& job, std::int64_t t, std::string const& task) {
    Event e = job_event(EventType::submitted, job, t);
    e.task = task;
    e.credits = 30;
    e.eta_s = 300;
    e.rid = "req_01";
    return e;
}

inline Event progress(std::string const& job, std::int64_t t, int value) {
    Event e = job_event(EventType::progress, job, t);
    e.progress = value;
    return e;
}

inline Event completed(std::string const& job, std::int64_t t) {
    Event e = job_event(EventType::completed, job, t);
    e.results = {"https://files.example.com/" + job + ".mp4?sig=abc"};
    e.credits = 28;
    return e;
}

inline Event with_error(Event e, std::string code, std::string message) {
    e.error = EventError{std::move(code), std::move(message)};
    return e;
}

inline Event downloaded(std::string const& job, std::int64_t t, std::string const& file, std::uint64_t bytes) {
    Event e = job_event(EventType::downloaded, job, t);
    e.file = file;
    e.bytes = bytes;
    e.sha256 = "e3b0c442";
    return e;
}

// A reconcile's evidence on an event (`adopted`, `unsent`, `uncertain`).
inline Event with_evidence(Event e, std::string const& candidates, std::string verdict = "listed") {
    e.verdict = std::move(verdict);
    e.pages = 2;
    e.span_from = 1'767'225'590;
    e.span_to = 1'767'225'640;
    e.candidates = candidates;
    return e;
}

// `adopted` for the job's attempt (its key as submitting() makes it), task `task`.
inline Event adopted(std::string const& job, std::int64_t t, std::string const& task, int attempt = 1,
                     std::string const& req = "req-1") {
    Event e = job_event(EventType::adopted, job, t, req);
    e.attempt = attempt;
    e.key = fmt::format("evb-{}-{}-{}", job, req, attempt);
    e.task = task;
    e.credits = 12;
    return e;
}

inline Event batch(std::int64_t t, std::string const& digest) {
    Event e;
    e.type = EventType::batch;
    e.t_ms = t;
    e.manifest = "jobs/demo.yaml";
    e.digest = digest;
    return e;
}

inline std::string text_of(std::vector<Event> const& events) {
    std::string text;
    for (auto const& e : events) {
        text += to_json_line(e);
    }
    return text;
}

// Every field of a history, one per line: comparing these compares all fields, and a failure
// shows which differ.
inline std::string describe(Attempt const& a) {
    std::string out = fmt::format("req={} version={} phase={} attempt={} key={} task={}\nsubmitting={} submitted={} "
                                  "finished={} progress={} eta_s={} credits={}\nresults=[{}]\n",
                                  a.req, a.version, to_string(a.phase), a.attempt, a.key, a.task, a.submitting_t_ms,
                                  a.submitted_t_ms, a.finished_t_ms, a.progress,
                                  a.eta_s ? std::to_string(*a.eta_s) : "none", a.credits, fmt::join(a.results, ", "));
    out += a.error ? fmt::format("error={}: {}\n", a.error->code, a.error->message) : "error=none\n";
    for (auto const& d : a.downloads) {
        out += fmt::format("download {} {} {} {}\n", d.file, d.bytes, d.sha256, d.t_ms);
    }
    if (a.listed) {
        out += fmt::format("listed {} pages={} span={}..{}", a.listed->verdict, a.listed->pages, a.listed->span_from,
                           a.listed->span_to);
        for (auto const& c : a.listed->candidates) {
            out += fmt::format(" {}@{}", c.id, c.created_at);
        }
        out += '\n';
    }
    return out;
}

inline std::string describe(JobHistory const& h) {
    std::string out = fmt::format("job={} first={} key_first_sent={} last={} superseded={}\n", h.job, h.first_t_ms,
                                  h.key_first_sent_t_ms, h.last_t_ms, h.superseded_events);
    out += describe(static_cast<Attempt const&>(h));
    for (Attempt const& a : h.earlier) {
        out += "earlier: " + describe(a);
    }
    return out;
}

// The jobs in order and the batches; the index must agree with the jobs.
inline std::string describe_state(Replay const& r) {
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

inline JobHistory const& history(Replay const& r, std::string_view job) {
    auto const* h = r.find(job);
    BOOST_TEST_REQUIRE(h != nullptr, "no history for " << job);
    return *h;
}

// The ReplayError replay_text throws, or a failed test.
inline ReplayError replay_error(std::string_view text) {
    try {
        replay_text(text);
    } catch (ReplayError const& e) {
        return e;
    }
    BOOST_FAIL("replay accepted a damaged ledger:\n" << text);
    return ReplayError(0, "");
}

// A batch shaped like a real one: two runs, interleaved jobs, a retried failure, every event.
inline std::vector<Event> realistic_events() {
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

} // namespace evobatch::test::replay_events
