// Batch benchmark: N jobs through the real Scheduler against the in-process simulator over
// real TLS, with a real ledger on disk, at a high rate limit and a short time scale.
// Targets (issue "The batch run"): while jobs wait to be submitted, the achieved request rate is
// >= 0.97 of the limit (the limit is the only bottleneck); <= 1.2 API requests per completed task
// with batch reads, <= 4 without. Also reported: CPU-seconds (the io thread alone and the whole
// process, simulator included), peak RSS (simulator included), fsyncs per ledger event.
// With --limited-server the simulator keeps the same rate limit (rps, burst) as the client and
// the run starts as `evobatch run` does, with a balance read through the scheduler's limiter
// (issue 13): targets 0 answers 429 and creates at >= 0.9 of the limit while jobs wait.
// With --media each job's source is one of the simulator's own 9 s files (faststart and moov at
// the end, alternating), so tasks are billed by them (7 credits); --probe also probes each source
// ahead of its create (issue 17), --max-probes at once, as `run` does, and reports the probes
// and what the media host served. scripts/bench batch-probe compares the two runs' walls (issue
// 17's target: probing costs <= 5% of the wall while the rate limit is the bottleneck).
//
//   build/bench/bench_batch [--jobs N] [--rps R] [--burst B] [--in-flight F] [--time-scale S]
//                           [--connections C] [--no-batch-reads] [--limited-server] [--dir D]
//                           [--media] [--probe] [--max-probes N]
//   build/bench/bench_batch --jobs 300 --rps 30 --burst 30 --in-flight 300 --limited-server
//   build/bench/bench_batch --jobs 2000 --rps 100 --probe

#include "cpu_time.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/cli/exit_code.hpp"
#include "evobatch/ledger/ledger_writer.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/probe/prober.hpp"
#include "evobatch/progress/progress_view.hpp"
#include "evobatch/sched/scheduler.hpp"
#include "evobatch/sim/simulator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using evobatch::bench::cpu_seconds;

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace evobatch;

constexpr double k_target_rate_fraction = 0.97;
constexpr double k_target_requests_per_task_batch = 1.2;
constexpr double k_target_requests_per_task_single = 4.0;
constexpr double k_target_create_fraction = 0.9; // with --limited-server
constexpr std::size_t k_default_max_probes = 8;   // limits.max_probes' default

struct Options {
    std::size_t jobs = 10'000;
    double rps = 500;
    double burst = 20;
    std::size_t in_flight = 3'000;
    double time_scale = 0.005;
    std::size_t connections = 8;
    bool batch_reads = true;
    bool limited_server = false;
    bool media = false;          // sources are the simulator's /media/ files (--probe implies it)
    std::size_t max_probes = 0;  // above 0: probe each job's source before its create, this many at once
    fs::path dir = fs::temp_directory_path();
};

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--jobs") {
            o.jobs = std::strtoul(next().c_str(), nullptr, 10);
        } else if (a == "--rps") {
            o.rps = std::atof(next().c_str());
        } else if (a == "--burst") {
            o.burst = std::atof(next().c_str());
        } else if (a == "--in-flight") {
            o.in_flight = std::strtoul(next().c_str(), nullptr, 10);
        } else if (a == "--time-scale") {
            o.time_scale = std::atof(next().c_str());
        } else if (a == "--connections") {
            o.connections = std::strtoul(next().c_str(), nullptr, 10);
        } else if (a == "--no-batch-reads") {
            o.batch_reads = false;
        } else if (a == "--limited-server") {
            o.limited_server = true;
        } else if (a == "--media") {
            o.media = true;
        } else if (a == "--probe") {
            o.media = true;
            o.max_probes = o.max_probes > 0 ? o.max_probes : k_default_max_probes;
        } else if (a == "--max-probes") {
            o.max_probes = std::strtoul(next().c_str(), nullptr, 10);
            o.media = o.media || o.max_probes > 0;
        } else if (a == "--dir") {
            o.dir = next();
        } else {
            fmt::print(stderr, "bench_batch: unknown argument {}\n", a);
            std::exit(2);
        }
    }
    return o;
}

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// With a media base (the simulator's), sources alternate between its faststart and moov-at-the-end
// 9 s files; without, they are made-up URLs the simulator bills by a made-up length.
std::vector<manifest::Job> make_jobs(std::size_t n, std::string const& media_base) {
    std::vector<manifest::Job> jobs(n);
    for (std::size_t i = 0; i < n; ++i) {
        jobs[i].id = fmt::format("clip-{:06}", i);
        jobs[i].model = manifest::k_default_model;
        jobs[i].prompt = "Grade it like a 1970s film, warm highlights";
        jobs[i].video_url = media_base.empty()
                                ? fmt::format("https://cdn.example.com/batch/clip-{:06}.mp4", i)
                                : fmt::format("{}/media/{}", media_base,
                                              i % 2 == 0 ? "faststart_9s.mp4" : "moov_at_end_9s.mp4");
    }
    return jobs;
}

} // namespace

