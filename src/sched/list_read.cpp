#include "evobatch/sched/list_read.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/sched/rate_limiter.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace evobatch::sched {

namespace asio = boost::asio;

boost::asio::awaitable<ListReadResult> read_task_list(api::ApiClient& api, RateLimiter& limiter,
                                                      ListReadOptions options) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    auto const sleep = [&timer](Clock::duration delay) -> asio::awaitable<void> {
        timer.expires_after(delay);
        co_await timer.async_wait(asio::use_awaitable);
    };
    ListReadFsm fsm(std::move(options));
    ListReadAction action = fsm.start();
    while (action.step != ListReadStep::done) {
        if (action.step == ListReadStep::wait) {
            co_await sleep(action.delay);
            action = fsm.resume(ListWaited{});
            continue;
        }
        while (auto const wait = limiter.try_acquire(Clock::now())) {
            co_await sleep(*wait);
        }
        auto event = list_read_event(co_await api.list_tasks(action.query));
        if (auto const* failed = std::get_if<ListPageFailed>(&event);
            failed != nullptr && failed->kind == ListPageFailed::Kind::throttled) {
            limiter.on_throttled(Clock::now(), failed->retry_after);
        } else {
            limiter.on_success(Clock::now());
        }
        action = std::visit([&fsm](auto&& e) { return fsm.resume(std::move(e)); }, std::move(event));
    }
    ListReadResult result;
    result.listing = fsm.listing();
    result.skew = fsm.skew();
    result.list_until = fsm.list_until();
    result.stopped = fsm.stopped();
    result.refused = fsm.refused();
    result.unauthorized = fsm.unauthorized();
    result.requests = fsm.requests();
    co_return result;
}

} // namespace evobatch::sched
