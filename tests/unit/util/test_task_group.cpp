#include "evobatch/util/task_group.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/test/unit_test.hpp>

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;
using evobatch::util::TaskGroup;
using evobatch::util::WaitQueue;

namespace {

// Starts `group.join()`; the returned flag turns true when it completes.
std::shared_ptr<bool> join(asio::io_context& ctx, TaskGroup& group) {
    auto joined = std::make_shared<bool>(false);
    asio::co_spawn(ctx, [&group, joined]() -> asio::awaitable<void> {
        co_await group.join();
        *joined = true;
    }, asio::detached);
    return joined;
}

} // namespace

BOOST_AUTO_TEST_SUITE(task_group)

BOOST_AUTO_TEST_CASE(join_waits_for_every_child) {
    asio::io_context ctx;
    TaskGroup children(ctx.get_executor(), nullptr);
    WaitQueue go(ctx.get_executor());
    int ended = 0;
    for (int i = 0; i < 3; ++i) {
        children.spawn([](WaitQueue& g, int& n) -> asio::awaitable<void> {
            co_await g.wait();
            ++n;
        }(go, ended));
    }
    auto const joined = join(ctx, children);
    ctx.poll();
    BOOST_TEST(children.running() == 3u);
    BOOST_TEST(!*joined);
    go.notify_one(); // one child ends: the others still run
    ctx.poll();
    BOOST_TEST(ended == 1);
    BOOST_TEST(!*joined);
    go.notify_all();
    ctx.poll();
    BOOST_TEST(ended == 3);
    BOOST_TEST(*joined);
    BOOST_TEST(children.running() == 0u);
}

BOOST_AUTO_TEST_CASE(join_with_no_child_completes_at_once) {
    asio::io_context ctx;
    TaskGroup children(ctx.get_executor(), nullptr);
    auto const joined = join(ctx, children);
    ctx.poll();
    BOOST_TEST(*joined);
}

BOOST_AUTO_TEST_CASE(each_end_and_a_childs_exception_reach_the_callback_and_the_others_go_on) {
    asio::io_context ctx;
    std::vector<std::string> errors;
    int ends = 0;
    TaskGroup children(ctx.get_executor(), [&](std::exception_ptr e) {
        ++ends;
        try {
            if (e) {
                std::rethrow_exception(e);
            }
        } catch (std::exception const& x) {
            errors.emplace_back(x.what());
        }
    });
    WaitQueue go(ctx.get_executor());
    bool other_ended = false;
    children.spawn([]() -> asio::awaitable<void> {
        throw std::runtime_error("a bug in one job");
        co_return;
    }());
    children.spawn([](WaitQueue& g, bool& ended) -> asio::awaitable<void> {
        co_await g.wait();
        ended = true;
    }(go, other_ended));
    ctx.poll();
    BOOST_TEST(errors == (std::vector<std::string>{"a bug in one job"}));
    BOOST_TEST(ends == 1);
    BOOST_TEST(children.running() == 1u);
    go.notify_all();
    ctx.poll();
    BOOST_TEST(other_ended);
    BOOST_TEST(ends == 2); // a child that returned is heard too, with no exception
    BOOST_TEST(errors.size() == 1u);
    BOOST_TEST(children.running() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
