// Probe benchmark (issue 17): N jobs' source videos probed through the real Prober against the
// in-process simulator's media host over loopback TLS, `--at-once` jobs at a time; half
// faststart files, half with their moov at the end. Reports probes per second, requests and
// bytes fetched per probe (median and max, by kind) and the client io thread's CPU per probe.
// Targets: faststart median <= 64 KiB and <= 2 requests, moov at the end <= 4 requests (max),
// >= 200 probes a second.
//
//   build/bench/bench_probe [--probes N] [--at-once K]

#include "cpu_time.hpp"

#include "evobatch/manifest/manifest.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/probe/job_probe.hpp"
#include "evobatch/sim/simulator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <fmt/format.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using evobatch::bench::cpu_seconds;

namespace asio = boost::asio;
using namespace evobatch;
using Clock = std::chrono::steady_clock;

constexpr double k_target_probes_per_s = 200;
constexpr std::uint64_t k_target_faststart_bytes = 64 * 1024;
constexpr int k_target_faststart_requests = 2;
constexpr int k_target_moov_at_end_requests = 4;

template <class T>
T median(std::vector<T> v) {
    if (v.empty()) {
        return T{};
    }
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
}

struct Kind {
    std::string_view name;
    std::string_view file;
    std::vector<std::uint64_t> bytes;
    std::vector<int> requests;
    std::size_t right = 0; // probed, usable, 9 s
};

} // namespace

int main(int argc, char** argv) {
    std::size_t probes = 1000;
    std::size_t at_once = 16;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view const flag = argv[i];
        if (flag == "--probes") {
            probes = std::strtoul(argv[i + 1], nullptr, 10);
        } else if (flag == "--at-once") {
            at_once = std::strtoul(argv[i + 1], nullptr, 10);
        } else {
            fmt::print(stderr, "usage: bench_probe [--probes N] [--at-once K]\n");
            return 2;
        }
    }

    sim::SimOptions sim_options;
    sim::Simulator simulator(sim_options);
    simulator.start();

    std::vector<Kind> kinds{{"faststart", "faststart_9s.mp4", {}, {}, 0}, {"moov at the end", "moov_at_end_9s.mp4", {}, {}, 0}};
    std::vector<manifest::Job> jobs(probes);
    for (std::size_t i = 0; i < probes; ++i) {
        jobs[i].id = fmt::format("clip-{:05}", i);
        jobs[i].video_url = fmt::format("{}/media/{}", simulator.base_url(), kinds[i % 2].file);
    }

    asio::io_context io;
    net::TlsContext tls(simulator.ca_file(), false);
    probe::ProberOptions options;
    options.max_connections_per_host = at_once;
    probe::Prober prober(io.get_executor(), tls, options);
    probe::VideoProbe::warm_up(); // MediaInfoLib's tables, once per process, outside the clock

    auto const start = Clock::now();
    double const cpu_start = cpu_seconds(RUSAGE_THREAD);
    auto future = asio::co_spawn(io, probe::probe_jobs(prober, jobs, at_once), asio::use_future);
    io.run();
    std::vector<probe::JobProbe> const results = future.get();
    double const cpu = cpu_seconds(RUSAGE_THREAD) - cpu_start;
    double const seconds = std::chrono::duration<double>(Clock::now() - start).count();
    simulator.stop();

    for (std::size_t i = 0; i < results.size(); ++i) {
        Kind& k = kinds[i % 2];
        probe::SourceResult const& s = results[i].sources.front();
        k.bytes.push_back(s.host.bytes);
        k.requests.push_back(s.host.requests);
        bool const right = results[i].usability == probe::JobUsability::usable && s.video.duration &&
                           s.video.duration->count() == 9000;
        k.right += right ? 1 : 0;
    }
    double const rate = static_cast<double>(probes) / seconds;
    fmt::print("probes: {} in {:.2f} s, {} at once: {:.0f} probes/s (target >= {:.0f}); client io thread CPU "
               "{:.2f} s, {:.0f} us per probe\n",
               probes, seconds, at_once, rate, k_target_probes_per_s, cpu, cpu * 1e6 / static_cast<double>(probes));
    bool pass = rate >= k_target_probes_per_s;
    for (Kind const& k : kinds) {
        auto const max_bytes = k.bytes.empty() ? 0 : *std::max_element(k.bytes.begin(), k.bytes.end());
        auto const max_requests = k.requests.empty() ? 0 : *std::max_element(k.requests.begin(), k.requests.end());
        fmt::print("{}: {} of {} right (usable, 9 s); bytes per probe median {} max {}; requests median {} max {}\n",
                   k.name, k.right, k.bytes.size(), median(k.bytes), max_bytes, median(k.requests), max_requests);
        pass = pass && k.right == k.bytes.size();
    }
    pass = pass && median(kinds[0].bytes) <= k_target_faststart_bytes &&
           median(kinds[0].requests) <= k_target_faststart_requests;
    auto const moov_max = kinds[1].requests.empty() ? 0 : *std::max_element(kinds[1].requests.begin(), kinds[1].requests.end());
    pass = pass && moov_max <= k_target_moov_at_end_requests;
    fmt::print("{}\n", pass ? "PASS" : "FAIL");
    fmt::print("{{\"bench\":\"probe\",\"probes\":{},\"at_once\":{},\"seconds\":{:.3f},\"probes_per_s\":{:.1f},"
               "\"cpu_us_per_probe\":{:.0f},\"faststart_bytes_median\":{},\"faststart_requests_median\":{},"
               "\"moov_at_end_requests_max\":{},\"pass\":{}}}\n",
               probes, at_once, seconds, rate, cpu * 1e6 / static_cast<double>(probes), median(kinds[0].bytes),
               median(kinds[0].requests), moov_max, pass);
    return pass ? 0 : 1;
}
