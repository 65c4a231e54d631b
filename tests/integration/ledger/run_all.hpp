#pragma once
// Runs many coroutines at once on one io_context until all have finished, with a deadline: the
// test owns every coroutine it spawns and waits for each (no orphan outlives the test).

#include "integration/net/run_coro.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <vector>

namespace evobatch::test {

template <class T>
std::vector<T> run_all(boost::asio::io_context& io, std::vector<boost::asio::awaitable<T>> coros,
                       std::chrono::steady_clock::duration limit = k_test_timeout) {
    std::vector<std::optional<T>> results(coros.size());
    std::exception_ptr error;
    std::size_t finished = 0;
    for (std::size_t i = 0; i < coros.size(); ++i) {
        boost::asio::co_spawn(io, std::move(coros[i]), [&, i](std::exception_ptr e, T value) {
            ++finished;
            if (e && !error) {
                error = e;
            }
            results[i].emplace(std::move(value));
        });
    }
    io.restart();
    auto const deadline = std::chrono::steady_clock::now() + limit;
    while (finished < coros.size() && std::chrono::steady_clock::now() < deadline) {
        io.run_one_until(deadline);
    }
    BOOST_REQUIRE_MESSAGE(finished == coros.size(), "only "
                                                        << finished << " of " << coros.size()
                                                        << " coroutines finished before the test deadline");
    if (error) {
        std::rethrow_exception(error);
    }
    std::vector<T> out;
    out.reserve(results.size());
    for (auto& r : results) {
        out.push_back(std::move(*r));
    }
    return out;
}

} // namespace evobatch::test
