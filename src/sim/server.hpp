#pragma once
// The simulator's listener: accepts TLS connections and runs one session coroutine for each,
// all on one io_context thread. It owns its sessions: shutdown() ends every one, and the
// io_context runs out of work only when all of them (and the accept loop) have finished.

#include "session.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <exception>
#include <list>

namespace boost::asio::ssl {
class context;
}

namespace evobatch::sim {

class Service;

class Server {
public:
    // `connections` outlives the io_context (see Simulator::Impl), so a session frame destroyed
    // with the io_context can still let go of its entry.
    Server(boost::asio::io_context& ioc, boost::asio::ssl::context& tls, std::list<Connection>& connections);

    // Binds and listens. Throws boost::system::system_error, leaving the listener closed so that
    // another endpoint can be tried.
    void listen(boost::asio::ip::tcp::endpoint const& endpoint);
    [[nodiscard]] std::uint16_t port() const;

    // Starts the accept loop, answering with `service`; call once, before the io_context runs.
    void start(Service& service);
    // Closes the listener and ends every session (cancellation, then the socket is closed).
    // Call on the io thread; idempotent.
    void shutdown();

private:
    boost::asio::awaitable<void> accept_loop();
    static void report(std::exception_ptr e, char const* what) noexcept;

    boost::asio::io_context& m_ioc;
    boost::asio::ssl::context& m_tls;
    Service* m_service = nullptr;
    std::list<Connection>& m_connections;
    boost::asio::ip::tcp::acceptor m_acceptor;
    bool m_stopping = false;
};

} // namespace evobatch::sim
