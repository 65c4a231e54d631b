#include "evobatch/progress/progress_view.hpp"
#include "progress/detail/lines.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include <unistd.h>

using namespace evobatch::progress;
using namespace std::chrono_literals;
using SteadyTime = std::chrono::steady_clock::time_point;

namespace {

SteadyTime const t0 = SteadyTime{} + 1000h;

// Everything written to a temporary file, read back whole.
class Capture {
public:
    Capture() : m_file(std::tmpfile()) { BOOST_REQUIRE(m_file != nullptr); }
    ~Capture() { std::fclose(m_file); }
    Capture(Capture const&) = delete;
    Capture& operator=(Capture const&) = delete;

    std::FILE* file() const { return m_file; }

    std::string text() const {
        std::fflush(m_file);
        long const size = std::ftell(m_file);
        std::string out(static_cast<std::size_t>(size), '\0');
        std::rewind(m_file);
        std::size_t const n = std::fread(out.data(), 1, out.size(), m_file);
        out.resize(n);
        std::fseek(m_file, 0, SEEK_END);
        return out;
    }

    std::vector<std::string> lines() const {
        std::vector<std::string> out;
        std::string const all = text();
        std::size_t start = 0;
        for (std::size_t end; (end = all.find('\n', start)) != std::string::npos; start = end + 1) {
            out.push_back(all.substr(start, end - start));
        }
        return out;
    }

private:
    std::FILE* m_file;
};

std::size_t count(std::string const& text, std::string const& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) {
        ++n;
    }
    return n;
}

Snapshot busy() {
    Snapshot s;
    s.total = 1000;
    s.queued = 547;
    s.running = 38;
    s.completed = 412;
    s.failed = 3;
    s.credits_reserved = 2310;
    s.credits_ceiling = 5000;
    s.request_rate = 4.93;
    s.eta = 725s;
    s.elapsed = 190s;
    return s;
}

Summary summary(int exit_code) {
    Summary s;
    s.total = 1000;
    s.completed = 990;
    s.failed = 7;
    s.uncertain = 3;
    s.credits = 6930;
    s.credits_text = "6930 charged, 0 reserved now, 105 refunded (~$101.91 charged)";
    s.wall = 725s;
    s.ledger = "jobs/demo.ledger.jsonl";
    s.exit_code = exit_code;
    s.next = {"`evobatch status jobs/demo.yaml --state failed` lists the failed jobs and their errors"};
    return s;
}

} // namespace

BOOST_AUTO_TEST_SUITE(progress_view)

BOOST_AUTO_TEST_CASE(choosing_the_mode) {
    Capture out; // a file, not a terminal
    BOOST_TEST((ProgressView::choose(true, true, out.file()) == Mode::json));
    BOOST_TEST((ProgressView::choose(false, true, out.file()) == Mode::quiet));
    BOOST_TEST((ProgressView::choose(false, false, out.file()) == Mode::plain));
}

BOOST_AUTO_TEST_CASE(the_bar_line_reads_as_documented) {
    auto const line = detail::bar_line(busy(), 120, false);
    BOOST_TEST(line.text == "[########............]  412/1000 done  38 running  547 queued  3 failed  "
                            "credits 2310/5000  4.9 req/s  ETA 12m05s");
    BOOST_TEST(line.columns == line.text.size());
}

