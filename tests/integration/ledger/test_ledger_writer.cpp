// LedgerWriter on a real io_context and worker pool: order, durability before completion,
// group commit, the exclusive lock, close, appends racing close, and write errors.

#include "evobatch/ledger/ledger_writer.hpp"

#include "integration/ledger/run_all.hpp"
#include "integration/net/run_coro.hpp"

#include "common/temp_dir.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <iterator>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>

namespace evobatch::ledger {
// Boost.Test prints both sides of a failed comparison.
inline std::ostream& operator<<(std::ostream& os, LedgerErrc e) {
    return os << make_error_code(e).message();
}
} // namespace evobatch::ledger

namespace {

namespace asio = boost::asio;
using namespace evobatch::ledger;
using boost::system::error_code;
using evobatch::test::run_all;
using evobatch::test::run_coro;

struct WriterFixture {
    evobatch::test::TempDir dir;
    std::filesystem::path const path = dir.path() / "state" / "ledger.jsonl";
    asio::io_context io;
    asio::thread_pool pool{2};

    ~WriterFixture() {
        pool.join();
        io.poll(); // run what is left (a committer's exit) so no coroutine outlives the test
    }

    static Event event(std::string job, int n) {
        Event e;
        e.type = EventType::progress;
        e.t_ms = now_ms();
        e.job = std::move(job);
        e.req = "req";
        e.progress = n;
        return e;
    }

