#include "connection_pool.hpp"

#include "evobatch/net/error.hpp"

#include <boost/asio/this_coro.hpp>

namespace evobatch::net::detail {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {
constexpr std::chrono::milliseconds k_probe_after_idle{1000};
} // namespace

ConnectionPool::ConnectionPool(asio::any_io_executor executor, asio::ssl::context& tls, std::size_t max_per_host,
                               std::chrono::milliseconds idle_timeout)
    : m_executor(std::move(executor)), m_tls(tls), m_max_per_host(std::max<std::size_t>(1, max_per_host)),
      m_idle_timeout(idle_timeout) {}

ConnectionPool::~ConnectionPool() { close_idle(); }

ConnectionPool::HostPool& ConnectionPool::host(Endpoint const& endpoint) {
    return m_hosts.try_emplace(endpoint.pool_key(), m_executor).first->second;
}

asio::awaitable<Lease> ConnectionPool::acquire(Endpoint const& endpoint, ConnectTimeouts timeouts) {
    HostPool& pool = host(endpoint);
    for (;;) {
        while (!pool.idle.empty()) {
            std::unique_ptr<Connection> candidate = std::move(pool.idle.back());
            pool.idle.pop_back();
            auto const idle = clock::now() - candidate->idle_since;
            // Probing the socket costs a syscall per request; a connection released moments ago
            // is alive as far as anyone can know (servers close idle ones after many seconds).
            bool const probe = idle > k_probe_after_idle;
            if (idle < m_idle_timeout && !(probe && candidate->peer_gone())) {
                co_return Lease{std::move(candidate), {}, {}};
            }
            // Too old (the server may close it any moment) or already closed: never reuse.
            candidate->close();
            --pool.open;
        }
        if (pool.open < m_max_per_host) {
            ++pool.open;
            auto connection = std::make_unique<Connection>(m_executor, m_tls, endpoint);
            ConnectResult const opened = co_await connection->open(timeouts);
            if (opened.error) {
                --pool.open;
                pool.waiters.notify_one();
                co_return Lease{nullptr, opened.error, opened.detail};
            }
            ++m_opened;
            co_return Lease{std::move(connection), {}, {}};
        }
        if (clock::now() >= timeouts.deadline) {
            co_return Lease{nullptr, NetErrc::timeout, "no free connection before the deadline"};
        }
        // Woken or at the deadline: look again (the check above ends a wait past its deadline).
        util::WaitEnd const end = co_await pool.waiters.wait(timeouts.deadline);
        auto const state = co_await asio::this_coro::cancellation_state;
        if (end == util::WaitEnd::cancelled || state.cancelled() != asio::cancellation_type::none) {
            if (end == util::WaitEnd::notified) {
                pool.waiters.notify_one(); // the wake-up was for a caller who can still use it
            }
            co_return Lease{nullptr, asio::error::operation_aborted, "cancelled while waiting for a connection"};
        }
    }
}

void ConnectionPool::release(Endpoint const& endpoint, std::unique_ptr<Connection> connection, bool reusable) {
    HostPool& pool = host(endpoint);
    if (reusable) {
        connection->idle_since = clock::now();
        pool.idle.push_back(std::move(connection));
    } else {
        connection->close();
        --pool.open;
    }
    pool.waiters.notify_one();
}

void ConnectionPool::close_idle() {
    for (auto& [key, pool] : m_hosts) {
        for (auto& connection : pool.idle) {
            connection->close();
            --pool.open;
        }
        pool.idle.clear();
    }
}

} // namespace evobatch::net::detail
