// Ledger replay of a damaged file: count a last event that only lost its '\n', ignore a torn
// last line (at every byte it can be cut), and refuse, naming the line, anything else that is
// not an event; a file replays as its text whatever the read chunks.

#include "replay_events.hpp"

#include "ledger/line_parser.hpp"

#include "common/temp_dir.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <array>
#include <functional>
#include <string>
#include <vector>

namespace {

using namespace evobatch::test::replay_events;
using evobatch::test::TempDir;

} // namespace

BOOST_AUTO_TEST_SUITE(ledger_replay)

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
    // The view points into the line: the lines outlive it (ASan found a temporary here).
    std::string const full_line = to_json_line(full);
    std::string const bare_line = to_json_line(bare);
    evobatch::ledger::detail::LineParser parser;
    BOOST_TEST_REQUIRE(!parser.parse(full_line));
    BOOST_TEST(parser.view().results.size() == 1U);
    BOOST_TEST(parser.view().error.has_value());
    BOOST_TEST_REQUIRE(!parser.parse(bare_line));
    auto const& v = parser.view();
    BOOST_TEST(v.job == "b");
    BOOST_TEST(v.results.empty());
    BOOST_TEST(!v.error.has_value());
    BOOST_TEST(!v.task.has_value());
    BOOST_TEST(!v.progress.has_value());
    BOOST_TEST(!v.credits.has_value());
    // A failed line in between leaves nothing behind either.
    BOOST_TEST(
        bool(parser.parse(R"({"v":1,"t":5,"job":"c","req":"r","ev":"completed","results":["x"],"tas)")));
    BOOST_TEST_REQUIRE(!parser.parse(bare_line));
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

BOOST_AUTO_TEST_SUITE_END()
