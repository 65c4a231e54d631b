#pragma once
// One TLS connection to the simulator, served as HTTP/1.1 with keep-alive. Internal to src/sim.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace boost::asio::ssl {
class context;
}

namespace evobatch::sim {

class Service;

// What the server keeps of a running connection so that stop() can end it: the coroutine's
// cancellation signal and, while the session's stream exists, its socket.
struct Connection {
    boost::asio::cancellation_signal cancel;
    boost::asio::ip::tcp::socket* socket = nullptr;
    bool finished = false; // the coroutine has completed: its signal must not be emitted any more
};

// Handshakes, then reads requests and writes the Service's answers until the client closes, a
// timeout (handshake 10 s, idle 60 s, each write 30 s), an error or cancellation. Network errors
// end the session quietly; it never throws for them. Runs on the simulator's io thread.
boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              boost::asio::ssl::context& tls, Service& service,
                                              Connection& connection);

} // namespace evobatch::sim
