#pragma once
// An in-process simulator on 127.0.0.1:0 with a fresh CA (see evobatch/sim/simulator.hpp), plus
// an io_context for the test's own coroutines and a runner with a deadline. Reusable by any
// integration test: construct with the SimOptions the test needs, then
//
//   sim::SimOptions o;
//   o.time_scale = 0.001; // a 300 s task takes 0.3 s
//   SimFixture f(o);
//   auto reply = f.run(some_coroutine(f.io.get_executor(), f.base_url(), f.ca_file()));
//   BOOST_TEST(f.sim.stats().tasks_created == 1u);
//
// The simulator runs on its own thread; `io` runs only inside run(). The client side must
// trust f.ca_file() with host name verification on (the certificate names 127.0.0.1, ::1 and
// localhost unless SimOptions::cert_names says otherwise).

#include "evobatch/sim/simulator.hpp"

#include <boost/assert/source_location.hpp> // std::source_location needs clang 15 (the sanitizer build uses 14)
#include <boost/asio/awaitable.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <filesystem>
#include <list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

namespace evobatch::test {

inline constexpr std::chrono::seconds k_sim_test_timeout{20};

struct SimFixture {
    explicit SimFixture(sim::SimOptions options = {}) : sim(std::move(options)) { sim.start(); }

    // Stops the simulator first (its thread, its connections), then lets the test's own
    // io_context finish whatever the closed connections completed.
    ~SimFixture() {
        sim.stop();
        io.restart();
        io.poll();
    }

    SimFixture(SimFixture const&) = delete;
    SimFixture& operator=(SimFixture const&) = delete;

    [[nodiscard]] std::string base_url() const { return sim.base_url(); }
    [[nodiscard]] std::filesystem::path ca_file() const { return sim.ca_file(); }
    [[nodiscard]] std::uint16_t port() const { return sim.port(); }

    // Runs `coro` on `io` until it finishes or `limit` passes. On the deadline the coroutine
    // gets terminal cancellation and a second to unwind, and the test fails at the caller's
    // line. An exception from the coroutine is rethrown here.
    template <class T>
    T run(boost::asio::awaitable<T> coro, std::chrono::steady_clock::duration limit = k_sim_test_timeout,
          boost::source_location where = BOOST_CURRENT_LOCATION) {
        // The bookkeeping lives in the fixture, not on this stack: a coroutine that overran its
        // deadline may still complete later (when the simulator stops) and must find it alive.
        Run& state = m_runs.emplace_back();
        boost::asio::co_spawn(io, std::move(coro),
                              boost::asio::bind_cancellation_slot(
                                  state.cancel.slot(), [&state](std::exception_ptr e, auto... value) {
                                      state.finished = true;
                                      state.error = e;
                                      if constexpr (sizeof...(value) == 1) {
                                          if (!e) {
                                              state.result = std::make_shared<T>(std::move(value)...);
                                          }
                                      }
                                  }));
        io.restart();
        io.run_for(limit);
        if (!state.finished) {
            state.cancel.emit(boost::asio::cancellation_type::terminal);
            io.restart();
            io.run_for(std::chrono::seconds{1});
        }
        BOOST_REQUIRE_MESSAGE(state.finished, where.file_name()
                                                  << ":" << where.line()
                                                  << ": the coroutine did not finish before its deadline");
        if (state.error) {
            std::rethrow_exception(state.error);
        }
        if constexpr (!std::is_void_v<T>) {
            return std::move(*std::static_pointer_cast<T>(state.result));
        }
    }

    sim::Simulator sim;

private:
    struct Run {
        boost::asio::cancellation_signal cancel;
        bool finished = false;
        std::exception_ptr error;
        std::shared_ptr<void> result;
    };
    std::list<Run> m_runs; // outlives `io`, which may still hold an overdue coroutine

public:
    boost::asio::io_context io{1};
};

} // namespace evobatch::test
