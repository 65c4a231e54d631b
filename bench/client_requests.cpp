// Client benchmark: keep-alive HTTPS requests through ApiClient (GET /v1/tasks/{id}, JSON
// parsed into a Task), on one io_context thread, counting the client thread's own CPU time.
// Target (issue "HTTPS client and the built-in Evolink simulator"): >= 15,000 requests per
// client CPU-second. Run it against a server that is not the bottleneck (bench/nginx/run) or
// against the in-process simulator (--sim), whose CPU is not counted.
//
//   build/bench/bench_client --url https://127.0.0.1:8443 --ca ca.pem [--requests N] [--connections C]
//   build/bench/bench_client --sim [--requests N] [--connections C]

#include "evobatch/api/api_client.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/sim/simulator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

namespace asio = boost::asio;

namespace {

constexpr double k_target_per_cpu_second = 15'000;

double thread_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    auto const secs = [](timeval tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
    return secs(usage.ru_utime) + secs(usage.ru_stime);
}

struct Options {
    std::string url;
    std::string ca;
    std::string task_id = "task-unified-1757169743-7cvnl5zw";
    long requests = 50'000;
    int connections = 4;
    bool sim = false;
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--url") {
            o.url = next();
        } else if (a == "--ca") {
            o.ca = next();
        } else if (a == "--task") {
            o.task_id = next();
        } else if (a == "--requests") {
            o.requests = std::atol(next().c_str());
        } else if (a == "--connections") {
            o.connections = std::atoi(next().c_str());
        } else if (a == "--sim") {
            o.sim = true;
        }
    }
    return o;
}

} // namespace

int main(int argc, char** argv) {
    Options options = parse(argc, argv);
    std::optional<evobatch::sim::Simulator> simulator;
    if (options.sim) {
        simulator.emplace(evobatch::sim::SimOptions{});
        simulator->start();
        options.url = simulator->base_url();
        options.ca = simulator->ca_file().string();
    }
    if (options.url.empty() || options.ca.empty()) {
        fmt::print(stderr, "usage: bench_client (--url URL --ca FILE | --sim) [--requests N] [--connections C]\n");
        return 2;
    }

    asio::io_context io;
    evobatch::net::TlsContext tls(options.ca, false);
    evobatch::net::ClientOptions client_options;
    client_options.max_connections_per_host = static_cast<std::size_t>(options.connections);
    evobatch::net::HttpsClient http(io.get_executor(), tls, client_options);
    evobatch::api::ApiClient api(http, options.url, evobatch::api::Secret("bench-key"));

    std::string task_id = options.task_id;
    if (simulator) {
        // The simulator knows only its own tasks: create one to read.
        evobatch::api::CreateRequest create{"kling-o1-video-edit-fast", "bench", {"https://h.example/a.mp4"}, {}, {}, {}};
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            auto created = co_await api.create(create, "bench-key-0000000001");
            if (created.ok()) {
                task_id = created.value->id;
            }
        }, asio::detached);
        io.run();
        io.restart();
    }

    long sent = 0;
    long ok = 0;
    long failed = 0;
    std::string first_error;
    auto worker = [&]() -> asio::awaitable<void> {
        while (sent < options.requests) {
            ++sent;
            auto result = co_await api.get_task(task_id);
            if (result.ok() && result.value->id == task_id) {
                ++ok;
            } else {
                ++failed;
                if (first_error.empty()) {
                    first_error = result.detail;
                }
            }
        }
    };
    double const cpu_start = thread_cpu_seconds();
    auto const wall_start = std::chrono::steady_clock::now();
    for (int i = 0; i < options.connections; ++i) {
        asio::co_spawn(io, worker(), asio::detached);
    }
    io.run();
    double const wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    double const cpu = thread_cpu_seconds() - cpu_start;
    auto const stats = http.stats();

    double const per_cpu = static_cast<double>(ok) / cpu;
    fmt::print("server: {}{}\n", options.url, simulator ? " (in-process simulator, its CPU not counted)" : "");
    fmt::print("requests: {} ok, {} failed{}; connections opened: {}\n", ok, failed,
               first_error.empty() ? "" : " (first: " + first_error + ")", stats.connections_opened);
    fmt::print("wall: {:.2f} s, {:.0f} requests/s\n", wall, static_cast<double>(ok) / wall);
    fmt::print("client CPU: {:.2f} s, {:.0f} requests per CPU-second (target >= {:.0f})\n", cpu, per_cpu,
               k_target_per_cpu_second);
    bool const pass = failed == 0 && per_cpu >= k_target_per_cpu_second;
    fmt::print("{}\n", pass ? "PASS" : "FAIL");
    fmt::print("{{\"bench\":\"client\",\"ok\":{},\"failed\":{},\"wall_s\":{:.3f},\"cpu_s\":{:.3f},\"per_cpu_s\":{:.0f},"
               "\"connections\":{}}}\n",
               ok, failed, wall, cpu, per_cpu, stats.connections_opened);
    if (simulator) {
        simulator->stop();
    }
    return pass ? 0 : 1;
}
