#include "server.hpp"

#include "service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>

namespace evobatch::sim {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

} // namespace

Server::Server(asio::io_context& ioc, asio::ssl::context& tls, std::list<Connection>& connections)
    : m_ioc(ioc), m_tls(tls), m_connections(connections), m_acceptor(ioc) {}

void Server::listen(tcp::endpoint const& endpoint) {
    try {
        m_acceptor.open(endpoint.protocol());
        m_acceptor.set_option(tcp::acceptor::reuse_address(true));
        if (endpoint.address().is_v6()) {
            m_acceptor.set_option(asio::ip::v6_only(true));
        }
        m_acceptor.bind(endpoint);
        m_acceptor.listen(asio::socket_base::max_listen_connections);
    } catch (boost::system::system_error const&) {
        boost::system::error_code ignored;
        m_acceptor.close(ignored);
        throw;
    }
}

std::uint16_t Server::port() const {
    return m_acceptor.local_endpoint().port();
}

void Server::start(Service& service) {
    m_service = &service;
    asio::co_spawn(m_ioc, accept_loop(), [](std::exception_ptr e) { report(e, "accept loop"); });
}

asio::awaitable<void> Server::accept_loop() {
    while (!m_stopping) {
        auto [ec, socket] = co_await m_acceptor.async_accept(use_nothrow);
        if (m_stopping || ec == asio::error::operation_aborted) {
            co_return;
        }
        if (ec) {
            // Out of descriptors, say: pause instead of spinning on the same error.
            asio::steady_timer pause(m_ioc, 50ms);
            co_await pause.async_wait(use_nothrow);
            continue;
        }
        m_service->on_connection_accepted();
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        auto const entry = m_connections.emplace(m_connections.end());
        // The entry is erased from a posted handler: this completion handler runs inside the
        // co_spawn machinery, which still uses the entry's cancellation slot until it unwinds.
        asio::co_spawn(
            m_ioc, serve_connection(std::move(socket), m_tls, *m_service, *entry),
            asio::bind_cancellation_slot(entry->cancel.slot(), [this, entry](std::exception_ptr e) {
                entry->finished = true;
                report(e, "session");
                asio::post(m_ioc, [this, entry] { m_connections.erase(entry); });
            }));
    }
}

void Server::shutdown() {
    if (m_stopping) {
        return;
    }
    m_stopping = true;
    boost::system::error_code ignored;
    m_acceptor.close(ignored);
    for (auto& c : m_connections) {
        if (c.finished) {
            continue;
        }
        c.cancel.emit(asio::cancellation_type::terminal);
        if (c.socket != nullptr) {
            c.socket->close(ignored);
        }
    }
}

// Sessions end by cancellation or network errors; an exception here is a bug, so say so.
void Server::report(std::exception_ptr e, char const* what) noexcept {
    if (!e) {
        return;
    }
    try {
        std::rethrow_exception(e);
    } catch (boost::system::system_error const& error) {
        if (error.code() != asio::error::operation_aborted) {
            std::fprintf(stderr, "evobatch sim: %s ended: %s\n", what, error.what());
        }
    } catch (std::exception const& error) {
        std::fprintf(stderr, "evobatch sim: %s ended: %s\n", what, error.what());
    } catch (...) {
        std::fprintf(stderr, "evobatch sim: %s ended with an unknown exception\n", what);
    }
}

} // namespace evobatch::sim
