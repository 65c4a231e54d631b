#pragma once
// A broadcast wake-up for coroutines on one thread: each waiter parks on its own timer, and
// notify_all() wakes them all to re-check their condition. (One shared timer would not do:
// re-arming it cancels the other waiters, which re-arm it in turn: a livelock.)

#include "evobatch/sched/clock.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <optional>
#include <vector>

namespace evobatch::sched::detail {

class Signal {
public:
    // Completes at the next notify_all(), at `until`, or on cancellation, whichever is first.
    boost::asio::awaitable<void> wait(boost::asio::any_io_executor executor, std::optional<TimePoint> until) {
        boost::asio::steady_timer timer(executor, until.value_or(TimePoint::max()));
        m_waiters.push_back(&timer);
        co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        m_waiters.erase(std::remove(m_waiters.begin(), m_waiters.end(), &timer), m_waiters.end());
    }

    void notify_all() {
        for (auto* timer : m_waiters) {
            timer->cancel();
        }
    }

private:
    std::vector<boost::asio::steady_timer*> m_waiters;
};

} // namespace evobatch::sched::detail
