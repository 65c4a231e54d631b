#include "evobatch/util/wait_queue.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace asio = boost::asio;
using evobatch::util::Slots;
using evobatch::util::WaitEnd;
using evobatch::util::WaitQueue;

namespace {

// Starts `q.wait(until)`; its end lands in the returned slot.
std::shared_ptr<std::optional<WaitEnd>> park(asio::io_context& ctx, WaitQueue& q,
                                             std::optional<WaitQueue::TimePoint> until = std::nullopt) {
    auto end = std::make_shared<std::optional<WaitEnd>>();
    asio::co_spawn(ctx, [&q, until, end]() -> asio::awaitable<void> { *end = co_await q.wait(until); },
                   asio::detached);
    return end;
}

// Starts `q.wait()` under `cancel`'s slot; its end lands in the returned slot.
std::shared_ptr<std::optional<WaitEnd>> park_cancellable(asio::io_context& ctx, WaitQueue& q,
                                                         asio::cancellation_signal& cancel) {
    auto end = std::make_shared<std::optional<WaitEnd>>();
    asio::co_spawn(ctx, [&q, end]() -> asio::awaitable<void> { *end = co_await q.wait(); },
                   asio::bind_cancellation_slot(cancel.slot(), asio::detached));
    return end;
}

// Takes a slot, notes its turn in `order`, holds it until `release` is notified.
asio::awaitable<void> take_turn(Slots& slots, WaitQueue& release, std::vector<int>& order, int who) {
    auto held = co_await slots.acquire();
    BOOST_TEST_REQUIRE(held.has_value());
    order.push_back(who);
    co_await release.wait();
}

} // namespace

BOOST_AUTO_TEST_SUITE(wait_queue)

BOOST_AUTO_TEST_CASE(notify_all_wakes_every_waiter_and_only_those_parked) {
    asio::io_context ctx;
    WaitQueue q(ctx.get_executor());
    auto a = park(ctx, q);
    auto b = park(ctx, q);
    ctx.poll();
    BOOST_TEST(q.size() == 2u);
    BOOST_TEST(!a->has_value());
    BOOST_TEST(q.notify_all() == 2u);
    BOOST_TEST(q.empty());
    auto late = park(ctx, q); // parks after the broadcast: not woken by it
    ctx.poll();
    BOOST_TEST((*a == WaitEnd::notified));
    BOOST_TEST((*b == WaitEnd::notified));
    BOOST_TEST(!late->has_value());
    BOOST_TEST(q.size() == 1u);
    q.notify_all();
    ctx.poll();
    BOOST_TEST((*late == WaitEnd::notified));
}

BOOST_AUTO_TEST_CASE(notify_one_wakes_the_longest_waiter_only) {
    asio::io_context ctx;
    WaitQueue q(ctx.get_executor());
    auto first = park(ctx, q);
    auto second = park(ctx, q);
    ctx.poll();
    BOOST_TEST(q.notify_one());
    ctx.poll();
    BOOST_TEST((*first == WaitEnd::notified));
    BOOST_TEST(!second->has_value());
    BOOST_TEST(q.size() == 1u);
    BOOST_TEST(q.notify_one());
    BOOST_TEST(!q.notify_one());
    ctx.poll();
    BOOST_TEST((*second == WaitEnd::notified));
}

BOOST_AUTO_TEST_CASE(a_deadline_ends_that_wait_and_leaves_the_line) {
    asio::io_context ctx;
    WaitQueue q(ctx.get_executor());
    auto patient = park(ctx, q);
    auto hurried = park(ctx, q, WaitQueue::TimePoint::clock::now() + std::chrono::milliseconds(5));
    auto past = park(ctx, q, WaitQueue::TimePoint::clock::now() - std::chrono::seconds(1));
    while (!hurried->has_value() || !past->has_value()) {
        ctx.run_one(); // no pass/fail on time: only on which waits ended, and how
    }
    BOOST_TEST((*hurried == WaitEnd::deadline));
    BOOST_TEST((*past == WaitEnd::deadline));
    BOOST_TEST(!patient->has_value());
    BOOST_TEST(q.size() == 1u);
    BOOST_TEST(q.notify_all() == 1u); // the ended waits are not woken: nothing points at them
    ctx.poll();
    BOOST_TEST((*patient == WaitEnd::notified));
}

BOOST_AUTO_TEST_CASE(cancelling_the_operation_ends_the_wait_and_unregisters_it) {
    asio::io_context ctx;
    WaitQueue q(ctx.get_executor());
    asio::cancellation_signal cancel;
    auto end = park_cancellable(ctx, q, cancel);
    auto other = park(ctx, q);
    ctx.poll();
    BOOST_TEST(q.size() == 2u);
    cancel.emit(asio::cancellation_type::terminal);
    ctx.poll();
    BOOST_TEST((*end == WaitEnd::cancelled));
    BOOST_TEST(q.size() == 1u);
    BOOST_TEST(q.notify_one()); // reaches the waiter still parked, not the cancelled one
    ctx.poll();
    BOOST_TEST((*other == WaitEnd::notified));
}

