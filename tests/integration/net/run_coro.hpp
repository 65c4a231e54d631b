#pragma once
// Runs one coroutine to completion on an io_context, with a deadline: a test that hangs fails
// instead of blocking the suite, and we always know the coroutine finished.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <optional>

namespace evobatch::test {

inline constexpr std::chrono::seconds k_test_timeout{30};

template <class T>
T run_coro(boost::asio::io_context& io, boost::asio::awaitable<T> coro,
           std::chrono::steady_clock::duration limit = k_test_timeout) {
    std::optional<T> result;
    std::exception_ptr error;
    bool finished = false;
    boost::asio::co_spawn(io, std::move(coro), [&](std::exception_ptr e, T value) {
        finished = true;
        error = e;
        if (!e) {
            result.emplace(std::move(value));
        }
    });
    // Run only until it finishes: other work on the io_context (a test server's accept loop)
    // must not keep the test waiting for the whole limit.
    io.restart();
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (!finished && std::chrono::steady_clock::now() < deadline) {
        io.run_one_until(deadline);
    }
    BOOST_REQUIRE_MESSAGE(finished, "the coroutine did not finish before the test deadline");
    if (error) {
        std::rethrow_exception(error);
    }
    return std::move(*result);
}

} // namespace evobatch::test
