#pragma once
// Keep-alive connections per host (scheme, host, port), at most `max_per_host` open at once;
// callers beyond the cap wait, in order, until one is released or their deadline passes.
// Single-threaded: all calls on the client's executor. Internal to src/net.

#include "connection.hpp"

#include "evobatch/util/wait_queue.hpp"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace evobatch::net::detail {

struct Lease {
    std::unique_ptr<Connection> connection; // null on failure
    boost::system::error_code error;
    std::string detail;
};

class ConnectionPool {
public:
    ConnectionPool(boost::asio::any_io_executor executor, boost::asio::ssl::context& tls, std::size_t max_per_host,
                   std::chrono::milliseconds idle_timeout);
    ~ConnectionPool();
    ConnectionPool(ConnectionPool const&) = delete;
    ConnectionPool& operator=(ConnectionPool const&) = delete;

    // A live connection to `endpoint`: an idle one if any is still good, else a new one once
    // the host is under its cap. Fails with NetErrc::timeout at the deadline, or with the
    // connect error (the slot is given back either way).
    boost::asio::awaitable<Lease> acquire(Endpoint const& endpoint, ConnectTimeouts timeouts);

    // Returns a connection after use; `reusable` false closes it. Wakes one waiter.
    void release(Endpoint const& endpoint, std::unique_ptr<Connection> connection, bool reusable);

    void close_idle();

    [[nodiscard]] std::uint64_t connections_opened() const noexcept { return m_opened; }

private:
    struct HostPool {
        explicit HostPool(boost::asio::any_io_executor const& executor) : waiters(executor) {}
        std::vector<std::unique_ptr<Connection>> idle; // most recently used last
        std::size_t open = 0;                          // idle + in use + connecting
        util::WaitQueue waiters; // one is woken per connection given back or slot freed
    };
    HostPool& host(Endpoint const& endpoint);

    boost::asio::any_io_executor m_executor;
    boost::asio::ssl::context& m_tls;
    std::size_t m_max_per_host;
    std::chrono::milliseconds m_idle_timeout;
    std::unordered_map<std::string, HostPool> m_hosts;
    std::uint64_t m_opened = 0;
};

} // namespace evobatch::net::detail