    std::vector<Event> read_events() const {
        std::vector<Event> events;
        std::ifstream in(path, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            auto parsed = parse_json_line(line);
            BOOST_TEST_REQUIRE(parsed.has_value(),
                               "line " << events.size() + 1 << " does not parse: " << line);
            events.push_back(std::move(*parsed));
        }
        return events;
    }
};

std::string id_of(Event const& e) {
    return e.job + "#" + std::to_string(e.progress.value_or(-1));
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(ledger_writer, WriterFixture)

BOOST_AUTO_TEST_CASE(events_from_many_coroutines_land_whole_and_in_append_order) {
    LedgerWriter writer(path, io.get_executor(), pool);
    std::vector<std::string> appended; // the order of the append calls, as the io thread made them
    std::vector<asio::awaitable<int>> jobs;
    constexpr int k_jobs = 50;
    constexpr int k_events_per_job = 20;
    for (int j = 0; j < k_jobs; ++j) {
        jobs.push_back([](LedgerWriter& w, std::vector<std::string>& order, int job) -> asio::awaitable<int> {
            int failures = 0;
            for (int n = 0; n < k_events_per_job; ++n) {
                auto e = event("job-" + std::to_string(job), n);
                // Long text in some: lines of different sizes must still never interleave.
                e.error = EventError{"x", std::string(static_cast<std::size_t>(job * 37 % 500), 'm')};
                order.push_back(id_of(e));
                if (n % 3 == 2) {
                    failures += w.append(std::move(e)) ? 1 : 0;
                } else if (co_await w.append_durable(std::move(e))) {
                    ++failures;
                }
            }
            co_return failures;
        }(writer, appended, j));
    }
    for (int failures : run_all(io, std::move(jobs))) {
        BOOST_TEST(failures == 0);
    }
    BOOST_TEST(!run_coro(io, writer.close()));
    auto const events = read_events();
    BOOST_TEST_REQUIRE(events.size() == appended.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        BOOST_TEST_CONTEXT("line " << i + 1) {
            BOOST_TEST(id_of(events[i]) == appended[i]);
        }
    }
    auto const stats = writer.stats();
    BOOST_TEST(stats.events == appended.size());
    BOOST_TEST(stats.bytes == std::filesystem::file_size(path));
    BOOST_TEST(stats.writes == stats.fsyncs); // no short writes to a local file
}

// A ledger deleted or replaced under a run would take every later event with its descriptor:
// the writer notices after the group, stops, and saves what the file held beside the path.
BOOST_AUTO_TEST_CASE(a_ledger_deleted_or_replaced_under_the_writer_stops_it_and_is_saved) {
    for (bool const replace : {false, true}) {
        BOOST_TEST_CONTEXT((replace ? "replaced" : "deleted")) {
            std::filesystem::remove_all(path.parent_path());
            LedgerWriter writer(path, io.get_executor(), pool);
            BOOST_TEST(!run_coro(io, writer.append_durable(event("a", 1))));
            BOOST_TEST(!writer.rescued());
            if (replace) {
                std::ofstream(dir.path() / "other.jsonl") << "{}\n";
                std::filesystem::rename(dir.path() / "other.jsonl", path);
            } else {
                std::filesystem::remove(path);
            }
            error_code const ec = run_coro(io, writer.append_durable(event("a", 2)));
            BOOST_TEST(ec == make_error_code(LedgerErrc::moved));
            BOOST_TEST(writer.append(event("a", 3)) == make_error_code(LedgerErrc::moved)); // sticky
            BOOST_TEST_REQUIRE(writer.rescued().has_value());
            BOOST_TEST(writer.rescued()->parent_path() == path.parent_path());
            std::ifstream in(*writer.rescued());
            std::string const text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            BOOST_TEST(parse_json_line(text.substr(0, text.find('\n'))).value().progress.value_or(0) == 1);
            BOOST_TEST(std::count(text.begin(), text.end(), '\n') == 2); // both durable events, whole
            run_coro(io, writer.close());
            std::filesystem::remove(*writer.rescued());
            if (replace) {
                BOOST_TEST(std::filesystem::file_size(path) == 3u); // the replacement is left alone
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(group_commit_makes_1000_concurrent_appends_cost_few_fsyncs) {
    LedgerWriter writer(path, io.get_executor(), pool);
    constexpr std::uint64_t k_jobs = 1000;
    std::vector<asio::awaitable<bool>> jobs;
    for (std::uint64_t j = 0; j < k_jobs; ++j) {
        jobs.push_back([](LedgerWriter& w, std::uint64_t job) -> asio::awaitable<bool> {
            auto const ec = co_await w.append_durable(event("job-" + std::to_string(job), 1));
            // Completed means durable: this job's event is counted as fsynced by now.
            auto const s = w.stats();
            co_return !ec && s.fsyncs >= 1 && s.events >= 1;
        }(writer, j));
    }
    for (bool ok : run_all(io, std::move(jobs))) {
        BOOST_TEST(ok);
    }
    auto const stats = writer.stats();
    BOOST_TEST(stats.events == k_jobs);
    BOOST_TEST(stats.fsyncs < 100U, "1000 durable appends took " << stats.fsyncs << " fsyncs");
    BOOST_TEST_MESSAGE("1000 concurrent durable appends: " << stats.fsyncs << " fsyncs");
    BOOST_TEST(!run_coro(io, writer.close()));
    BOOST_TEST(read_events().size() == k_jobs);
}

BOOST_AUTO_TEST_CASE(durable_append_completes_only_after_its_group_is_synced) {
    LedgerWriter writer(path, io.get_executor(), pool);
    auto const checks =
        run_coro(io, [](LedgerWriter& w, std::filesystem::path const& p) -> asio::awaitable<int> {
            int good = 0;
            for (int n = 1; n <= 5; ++n) {
                auto const ec = co_await w.append_durable(event("solo", n));
                auto const s = w.stats();
                // One event per group when nobody else appends: each completion follows its own fsync,
                // and the line is in the file (with its newline) by then.
                good += !ec && s.events == static_cast<std::uint64_t>(n) &&
                        s.fsyncs == static_cast<std::uint64_t>(n) && std::filesystem::file_size(p) == s.bytes;
            }
            co_return good;
        }(writer, path));
    BOOST_TEST(checks == 5);
    BOOST_TEST(!run_coro(io, writer.close()));
}

BOOST_AUTO_TEST_CASE(append_then_flush_and_close_flushes) {
    LedgerWriter writer(path, io.get_executor(), pool);
    for (int n = 0; n < 100; ++n) {
        BOOST_TEST(!writer.append(event("progress", n)));
    }
    BOOST_TEST(!run_coro(io, writer.flush()));
    BOOST_TEST(writer.stats().events == 100U);
    BOOST_TEST(writer.stats().fsyncs <= 2U);
    BOOST_TEST(read_events().size() == 100U);
    for (int n = 100; n < 150; ++n) {
        BOOST_TEST(!writer.append(event("progress", n)));
    }
    BOOST_TEST(!run_coro(io, writer.close()));
    auto const events = read_events();
    BOOST_TEST_REQUIRE(events.size() == 150U);
    BOOST_TEST(events.back().progress.value_or(-1) == 149);
    // Closed: no more appends, flush and a second close are harmless.
    BOOST_TEST(writer.append(event("late", 0)) == LedgerErrc::closed);
    BOOST_TEST(run_coro(io, writer.append_durable(event("late", 1))) == LedgerErrc::closed);
    BOOST_TEST(!run_coro(io, writer.flush()));
    BOOST_TEST(!run_coro(io, writer.close()));
    BOOST_TEST(read_events().size() == 150U);
}

BOOST_AUTO_TEST_CASE(a_second_writer_on_the_same_path_is_busy) {
    LedgerWriter writer(path, io.get_executor(), pool);
    // flock belongs to the open file description: a second open in this very process conflicts.
    try {
        LedgerWriter second(path, io.get_executor(), pool);
        BOOST_FAIL("a second LedgerWriter on a locked ledger must throw LedgerBusy");
    } catch (LedgerBusy const& e) {
        BOOST_TEST(std::string(e.what()).find(path.string()) != std::string::npos);
        BOOST_TEST(std::string(e.what()).find("another evobatch run") != std::string::npos);
    }
    // Another process sees the lock too (util-linux flock(1), when installed).
    if (std::system("command -v flock >/dev/null 2>&1") == 0) {
        std::string const probe = "flock --nonblock --conflict-exit-code 75 '" + path.string() + "' true";
        BOOST_TEST(WEXITSTATUS(std::system(probe.c_str())) == 75);
        BOOST_TEST(!run_coro(io, writer.close()));
        BOOST_TEST(WEXITSTATUS(std::system(probe.c_str())) == 0);
    } else {
        BOOST_TEST(!run_coro(io, writer.close()));
    }
    // close() released the lock: the next run may open the ledger at once.
    LedgerWriter next(path, io.get_executor(), pool);
    BOOST_TEST(!run_coro(io, next.close()));
}

BOOST_AUTO_TEST_CASE(appends_racing_close_are_refused_not_lost_or_crashing) {
    LedgerWriter writer(path, io.get_executor(), pool);
    std::vector<asio::awaitable<error_code>> work;
    for (int n = 0; n < 10; ++n) {
        work.push_back(writer.append_durable(event("before", n))); // started before close: durable
    }
    work.push_back(writer.close());
    for (int n = 0; n < 10; ++n) {
        work.push_back(writer.append_durable(event("after", n))); // started after close began
    }
    auto const results = run_all(io, std::move(work));
    for (std::size_t i = 0; i < results.size(); ++i) {
        BOOST_TEST_CONTEXT("operation " << i) {
            if (i < 10) {
                BOOST_TEST(!results[i]);
            } else if (i == 10) {
                BOOST_TEST(!results[i]); // close
            } else {
                BOOST_TEST(results[i] == LedgerErrc::closed);
            }
        }
    }
    auto const events = read_events();
    BOOST_TEST(events.size() == 10U);
}

BOOST_AUTO_TEST_CASE(a_failed_write_fails_its_group_and_every_later_append) {
    // Nothing but a real short write: cap this process's file size (RLIMIT_FSIZE) so a group
    // write stops mid-line with EFBIG. SIGXFSZ would kill us: ignore it meanwhile.
    rlimit saved{};
    ::getrlimit(RLIMIT_FSIZE, &saved);
    auto const saved_handler = std::signal(SIGXFSZ, SIG_IGN);
    std::uint64_t first_group_bytes = 0;
    {
        LedgerWriter writer(path, io.get_executor(), pool);
        first_group_bytes = to_json_line(event("j-0", 0)).size();
        rlimit const lowered{static_cast<rlim_t>(first_group_bytes + 50), saved.rlim_max};
        BOOST_REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
        std::vector<asio::awaitable<error_code>> jobs;
        for (int j = 0; j < 20; ++j) {
            jobs.push_back(writer.append_durable(event("j-" + std::to_string(j), 0)));
        }
        auto const results = run_all(io, std::move(jobs));
        ::setrlimit(RLIMIT_FSIZE, &saved);
        // The first append starts a group of its own, which fits; the other 19 form the next
        // group, whose write comes back short and then fails: all 19 get the error.
        BOOST_TEST(!results[0]);
        for (std::size_t i = 1; i < results.size(); ++i) {
            BOOST_TEST(results[i] == boost::system::errc::file_too_large);
        }
        auto const stats = writer.stats();
        BOOST_TEST(stats.events == 1U);
        BOOST_TEST(stats.fsyncs == 1U);
        BOOST_TEST(stats.bytes == first_group_bytes + 50);
        // Sticky: later appends fail fast with the same error, and nothing more is written.
        BOOST_TEST(writer.append(event("late", 1)) == boost::system::errc::file_too_large);
        BOOST_TEST(run_coro(io, writer.append_durable(event("late", 2))) ==
                   boost::system::errc::file_too_large);
        BOOST_TEST(run_coro(io, writer.flush()) == boost::system::errc::file_too_large);
        BOOST_TEST(run_coro(io, writer.close()) == boost::system::errc::file_too_large);
        BOOST_TEST(std::filesystem::file_size(path) == first_group_bytes + 50);
    }
    std::signal(SIGXFSZ, saved_handler);
    // The next run finds the torn tail and cuts it off; the durable event survives.
    LedgerWriter next(path, io.get_executor(), pool);
    BOOST_TEST(next.stats().dropped_tail_bytes == 50U);
    BOOST_TEST(read_events().size() == 1U);
    BOOST_TEST(!run_coro(io, next.append_durable(event("next-run", 1))));
    BOOST_TEST(!run_coro(io, next.close()));
    auto const events = read_events();
    BOOST_TEST_REQUIRE(events.size() == 2U);
    BOOST_TEST(events[1].job == "next-run");
}

BOOST_AUTO_TEST_SUITE_END()