int main(int argc, char** argv) {
    Options const options = parse(argc, argv);
    fs::path const work = options.dir / fmt::format("evobatch-bench-batch-{}", getpid());
    fs::create_directories(work);

    sim::SimOptions sim_options;
    sim_options.key = "bench-batch-key-0123456789";
    sim_options.time_scale = options.time_scale;
    if (options.limited_server) {
        sim_options.rps = options.rps;
        sim_options.burst = static_cast<int>(options.burst);
    }
    sim::Simulator simulator(sim_options);
    simulator.start();

    auto const jobs = make_jobs(options.jobs, options.media ? simulator.base_url() : std::string());
    sched::RunLimits limits;
    limits.requests_per_second = options.rps;
    limits.burst = options.burst;
    limits.max_in_flight = options.in_flight;
    limits.max_credits = static_cast<std::int64_t>(options.jobs) * 15;
    limits.batch_reads = options.batch_reads;

    std::optional<progress::Summary> outcome;
    ledger::LedgerWriter::Stats ledger_stats;
    double io_cpu = 0;
    double wall = 0;
    probe::ProberStats prober_stats;
    {
        asio::io_context io;
        asio::thread_pool pool(1);
        net::TlsContext tls(simulator.ca_file(), false);
        net::ClientOptions client_options;
        client_options.max_connections_per_host = options.connections;
        net::HttpsClient http(io.get_executor(), tls, client_options);
        api::ApiClient client(http, simulator.base_url(), api::Secret(*sim_options.key));
        ledger::LedgerWriter writer(work / "bench.ledger.jsonl", io.get_executor(), pool);
        std::FILE* sink = std::tmpfile();
        progress::ProgressView view(progress::Mode::quiet, sink, false);
        sched::Scheduler scheduler(io.get_executor(), client, writer, view, jobs, limits);
        probe::ProberOptions prober_options; // as `run` makes it: its own client, no key
        prober_options.max_connections_per_host = std::max<std::size_t>(options.max_probes, 1);
        probe::Prober prober(io.get_executor(), tls, prober_options);
        if (options.max_probes > 0) {
            scheduler.probe_with(prober, options.max_probes, nullptr);
        }

        double const cpu_start = cpu_seconds(RUSAGE_THREAD);
        auto const wall_start = std::chrono::steady_clock::now();
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            if (options.limited_server) {
                co_await scheduler.read_balance(); // as `run` starts: one token of the same bucket
            }
            outcome = co_await scheduler.run();
            co_await writer.close();
        }, [](std::exception_ptr error) {
            if (error) {
                std::rethrow_exception(error);
            }
        });
        io.run();
        wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
        io_cpu = cpu_seconds(RUSAGE_THREAD) - cpu_start;
        pool.join();
        ledger_stats = writer.stats();
        prober_stats = prober.stats();
        std::fclose(sink);
    }
    simulator.stop();
    auto const sim_stats = simulator.stats();
    double const process_cpu = cpu_seconds(RUSAGE_SELF);
    fs::remove_all(work);

    auto const& o = *outcome;
    double const phase = o.submit_phase.count();
    double const rate_fraction =
        phase > 0 ? static_cast<double>(o.submit_phase_requests) / (options.burst + options.rps * phase) : 0.0;
    double const create_fraction =
        phase > 0 ? static_cast<double>(sim_stats.create_requests) / phase / options.rps : 0.0;
    double const per_task = o.completed > 0 ? static_cast<double>(o.api_requests) / static_cast<double>(o.completed) : 0.0;
    double const target_per_task = options.batch_reads ? k_target_requests_per_task_batch : k_target_requests_per_task_single;
    double const fsyncs_per_event =
        ledger_stats.events > 0 ? static_cast<double>(ledger_stats.fsyncs) / static_cast<double>(ledger_stats.events) : 0.0;

    fmt::print("jobs: {} ({} completed, {} failed, {} uncertain, {} unsubmitted, {} running); exit code {}\n", o.total,
               o.completed, o.failed, o.uncertain, o.unsubmitted, o.running, static_cast<int>(cli::exit_code_of(o)));
    fmt::print("limits: {} requests/s, burst {}, {} in flight, {} connections, batch reads {}\n", options.rps,
               options.burst, options.in_flight, options.connections, options.batch_reads ? "on" : "off");
    fmt::print("submission: last create after {:.2f} s, {} requests by then: {:.3f} of the limit (target >= {})\n",
               phase, o.submit_phase_requests, rate_fraction, k_target_rate_fraction);
    if (options.limited_server) {
        fmt::print("limited server: {} creates in {:.2f} s: {:.1f} creates/s, {:.3f} of the limit (target >= {}); {} "
                   "answered 429 (target 0)\n",
                   sim_stats.create_requests, phase, phase > 0 ? static_cast<double>(sim_stats.create_requests) / phase : 0.0,
                   create_fraction, k_target_create_fraction, sim_stats.count(429));
        fmt::print("limited server: at most {} requests in any 1 s window (rps + burst = {})\n", sim_stats.max_attempts_in_any_1s_window, options.rps + options.burst);
    }
    fmt::print("requests: {} API requests, {:.3f} per completed task (target <= {}); simulator saw {} creates, {} "
               "task reads, {} batch reads, {} answered 429\n",
               o.api_requests, per_task, target_per_task, sim_stats.create_requests, sim_stats.task_reads,
               sim_stats.batch_reads, sim_stats.rate_limited);
    if (options.media) {
        fmt::print("sources: the simulator's 9 s media; {} probed ({} at once), {} rejected; {} credits committed\n",
                   o.probed, options.max_probes, o.rejected, o.credits_committed);
        fmt::print("media host: {} requests ({} with a Range), {} body bytes: {:.2f} requests and {:.1f} KiB per probe; "
                   "the prober counted {} requests, {} bytes\n",
                   sim_stats.media_requests, sim_stats.media_ranges, sim_stats.media_bytes_sent,
                   o.probed > 0 ? static_cast<double>(sim_stats.media_requests) / static_cast<double>(o.probed) : 0.0,
                   o.probed > 0 ? static_cast<double>(sim_stats.media_bytes_sent) / 1024.0 / static_cast<double>(o.probed) : 0.0,
                   prober_stats.requests, prober_stats.bytes);
    }
    fmt::print("wall: {:.2f} s; CPU: io thread {:.2f} s, whole process (simulator included) {:.2f} s\n", wall, io_cpu,
               process_cpu);
    fmt::print("ledger: {} events, {} fsyncs: {:.4f} fsyncs per event ({:.1f} events per fsync)\n", ledger_stats.events,
               ledger_stats.fsyncs, fsyncs_per_event, fsyncs_per_event > 0 ? 1.0 / fsyncs_per_event : 0.0);
    fmt::print("peak RSS: {:.0f} MiB (simulator included)\n", peak_rss_mib());

    bool const pass = o.completed == o.total && o.probed == (options.max_probes > 0 ? o.total : 0) && per_task <= target_per_task &&
                      (options.limited_server
                           ? sim_stats.count(429) == 0 && create_fraction >= k_target_create_fraction
                           : rate_fraction >= k_target_rate_fraction);
    fmt::print("{}\n", pass ? "PASS" : "FAIL");
    fmt::print("{{\"bench\":\"batch\",\"jobs\":{},\"completed\":{},\"rps\":{},\"batch_reads\":{},\"submit_phase_s\":{:.3f},"
               "\"rate_fraction\":{:.4f},\"requests_per_task\":{:.4f},\"wall_s\":{:.3f},\"io_cpu_s\":{:.3f},"
               "\"process_cpu_s\":{:.3f},\"peak_rss_mib\":{:.1f},\"fsyncs_per_event\":{:.5f},\"limited_server\":{},"
               "\"create_fraction\":{:.4f},\"answered_429\":{},\"media\":{},\"max_probes\":{},\"probed\":{},"
               "\"media_requests\":{},\"media_bytes\":{},\"credits_committed\":{}}}\n",
               o.total, o.completed, options.rps, options.batch_reads, phase, rate_fraction, per_task, wall, io_cpu,
               process_cpu, peak_rss_mib(), fsyncs_per_event, options.limited_server, create_fraction,
               sim_stats.count(429), options.media, options.max_probes, o.probed, sim_stats.media_requests,
               sim_stats.media_bytes_sent, o.credits_committed);
    return pass ? 0 : 1;
}