BOOST_AUTO_TEST_CASE(the_bar_shows_queued_jobs_and_the_download_rate_at_the_default_width) {
    Snapshot s = busy();
    s.downloads = true;
    s.downloaded = 300;
    s.download_bytes = 300ULL << 20U;
    s.download_rate = 3.5 * 1024 * 1024;
    auto const line = detail::bar_line(s, ProgressView::k_default_width, false).text;
    BOOST_TEST(line.find("547 queued") != std::string::npos, line);
    BOOST_TEST(line.find("300 files 3.5 MiB/s") != std::string::npos, line);
    BOOST_TEST(line.find("ETA 12m05s") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(the_bar_fits_its_width_dropping_the_least_useful_parts_first) {
    Snapshot s = busy();
    s.total = 100'000;
    s.queued = 77'777;
    s.uncertain = 12;
    s.stale = 4;
    s.waiting_retry = 9;
    s.credits_reserved = 1'234'567;
    s.credits_ceiling = 1'500'000;
    s.paused_reason = "402 key_daily_quota_exhausted (key daily limit): submitting stopped until tomorrow";
    for (std::size_t width = 20; width <= 200; ++width) {
        auto const line = detail::bar_line(s, width, false);
        BOOST_TEST_CONTEXT("width " << width) {
            BOOST_TEST(line.columns <= width);
            BOOST_TEST(line.text.size() == line.columns); // ASCII here
        }
    }
    auto const at100 = detail::bar_line(s, 100, false).text;
    BOOST_TEST(at100.find("412/100000 done") != std::string::npos);
    BOOST_TEST(at100.find("12 uncertain") != std::string::npos);
    BOOST_TEST(at100.find("PAUSED: 402") != std::string::npos); // cut, but there
    BOOST_TEST(at100.find("retrying") == std::string::npos);    // the first to go
    auto const wide = detail::bar_line(s, 400, false).text;
    BOOST_TEST(wide.find("9 retrying") != std::string::npos);
    BOOST_TEST(wide.find("credits 1234567/1500000") != std::string::npos);
    // The whole reason is in its note; on the bar it never crowds out the figures.
    BOOST_TEST(wide.find("PAUSED: 402 key_daily_quota_exhausted (key da...") != std::string::npos);
    // Narrower than the count itself: the count, cut; never a cut count after a bar.
    BOOST_TEST(detail::bar_line(s, 15, false).text == "412/100000 done");
    BOOST_TEST(detail::bar_line(s, 10, false).text == "412/100...");
}

BOOST_AUTO_TEST_CASE(tty_redraws_in_place_at_most_four_times_a_second) {
    Capture out;
    ProgressView view(Mode::tty, out.file(), false);
    view.update(busy(), t0);
    Snapshot later = busy();
    later.completed = 413;
    view.update(later, t0 + 100ms);
    BOOST_TEST(count(out.text(), " done") == 1u);
    BOOST_TEST(out.text().find("413/1000") == std::string::npos);
    view.update(later, t0 + 250ms);
    BOOST_TEST(count(out.text(), " done") == 2u);
    BOOST_TEST(out.text().find("\r[") != std::string::npos);
    BOOST_TEST(out.text().find('\n') == std::string::npos); // in place
    for (auto const& line : {out.text()}) {
        BOOST_TEST(line.find('\x1b') == std::string::npos); // no color asked: no escape at all
    }
}

BOOST_AUTO_TEST_CASE(tty_overwrites_a_longer_bar_with_spaces) {
    Capture out;
    ProgressView view(Mode::tty, out.file(), false);
    Snapshot s = busy();
    s.paused_reason = "rate limited";
    view.update(s, t0);
    std::size_t const first = out.text().size() - 1; // without the leading \r
    view.update(busy(), t0 + 1s);
    std::string const all = out.text();
    std::string const second = all.substr(all.rfind('\r') + 1);
    BOOST_TEST(second.size() == first);
    BOOST_TEST(second.find("PAUSED") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(tty_notes_print_above_the_bar) {
    Capture out;
    ProgressView view(Mode::tty, out.file(), false);
    view.update(busy(), t0);
    view.note({"city-02", "completed", "task-unified-1", ""}); // not worth a line on a terminal
    std::string const before = out.text();
    view.note({"city-02", "failed", "task-unified-1", "content_policy_violation: \x1b[31mnope\nreally"});
    std::string const added = out.text().substr(before.size());
    BOOST_TEST(
        added.find("failed city-02: content_policy_violation:  [31mnope really (task task-unified-1)\n") !=
        std::string::npos);
    BOOST_TEST(added.find('\x1b') == std::string::npos);
    BOOST_TEST(added.rfind("\r[") > added.find('\n')); // the bar comes back below the note
}

BOOST_AUTO_TEST_CASE(color_only_when_asked) {
    Capture out;
    ProgressView view(Mode::tty, out.file(), true);
    view.update(busy(), t0);
    view.note({"city-02", "failed", "", "boom"});
    BOOST_TEST(out.text().find("\x1b[31mfailed\x1b[0m city-02: boom") != std::string::npos);
    BOOST_TEST(out.text().find("\x1b[32m") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_prints_a_line_every_five_seconds) {
    Capture out;
    ProgressView view(Mode::plain, out.file(), false);
    for (int i = 0; i <= 12; ++i) {
        view.update(busy(), t0 + std::chrono::seconds(i));
    }
    auto const lines = out.lines();
    BOOST_TEST(lines.size() == 3u); // at 0, 5 and 10 s
    BOOST_TEST(lines.at(0) == "progress: 412/1000 done, 38 running, 547 queued, 3 failed, credits 2310/5000, "
                              "4.9 req/s, ETA 12m05s, elapsed 3m10s");
    BOOST_TEST(out.text().find('\r') == std::string::npos);
    BOOST_TEST(out.text().find('\x1b') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_reports_a_pause_at_once) {
    Capture out;
    ProgressView view(Mode::plain, out.file(), false);
    view.update(busy(), t0);
    Snapshot paused = busy();
    paused.paused_reason = "circuit open after 5 server errors";
    view.update(paused, t0 + 1s);
    view.update(paused, t0 + 2s);
    view.update(busy(), t0 + 3s);
    auto const lines = out.lines();
    BOOST_REQUIRE(lines.size() == 3u);
    BOOST_TEST(lines[1].find("paused: circuit open after 5 server errors") != std::string::npos);
    BOOST_TEST(lines[2].find("paused") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_notes_only_what_needs_attention) {
    Capture out;
    ProgressView view(Mode::plain, out.file(), false);
    view.note({"a", "submitted", "task-unified-1", ""});
    view.note({"a", "completed", "task-unified-1", ""});
    view.note({"b", "uncertain", "", "no answer to the create, twice"});
    view.note({"c", "stale", "task-unified-3", "running 3x its estimate"});
    view.note({"", "stopped", "", "402 insufficient_quota (account balance)"});
    auto const lines = out.lines();
    BOOST_REQUIRE(lines.size() == 3u);
    BOOST_TEST(lines[0] == "uncertain b: no answer to the create, twice");
    BOOST_TEST(lines[1] == "stale c: running 3x its estimate (task task-unified-3)");
    BOOST_TEST(lines[2] == "stopped: 402 insufficient_quota (account balance)");
}

BOOST_AUTO_TEST_CASE(json_lines_parse_and_carry_every_event) {
    Capture out;
    ProgressView view(Mode::json, out.file(), true);
    view.update(busy(), t0);
    view.update(busy(), t0 + 1s); // too soon
    Snapshot unknown = busy();
    unknown.eta.reset();
    view.update(unknown, t0 + 5s);
    view.note({"city-01", "submitted", "task-unified-1", ""});
    view.note({"city-02", "failed", "task-unified-2", "said \"no\"\nthen \x1b[31m\xff"});
    view.finish(summary(1));

    auto const lines = out.lines();
    BOOST_REQUIRE(lines.size() == 5u);
    std::vector<boost::json::object> events;
    for (auto const& line : lines) {
        BOOST_TEST(line.find('\x1b') == std::string::npos); // escaped, never raw
        events.push_back(boost::json::parse(line).as_object());
    }
    BOOST_TEST(events[0].at("ev").as_string() == "progress");
    BOOST_TEST(events[0].at("completed").as_int64() == 412);
    BOOST_TEST(events[0].at("credits_ceiling").as_int64() == 5000);
    BOOST_TEST(events[0].at("request_rate").to_number<double>() == 4.9);
    BOOST_TEST(events[0].at("eta_s").as_int64() == 725);
    BOOST_TEST(!events[0].contains("paused"));
    BOOST_TEST(events[1].at("eta_s").is_null());
    BOOST_TEST(events[2].at("ev").as_string() == "submitted");
    BOOST_TEST(events[2].at("task").as_string() == "task-unified-1");
    BOOST_TEST(events[2].at("detail").as_string() == "");
    BOOST_TEST(events[3].at("ev").as_string() == "failed");
    BOOST_TEST(events[3].at("job").as_string() == "city-02");
    BOOST_TEST(events[3].at("detail").as_string() == "said \"no\"\nthen \x1b[31m\xEF\xBF\xBD"); // U+FFFD
    BOOST_TEST(events[4].at("ev").as_string() == "summary");
    BOOST_TEST(events[4].at("completed").as_int64() == 990);
    BOOST_TEST(events[4].at("exit_code").as_int64() == 1);
    BOOST_TEST(events[4].at("ledger").as_string() == "jobs/demo.ledger.jsonl");
    BOOST_TEST(events[4].at("wall_s").as_int64() == 725);
}

BOOST_AUTO_TEST_CASE(quiet_prints_only_failures) {
    Capture out;
    ProgressView view(Mode::quiet, out.file(), false);
    view.update(busy(), t0);
    view.note({"a", "completed", "task-unified-1", ""});
    view.note({"b", "stale", "task-unified-2", ""});
    view.note({"c", "failed", "task-unified-3", "invalid_parameters: bad video"});
    view.finish(summary(0));
    // --quiet keeps the failures and the summary, whatever the exit code.
    std::string const text = out.text();
    BOOST_TEST(text.starts_with("failed c: invalid_parameters: bad video (task task-unified-3)\nCompleted 990 of "
                                "1000 jobs"),
               text);
    BOOST_TEST(text.find("Next: `evobatch status") != std::string::npos, text);
    BOOST_TEST(text.find("completed a") == std::string::npos);
    BOOST_TEST(text.find("stale") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_summary_says_what_happened_and_what_to_do) {
    Capture out;
    ProgressView view(Mode::tty, out.file(), false);
    view.update(busy(), t0);
    Summary s = summary(3);
    s.unsubmitted = 0;
    s.stop_reason = "interrupted (SIGINT)";
    view.finish(s);
    std::string const all = out.text();
    std::string const block = all.substr(all.find('\n') == std::string::npos ? 0 : all.rfind("\r") + 1);
    BOOST_TEST(block.find("Completed 990 of 1000 jobs; 7 failed, 3 uncertain, 0 not submitted.\n") !=
               std::string::npos);
    BOOST_TEST(block.find("Credits: 6930 charged, 0 reserved now, 105 refunded (~$101.91 charged). Wall time: "
                          "12m05s.\n") != std::string::npos);
    BOOST_TEST(block.find("Ledger: jobs/demo.ledger.jsonl\n") != std::string::npos);
    BOOST_TEST(block.find("Stopped: interrupted (SIGINT)\n") != std::string::npos);
    BOOST_TEST(block.find("Next: `evobatch status jobs/demo.yaml --state failed` lists") != std::string::npos);
    BOOST_TEST(all.find('\x1b') == std::string::npos);
    // The bar was wiped before the summary: only spaces between the last \r pair.
    std::size_t const wipe_end = all.rfind('\r');
    std::size_t const wipe_start = all.rfind('\r', wipe_end - 1);
    std::string const wipe = all.substr(wipe_start + 1, wipe_end - wipe_start - 1);
    BOOST_TEST(!wipe.empty());
    BOOST_TEST(std::all_of(wipe.begin(), wipe.end(), [](char c) { return c == ' '; }));

    // Tasks still running after Ctrl-C are paid for and polled by the next run: not "not submitted".
    Summary stopped = summary(3);
    stopped.completed = 0;
    stopped.running = 20;
    stopped.unsubmitted = 40;
    BOOST_TEST(detail::summary_text(stopped, false).find("20 still running (the next run polls them), 40 not "
                                                          "submitted.") != std::string::npos);
    // The `Next:` lines are the caller's (cli/next_steps), one line each, as given.
    Summary none = summary(0);
    none.next.clear();
    BOOST_TEST(detail::summary_text(none, false).find("Next:") == std::string::npos);
    Summary two = summary(1);
    two.next.push_back("second");
    std::string const text = detail::summary_text(two, false);
    BOOST_TEST(text.ends_with("their errors\nNext: second\n"), text);
}

BOOST_AUTO_TEST_CASE(a_closed_output_is_reported_once_and_written_no_more) {
    // `run --json | head -1`: the reader is gone. With SIGPIPE ignored (as run does) the write
    // fails with EPIPE; the view says so once and stops writing.
    struct sigaction ignore {};
    struct sigaction before {};
    ignore.sa_handler = SIG_IGN;
    BOOST_REQUIRE(::sigaction(SIGPIPE, &ignore, &before) == 0);
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    ::close(fds[0]);
    std::FILE* const out = ::fdopen(fds[1], "w");
    BOOST_REQUIRE(out != nullptr);
    std::vector<int> failures;
    {
        ProgressView view(Mode::json, out, false);
        view.on_write_failure([&](int error) { failures.push_back(error); });
        view.note({"a", "submitted", "task-1", ""});
        view.note({"b", "submitted", "task-2", ""});
        view.update(Snapshot{}, t0);
        view.finish(Summary{});
    }
    std::fclose(out);
    ::sigaction(SIGPIPE, &before, nullptr);
    BOOST_TEST((failures == std::vector<int>{EPIPE}));
}

BOOST_AUTO_TEST_CASE(a_view_that_can_write_reports_nothing) {
    Capture c;
    bool failed = false;
    ProgressView view(Mode::json, c.file(), false);
    view.on_write_failure([&](int) { failed = true; });
    view.note({"a", "submitted", "task-1", ""});
    view.finish(Summary{});
    BOOST_TEST(!failed);
    BOOST_TEST(c.lines().size() == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
