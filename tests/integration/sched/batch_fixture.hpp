#pragma once
// Runs a whole batch through the real Scheduler against the in-process simulator over real TLS,
// with a real ledger on disk, and hands back what each side saw.

#include "common/temp_dir.hpp"
#include "integration/net/run_coro.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/download/downloader.hpp"
#include "evobatch/ledger/event.hpp"
#include "evobatch/ledger/ledger_writer.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/probe/prober.hpp"
#include "evobatch/progress/progress_view.hpp"
#include "evobatch/sched/scheduler.hpp"
#include "evobatch/sim/simulator.hpp"
#include "evobatch/util/sha256.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

namespace evobatch::test {

inline std::vector<manifest::Job> make_jobs(std::size_t n) {
    std::vector<manifest::Job> jobs(n);
    for (std::size_t i = 0; i < n; ++i) {
        jobs[i].id = "job-" + std::to_string(i);
        jobs[i].model = manifest::k_default_model;
        jobs[i].prompt = "Make it cinematic";
        jobs[i].video_url = "https://cdn.example.com/clips/clip-" + std::to_string(i) + ".mp4";
    }
    return jobs;
}

inline sim::SimOptions quick_sim() {
    sim::SimOptions o;
    o.key = "batch-test-key-0123456789";
    o.time_scale = 0.005; // estimates of 1-2 s, tasks of 0.6-2.9 s
    return o;
}

struct BatchRun {
    progress::Summary outcome;
    std::vector<ledger::Event> events; // the whole ledger, parsed
    std::string ledger_text;           // ... and as written
    sim::SimStats stats;
    std::vector<std::string> sim_log; // one line per task the simulator created
    std::map<std::string, std::string> file_sha256; // result files on disk (name -> sha256), with downloads
    std::string view_text;                          // what the run printed (BatchOptions::view)
};

struct BatchOptions {
    sim::SimOptions sim = quick_sim();
    sched::RunLimits limits;
    std::size_t jobs = 50;
    std::size_t max_connections = 4;
    BatchOptions() {
        limits.requests_per_second = 50; // tests that are about the rate set their own
        limits.burst = 10;
        limits.poll_interval_scale = 0.1; // tasks last 1-3 s: poll 10 times faster than for real ones
    }
    std::vector<jobs::JobStart> starts; // where each job resumes (empty: all new)
    bool downloads = false;              // download results into <temp>/out while the batch goes on
    download::DownloadOptions download_options;
    // Called with <temp>/out (created) before the run starts, e.g. to plant files there.
    std::function<void(std::filesystem::path const&)> before_run;
    // Called once the run has started, with the scheduler (e.g. to stop() it later).
    std::function<void(boost::asio::io_context&, sched::Scheduler&)> during;
    std::chrono::seconds deadline{120}; // the run must have ended by then
    // Each job's source video, given the simulator's base URL (empty: make_jobs' made-up URLs).
    std::function<std::string(std::string const& base_url, std::size_t job)> video;
    std::size_t max_probes = 0; // above 0: the run probes each job before its create, this many at once
    progress::Mode view = progress::Mode::quiet; // what the run prints, into BatchRun::view_text
};

inline BatchRun run_batch(BatchOptions options) {
    TempDir dir;
    options.sim.log_file = dir.path() / "sim.log";
    sim::Simulator simulator(options.sim);
    simulator.start();
    auto jobs = make_jobs(options.jobs);
    if (options.video) {
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            jobs[i].video_url = options.video(simulator.base_url(), i);
        }
    }

    boost::asio::io_context io;
    boost::asio::thread_pool pool(1);
    net::TlsContext tls(simulator.ca_file(), false);
    net::ClientOptions client_options;
    client_options.max_connections_per_host = options.max_connections;
    net::HttpsClient http(io.get_executor(), tls, client_options);
    api::ApiClient client(http, simulator.base_url(), api::Secret(*options.sim.key));
    auto const ledger_path = dir.path() / "batch.ledger.jsonl";
    ledger::LedgerWriter writer(ledger_path, io.get_executor(), pool);
    std::FILE* sink = std::tmpfile();
    progress::ProgressView view(options.view, sink, false);
    sched::Scheduler scheduler(io.get_executor(), client, writer, view, jobs, options.limits, options.starts);
    download::Downloader downloader(io.get_executor(), tls, pool, options.download_options);
    if (options.downloads) {
        scheduler.download_to(downloader, dir.path() / "out");
    }
    probe::Prober prober(io.get_executor(), tls);
    if (options.max_probes > 0) {
        scheduler.probe_with(prober, options.max_probes, nullptr);
    }
    if (options.before_run) {
        std::filesystem::create_directories(dir.path() / "out");
        options.before_run(dir.path() / "out");
    }
    if (options.during) {
        options.during(io, scheduler);
    }

    BatchRun result;
    result.outcome = run_coro(
        io,
        [&]() -> boost::asio::awaitable<progress::Summary> {
            auto outcome = co_await scheduler.run();
            co_await writer.close();
            co_return outcome;
        }(),
        options.deadline);
    pool.join();
    std::fflush(sink);
    std::rewind(sink);
    for (int c = std::fgetc(sink); c != EOF; c = std::fgetc(sink)) {
        result.view_text += static_cast<char>(c);
    }
    std::fclose(sink);
    simulator.stop();
    result.stats = simulator.stats();

    std::ifstream in(ledger_path);
    for (std::string line; std::getline(in, line);) {
        auto event = ledger::parse_json_line(line);
        BOOST_REQUIRE_MESSAGE(event, "ledger line does not parse: " << line);
        result.events.push_back(std::move(*event));
        result.ledger_text += line + "\n";
    }
    if (std::filesystem::exists(dir.path() / "out")) {
        for (auto const& entry : std::filesystem::directory_iterator(dir.path() / "out")) {
            std::ifstream file(entry.path(), std::ios::binary);
            std::string const bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
            result.file_sha256[entry.path().filename().string()] = util::sha256_hex(bytes);
        }
    }
    std::ifstream log(dir.path() / "sim.log");
    for (std::string line; std::getline(log, line);) {
        result.sim_log.push_back(line);
    }
    return result;
}

inline std::size_t count_events(BatchRun const& run, ledger::EventType type) {
    return static_cast<std::size_t>(std::count_if(run.events.begin(), run.events.end(),
                                                  [type](ledger::Event const& e) { return e.type == type; }));
}

} // namespace evobatch::test
