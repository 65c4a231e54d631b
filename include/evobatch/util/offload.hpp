#pragma once
// offload(pool, fn): runs blocking work (fsync, hashing, big file moves) on the worker pool and
// resumes the awaiting coroutine on its own executor, the io thread (style.md §4). The one way
// our coroutines leave the io thread. For .cpp files: it pulls in the thread pool and post.
//
// Why not `co_await asio::post(pool, use_awaitable)`: post dispatches the completion handler
// through the handler's associated executor, which for use_awaitable is the coroutine's, so the
// coroutine never leaves the io thread. Instead we post `fn` to the pool ourselves and post the
// handler back, as boostorg/mysql's connection pool does with enter_strand/exit_strand
// (include/boost/mysql/impl/internal/connection_pool/connection_pool_impl.hpp).

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace evobatch::util {

namespace detail {

template <class R> struct OffloadTraits { using Signature = void(std::exception_ptr, std::optional<R>); };
template <> struct OffloadTraits<void> { using Signature = void(std::exception_ptr); };

} // namespace detail

// Runs `fn()` on a thread of `pool`; completes with its result, or rethrows its exception, on
// the awaiting coroutine's executor. Not cancellable: `fn` always runs to completion. The pool
// and the io_context must outlive every pending offload (shutdown order: drain the work, stop
// the io_context, then join the pool). No work guard is needed for the io_context: co_spawn
// counts a coroutine as outstanding work until it ends (co_spawn_entry_point's spawn_work), and
// an awaitable only ever runs under co_spawn.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F>> offload(boost::asio::thread_pool& pool, F fn) {
    using R = std::invoke_result_t<F>;
    static_assert(!std::is_reference_v<R>,
                  "offload returns values: a reference into the pool's work would dangle");
    using Signature = typename detail::OffloadTraits<R>::Signature;

    auto initiation = [&pool](auto handler, F work_fn) {
        // The handler's associated executor is the awaiting coroutine's: that is where we resume.
        // The result and any exception are moved into the completion, so that nothing of them is
        // left for this pool thread to release while the io thread uses them.
        auto home = boost::asio::get_associated_executor(handler);
        boost::asio::post(pool, [handler = std::move(handler), work_fn = std::move(work_fn),
                                 home = std::move(home)]() mutable {
            std::exception_ptr error;
            if constexpr (std::is_void_v<R>) {
                try {
                    work_fn();
                } catch (...) {
                    error = std::current_exception();
                }
                boost::asio::post(home, boost::asio::append(std::move(handler), std::move(error)));
            } else {
                std::optional<R> value;
                try {
                    value.emplace(work_fn());
                } catch (...) {
                    error = std::current_exception();
                }
                boost::asio::post(
                    home, boost::asio::append(std::move(handler), std::move(error), std::move(value)));
            }
        });
    };

    if constexpr (std::is_void_v<R>) {
        co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), Signature>(
            std::move(initiation), boost::asio::use_awaitable, std::move(fn));
    } else {
        std::optional<R> value =
            co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), Signature>(
                std::move(initiation), boost::asio::use_awaitable, std::move(fn));
        co_return std::move(*value);
    }
}

} // namespace evobatch::util
