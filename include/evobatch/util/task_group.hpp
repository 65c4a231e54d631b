#pragma once
// TaskGroup: coroutines a parent starts and must see finish before what they use goes away
// (as the task_group of Beast's awaitable server examples). spawn() starts a child with
// co_spawn and counts it; join() completes once none is running. Each child's end, and the
// exception it ended with, is handed to the group's callback, never lost and never thrown
// through the io_context: one child's bug must not end the others. Single-threaded: every call on the io thread. For .cpp files: it
// pulls in co_spawn.

#include "evobatch/util/wait_queue.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <utility>

namespace evobatch::util {

class TaskGroup {
public:
    using OnEnd = std::function<void(std::exception_ptr)>;

    // `on_end` hears each child's end, once it is no longer counted: the exception it ended
    // with, or null when it returned (no callback: exceptions are dropped).
    TaskGroup(boost::asio::any_io_executor executor, OnEnd on_end)
        : m_executor(std::move(executor)), m_on_end(std::move(on_end)), m_ended(m_executor) {}
    TaskGroup(TaskGroup const&) = delete;
    TaskGroup& operator=(TaskGroup const&) = delete;

    void spawn(boost::asio::awaitable<void> child) {
        ++m_running;
        boost::asio::co_spawn(m_executor, std::move(child), [this](std::exception_ptr error) {
            --m_running;
            if (m_on_end) {
                m_on_end(error);
            }
            if (m_running == 0) {
                m_ended.notify_all();
            }
        });
    }

    // Completes when no child is running (at once when none is), or when cancelled.
    boost::asio::awaitable<void> join() {
        while (m_running > 0) {
            WaitEnd const end = co_await m_ended.wait(); // named: GCC 12 miscompiles a co_await in a comparison
            if (end == WaitEnd::cancelled) {
                co_return;
            }
        }
    }

    [[nodiscard]] std::size_t running() const noexcept { return m_running; }

private:
    boost::asio::any_io_executor m_executor;
    OnEnd m_on_end;
    std::size_t m_running = 0;
    WaitQueue m_ended; // joiners, woken when the last child ends
};

} // namespace evobatch::util
