#pragma once
// A deliberately small HTTPS/1.1 client for the simulator's own tests, independent of
// src/net so that the simulator is checked by something other than the code it tests. One
// keep-alive connection; trusts only `ca_file`; verifies the peer's name (never verify_none).

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evobatch::test {

struct HttpReply {
    unsigned status = 0;
    std::map<std::string, std::string> headers; // names in lowercase
    std::string body;

    // The header's value, or "" when absent.
    [[nodiscard]] std::string header(std::string const& lowercase_name) const {
        auto const it = headers.find(lowercase_name);
        return it == headers.end() ? std::string() : it->second;
    }
};

struct HttpCall {
    std::string method = "GET";
    std::string target;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

class HttpsTestClient {
public:
    // Connects to 127.0.0.1:`port` (or `address`), sends `expected_name` as SNI and checks the
    // certificate against it.
    HttpsTestClient(boost::asio::any_io_executor executor, std::filesystem::path const& ca_file,
                    std::uint16_t port, std::string expected_name = "127.0.0.1",
                    std::string address = "127.0.0.1");
    ~HttpsTestClient();
    HttpsTestClient(HttpsTestClient const&) = delete;
    HttpsTestClient& operator=(HttpsTestClient const&) = delete;

    // TCP connect and TLS handshake, 10 s at most each. The error says why a peer was refused.
    boost::asio::awaitable<boost::system::error_code> connect();
    // Sends one request on the open connection (connecting first if there is none) and reads
    // the answer, 10 s at most each. Any error leaves the client disconnected.
    boost::asio::awaitable<boost::system::result<HttpReply>> send(HttpCall call);
    // A graceful TLS close.
    boost::asio::awaitable<void> close();
    [[nodiscard]] bool connected() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace evobatch::test
