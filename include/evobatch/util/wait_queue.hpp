#pragma once
// WaitQueue: the one way our coroutines wait for each other on the io thread. A waiter parks,
// in arrival order, until notify_all() (a broadcast: "something changed, look again"),
// notify_one() (a hand-off to the longest waiter only), its deadline, or the cancellation of
// its operation. Slots (below) hands N slots out in arrival order on top of it.
//
// Why one timer per waiter: a shared timer would not do (re-arming it cancels the other
// waiters, which re-arm it in turn: a livelock), and the timer gives each wait its deadline and
// per-operation cancellation for free (use_awaitable binds the coroutine's cancellation slot).
// Why notify_one exists beside notify_all: thousands of requests waiting for a rate-limiter
// token or a download slot must cost one wake-up per hand-off; a broadcast there made the
// 10k-job benchmark quadratic.
//
// Lifetimes: a waiter's place lives in its coroutine frame and leaves the queue when the wait
// ends or the frame is destroyed (the io_context shut down), so no pointer to it remains. A
// queue destroyed first lets go of its waiters (they are never woken by it). Single-threaded:
// every call on the io thread. For .cpp files: it pulls in the steady timer.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <tuple>
#include <utility>

namespace evobatch::util {

// How a wait ended. A waiter both notified and cancelled (or past its deadline) is `notified`:
// a hand-off is never lost to a cancellation that arrived after it.
enum class WaitEnd { notified, deadline, cancelled };

class WaitQueue {
public:
    using TimePoint = std::chrono::steady_clock::time_point;

    explicit WaitQueue(boost::asio::any_io_executor executor) : m_executor(std::move(executor)) {}
    ~WaitQueue() {
        while (m_first != nullptr) {
            unlink(*m_first); // their frames may outlive us; they must not reach back
        }
    }
    WaitQueue(WaitQueue const&) = delete;
    WaitQueue& operator=(WaitQueue const&) = delete;

    // Parks until notified, `until` (none: no deadline) or cancellation, whichever is first.
    boost::asio::awaitable<WaitEnd> wait(std::optional<TimePoint> until = std::nullopt) {
        Place place(*this, until.value_or(TimePoint::max()));
        auto const ended = co_await place.timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
        if (place.notified) {
            co_return WaitEnd::notified;
        }
        bool const aborted = std::get<0>(ended) == boost::asio::error::operation_aborted;
        co_return aborted ? WaitEnd::cancelled : WaitEnd::deadline;
    }

    // Wakes every waiter parked now; returns how many.
    std::size_t notify_all() {
        std::size_t woken = 0;
        while (notify_one()) {
            ++woken;
        }
        return woken;
    }

    // Wakes the longest waiter only; false when nobody waits.
    bool notify_one() {
        if (m_first == nullptr) {
            return false;
        }
        Place& next = *m_first;
        unlink(next);
        next.notified = true;
        next.timer.cancel(); // resumes it later, on the io thread, never inside this call
        return true;
    }

    [[nodiscard]] bool empty() const noexcept { return m_first == nullptr; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] boost::asio::any_io_executor const& executor() const noexcept { return m_executor; }

private:
    // A waiter's place in line, in its coroutine frame: an intrusive list, so joining and
    // leaving the line cost no allocation and leaving from the middle is O(1).
    struct Place {
        Place(WaitQueue& q, TimePoint until) : queue(&q), timer(q.m_executor, until) { q.link(*this); }
        ~Place() {
            if (queue != nullptr) {
                queue->unlink(*this); // the wait ended without a notify, or the frame is destroyed
            }
        }
        Place(Place const&) = delete;
        Place& operator=(Place const&) = delete;

        WaitQueue* queue; // null once out of line
        Place* prev = nullptr;
        Place* next = nullptr;
        bool notified = false;
        boost::asio::steady_timer timer;
    };

    void link(Place& p) {
        p.prev = m_last;
        (m_last != nullptr ? m_last->next : m_first) = &p;
        m_last = &p;
        ++m_size;
    }

    void unlink(Place& p) {
        (p.prev != nullptr ? p.prev->next : m_first) = p.next;
        (p.next != nullptr ? p.next->prev : m_last) = p.prev;
        p.prev = p.next = nullptr;
        p.queue = nullptr;
        --m_size;
    }

    boost::asio::any_io_executor m_executor;
    Place* m_first = nullptr;
    Place* m_last = nullptr;
    std::size_t m_size = 0;
};

// N slots handed out in arrival order: release() gives a slot straight to the longest waiter
// (one wake-up), so a newcomer never overtakes the line. Held gives it back however its scope
// ends.
class Slots {
public:
    using TimePoint = WaitQueue::TimePoint;

    Slots(boost::asio::any_io_executor executor, std::size_t count) : m_line(std::move(executor)), m_free(count) {}

    class Held {
    public:
        explicit Held(Slots& slots) : m_slots(&slots) {}
        ~Held() { give_back(); }
        Held(Held&& other) noexcept : m_slots(std::exchange(other.m_slots, nullptr)) {}
        Held& operator=(Held&& other) noexcept {
            if (this != &other) {
                give_back();
                m_slots = std::exchange(other.m_slots, nullptr);
            }
            return *this;
        }
        Held(Held const&) = delete;
        Held& operator=(Held const&) = delete;

    private:
        void give_back() {
            if (m_slots != nullptr) {
                std::exchange(m_slots, nullptr)->release();
            }
        }
        Slots* m_slots;
    };

    // A slot, at once when one is free and nobody waits, else when release() hands one over;
    // none at `until` or on cancellation (the place in line is given up).
    boost::asio::awaitable<std::optional<Held>> acquire(std::optional<TimePoint> until = std::nullopt) {
        if (m_free > 0 && m_line.empty()) {
            --m_free;
            co_return std::optional<Held>(std::in_place, *this);
        }
        WaitEnd const end = co_await m_line.wait(until); // named: GCC 12 miscompiles a co_await in a comparison
        if (end == WaitEnd::notified) {
            co_return std::optional<Held>(std::in_place, *this); // release() passed its slot on to us
        }
        co_return std::nullopt;
    }

    // Gives a slot back: to the longest waiter if any, else to the free ones.
    void release() {
        if (!m_line.notify_one()) {
            ++m_free;
        }
    }

    [[nodiscard]] std::size_t free() const noexcept { return m_free; }
    [[nodiscard]] std::size_t waiting() const noexcept { return m_line.size(); }

private:
    WaitQueue m_line;
    std::size_t m_free;
};

} // namespace evobatch::util
