// offload(pool, fn): fn runs on a pool thread, the coroutine resumes on its io thread, results
// and exceptions come back, and the io_context does not run dry while fn runs.

#include "evobatch/util/offload.hpp"

#include "integration/net/run_coro.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

namespace asio = boost::asio;
using evobatch::test::run_coro;
using evobatch::util::offload;

struct OffloadFixture {
    asio::io_context io;
    asio::thread_pool pool{2};
    std::thread::id const io_thread = std::this_thread::get_id(); // run_coro runs io here

    ~OffloadFixture() {
        pool.join();
        io.poll();
        BOOST_TEST(io.stopped()); // nothing left behind
    }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(util_offload, OffloadFixture)

BOOST_AUTO_TEST_CASE(runs_on_the_pool_and_resumes_on_the_io_thread) {
    auto const outcome = run_coro(io, [&]() -> asio::awaitable<std::string> {
        std::string log;
        for (int i = 0; i < 3; ++i) {
            auto const worker = co_await offload(pool, [] { return std::this_thread::get_id(); });
            log += worker != io_thread ? "pool," : "io!,";
            log += std::this_thread::get_id() == io_thread ? "io;" : "pool!;";
        }
        co_return log;
    }());
    BOOST_TEST(outcome == "pool,io;pool,io;pool,io;");
}

BOOST_AUTO_TEST_CASE(returns_move_only_values) {
    auto const value = run_coro(io, [&]() -> asio::awaitable<int> {
        auto p = co_await offload(pool, [] { return std::make_unique<int>(42); });
        co_return *p;
    }());
    BOOST_TEST(value == 42);
}

BOOST_AUTO_TEST_CASE(void_functions) {
    int side_effect = 0;
    auto const resumed_on_io = run_coro(io, [&]() -> asio::awaitable<bool> {
        co_await offload(pool, [&side_effect] { side_effect = 7; });
        co_return std::this_thread::get_id() == io_thread;
    }());
    BOOST_TEST(resumed_on_io);
    BOOST_TEST(side_effect == 7);
}

BOOST_AUTO_TEST_CASE(exceptions_propagate_to_the_awaiting_coroutine) {
    auto const caught = run_coro(io, [&]() -> asio::awaitable<std::string> {
        try {
            (void)co_await offload(pool, []() -> int { throw std::runtime_error("disk on fire"); });
        } catch (std::runtime_error const& e) {
            co_return std::string(e.what()) + (std::this_thread::get_id() == io_thread ? " (io)" : " (pool)");
        }
        co_return "no exception";
    }());
    BOOST_TEST(caught == "disk on fire (io)");
    auto const caught_void = run_coro(io, [&]() -> asio::awaitable<bool> {
        try {
            co_await offload(pool, [] { throw std::logic_error("void too"); });
        } catch (std::logic_error const&) {
            co_return true;
        }
        co_return false;
    }());
    BOOST_TEST(caught_void);
}

// io.run() returns when the io_context has no work: it must not return while fn runs on the
// pool with the coroutine suspended (co_spawn counts the coroutine as work until it ends).
BOOST_AUTO_TEST_CASE(io_context_does_not_run_dry_while_the_pool_works) {
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await offload(pool, [] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); });
            finished = true;
        },
        [](std::exception_ptr e) {
            if (e) {
                std::rethrow_exception(e);
            }
        });
    io.run(); // bounded: the offloaded sleep is 50 ms
    BOOST_TEST(finished);
}

BOOST_AUTO_TEST_SUITE_END()
