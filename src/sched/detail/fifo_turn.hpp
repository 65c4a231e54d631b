#pragma once
// One coroutine at a time, in arrival order: the rest park on their own timers and leave()
// wakes only the next one. The scheduler puts its rate limiter behind it, so thousands of
// requests waiting for a token cost one timer wake-up per token instead of one per waiter
// (a broadcast there made the 10k-job benchmark quadratic).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>

namespace evobatch::sched::detail {

class FifoTurn {
public:
    // Completes when it is this caller's turn; the caller must call leave() when done (Held
    // below does it). A caller destroyed while waiting (the io_context shut down) gives up its
    // place.
    boost::asio::awaitable<void> enter(boost::asio::any_io_executor executor) {
        if (!m_busy) {
            m_busy = true;
            co_return;
        }
        boost::asio::steady_timer timer(executor, boost::asio::steady_timer::time_point::max());
        m_waiting.push_back(&timer);
        struct Unqueue {
            FifoTurn& turn;
            boost::asio::steady_timer* timer;
            ~Unqueue() {
                auto& q = turn.m_waiting;
                q.erase(std::remove(q.begin(), q.end(), timer), q.end());
            }
        } unqueue{*this, &timer};
        // Only leave() cancels this timer, after taking it off the queue: the turn is ours.
        co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }

    void leave() {
        if (m_waiting.empty()) {
            m_busy = false;
            return;
        }
        auto* next = m_waiting.front();
        m_waiting.pop_front();
        next->cancel(); // m_busy stays true: the turn passes to `next`
    }

    // Leaves the turn at scope exit, whatever way the scope ends.
    class Held {
    public:
        explicit Held(FifoTurn& turn) : m_turn(turn) {}
        ~Held() { m_turn.leave(); }
        Held(Held const&) = delete;
        Held& operator=(Held const&) = delete;

    private:
        FifoTurn& m_turn;
    };

private:
    bool m_busy = false;
    std::deque<boost::asio::steady_timer*> m_waiting;
};

} // namespace evobatch::sched::detail
