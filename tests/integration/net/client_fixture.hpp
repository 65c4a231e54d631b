#pragma once
// A simulator on 127.0.0.1:0 with its own CA, and a client that trusts only that CA, with
// host name verification on (never verify_none). The simulator runs on its own thread.

#include "integration/net/run_coro.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/sim/simulator.hpp"

#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

namespace evobatch::test {

inline constexpr char const* k_test_key = "test-key-0123456789";

struct ClientFixture {
    explicit ClientFixture(sim::SimOptions options = {}, net::ClientOptions client_options = {},
                           std::string key = k_test_key)
        : simulator(with_key(std::move(options))) {
        simulator.start();
        tls = std::make_unique<net::TlsContext>(simulator.ca_file(), false);
        http = std::make_unique<net::HttpsClient>(io.get_executor(), *tls, client_options);
        api = std::make_unique<api::ApiClient>(*http, simulator.base_url(), api::Secret(std::move(key)));
    }

    static sim::SimOptions with_key(sim::SimOptions o) {
        if (!o.key) {
            o.key = k_test_key;
        }
        return o;
    }

    template <class T>
    T run(boost::asio::awaitable<T> coro) {
        return run_coro(io, std::move(coro));
    }

    boost::asio::io_context io;
    sim::Simulator simulator;
    std::unique_ptr<net::TlsContext> tls;
    std::unique_ptr<net::HttpsClient> http;
    std::unique_ptr<api::ApiClient> api;
};

inline api::CreateRequest sample_request(std::string video = "https://cdn.example.com/clips/beach-01.mp4") {
    api::CreateRequest r;
    r.model = "kling-o1-video-edit-fast";
    r.prompt = "Make the video more cinematic";
    r.video_urls = {std::move(video)};
    return r;
}

} // namespace evobatch::test