BOOST_AUTO_TEST_CASE(a_notify_before_a_cancellation_is_kept) {
    asio::io_context ctx;
    WaitQueue q(ctx.get_executor());
    asio::cancellation_signal cancel;
    auto end = park_cancellable(ctx, q, cancel);
    ctx.poll();
    q.notify_one();
    cancel.emit(asio::cancellation_type::terminal); // before the waiter resumes
    ctx.poll();
    BOOST_TEST((*end == WaitEnd::notified)); // a hand-off is never lost to a late cancellation
}

BOOST_AUTO_TEST_CASE(destroying_the_io_context_with_waiters_parked_unregisters_them) {
    std::optional<WaitQueue> q; // outlives the io_context, as a run's state does
    {
        asio::io_context ctx;
        q.emplace(ctx.get_executor());
        park(ctx, *q);
        park(ctx, *q, WaitQueue::TimePoint::clock::now() + std::chrono::hours(1));
        ctx.poll();
        BOOST_TEST(q->size() == 2u);
    } // the frames are destroyed without resuming
    BOOST_TEST(q->empty());
    BOOST_TEST(!q->notify_one());
}

BOOST_AUTO_TEST_CASE(a_queue_destroyed_before_its_waiters_lets_go_of_them) {
    asio::io_context ctx;
    auto q = std::make_unique<WaitQueue>(ctx.get_executor());
    park(ctx, *q);
    ctx.poll();
    q.reset(); // the parked frame must not reach back into it when it is destroyed below
}

BOOST_AUTO_TEST_CASE(slots_are_handed_on_in_arrival_order) {
    asio::io_context ctx;
    Slots slots(ctx.get_executor(), 2);
    WaitQueue release(ctx.get_executor());
    std::vector<int> order;
    for (int who = 0; who < 5; ++who) {
        asio::co_spawn(ctx, take_turn(slots, release, order, who), asio::detached);
    }
    ctx.poll();
    BOOST_TEST(order == (std::vector<int>{0, 1}));
    BOOST_TEST(slots.free() == 0u);
    BOOST_TEST(slots.waiting() == 3u);
    release.notify_one(); // 0 leaves: its slot goes to 2, the longest waiter, and to nobody else
    ctx.poll();
    BOOST_TEST(order == (std::vector<int>{0, 1, 2}));
    BOOST_TEST(slots.waiting() == 2u);
    release.notify_all();
    for (int round = 0; round < 4; ++round) {
        ctx.poll();
        release.notify_all();
    }
    BOOST_TEST(order == (std::vector<int>{0, 1, 2, 3, 4}));
    BOOST_TEST(slots.free() == 2u);
    BOOST_TEST(slots.waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(a_newcomer_does_not_overtake_the_line) {
    asio::io_context ctx;
    Slots slots(ctx.get_executor(), 1);
    std::optional<Slots::Held> first;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> { first = co_await slots.acquire(); }, asio::detached);
    std::vector<int> order;
    WaitQueue release(ctx.get_executor());
    asio::co_spawn(ctx, take_turn(slots, release, order, 1), asio::detached);
    ctx.poll();
    BOOST_TEST(first.has_value());
    first.reset(); // hands the slot to 1, still parked: free stays 0
    BOOST_TEST(slots.free() == 0u);
    asio::co_spawn(ctx, take_turn(slots, release, order, 2), asio::detached);
    ctx.poll();
    BOOST_TEST(order == (std::vector<int>{1}));
    BOOST_TEST(slots.waiting() == 1u);
    release.notify_all();
    ctx.poll();
    BOOST_TEST(order == (std::vector<int>{1, 2}));
}

BOOST_AUTO_TEST_CASE(a_slot_wait_past_its_deadline_gives_up_its_place) {
    asio::io_context ctx;
    Slots slots(ctx.get_executor(), 1);
    std::optional<Slots::Held> holder;
    std::optional<std::optional<Slots::Held>> late;
    asio::co_spawn(ctx, [&]() -> asio::awaitable<void> { holder = co_await slots.acquire(); }, asio::detached);
    asio::co_spawn(
        ctx,
        [&]() -> asio::awaitable<void> {
            late.emplace(co_await slots.acquire(WaitQueue::TimePoint::clock::now() + std::chrono::milliseconds(5)));
        },
        asio::detached);
    while (!late.has_value()) {
        ctx.run_one();
    }
    BOOST_TEST(!late->has_value());
    BOOST_TEST(slots.waiting() == 0u);
    holder.reset(); // nobody waits: the slot is free again, not handed to the gone waiter
    BOOST_TEST(slots.free() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
