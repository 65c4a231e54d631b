// HttpsClient edge cases that need a misbehaving peer rather than the simulator: a server that
// accepts TCP and then says nothing. Traffic stays on 127.0.0.1.

#include "integration/net/run_coro.hpp"

#include "evobatch/net/error.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/sim/certificates.hpp"

#include "common/temp_dir.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/test/unit_test.hpp>

namespace asio = boost::asio;
using namespace evobatch;
using asio::ip::tcp;

namespace {

// Accepts connections on 127.0.0.1 and holds them open without reading or writing.
struct SilentServer {
    explicit SilentServer(asio::io_context& io) : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
        accept();
    }
    void accept() {
        acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (!ec) {
                held.push_back(std::move(socket));
                accept();
            }
        });
    }
    [[nodiscard]] unsigned short port() const { return acceptor.local_endpoint().port(); }

    tcp::acceptor acceptor;
    std::vector<tcp::socket> held;
};

} // namespace

BOOST_AUTO_TEST_SUITE(https_client)

BOOST_AUTO_TEST_CASE(a_silent_server_times_out_in_the_handshake_and_nothing_was_sent) {
    asio::io_context io;
    SilentServer server(io);
    evobatch::test::TempDir dir;
    auto const ca = dir.path() / "ca.pem";
    sim::write_pem_file(ca, sim::generate_ca().certificate);
    net::TlsContext tls(ca, false);
    net::ClientOptions options;
    options.handshake_timeout = std::chrono::milliseconds(300);
    net::HttpsClient client(io.get_executor(), tls, options);

    net::HttpRequest request;
    request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/v1/credits";
    auto const start = std::chrono::steady_clock::now();
    auto const outcome = evobatch::test::run_coro(io, client.send(request));
    BOOST_TEST((outcome.delivery == net::Delivery::not_sent));
    BOOST_TEST((outcome.error == net::NetErrc::timeout));
    BOOST_TEST((std::chrono::steady_clock::now() - start < std::chrono::seconds(3)));
    BOOST_TEST(server.held.size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_silent_plain_http_server_times_out_after_the_request_left) {
    asio::io_context io;
    SilentServer server(io);
    net::TlsContext tls(std::nullopt, false);
    net::ClientOptions options;
    options.request_timeout = std::chrono::milliseconds(300);
    net::HttpsClient client(io.get_executor(), tls, options);

    net::HttpRequest request;
    request.method = net::Method::post;
    request.url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/videos/generations";
    request.body = "{}";
    auto const outcome = evobatch::test::run_coro(io, client.send(request));
    // The request was written: for a POST this is the money-critical "uncertain" case.
    BOOST_TEST((outcome.delivery == net::Delivery::sent_no_answer));
    BOOST_TEST((outcome.error == net::NetErrc::timeout));
}

BOOST_AUTO_TEST_SUITE_END()
