// Download benchmark: N result files of S bytes each fetched at once through the Downloader
// (streamed to .part files, fsync'ed, hashed from disk on the worker pool, renamed) from the in-process
// simulator over loopback TLS. Target (issue "Results"): >= 500 MB/s aggregate with 16 files of
// 64 MB. Reports the rate until the last byte arrived and until the last file was durable,
// and the CPU of the client's io thread. Use --dir on tmpfs (/dev/shm) to leave the disk out.
//
//   build/bench/bench_download [--files N] [--mib S] [--dir D]

#include "evobatch/api/api_client.hpp"
#include "evobatch/download/downloader.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/sim/file_content.hpp"
#include "evobatch/sim/simulator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace evobatch;
using Clock = std::chrono::steady_clock;

constexpr double k_target_mb_per_s = 500;

double thread_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_THREAD, &usage);
    auto const secs = [](timeval tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
    return secs(usage.ru_utime) + secs(usage.ru_stime);
}

} // namespace

int main(int argc, char** argv) {
    std::size_t files = 16;
    std::uint64_t mib = 64;
    fs::path dir = fs::temp_directory_path();
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--files") {
            files = std::strtoul(next().c_str(), nullptr, 10);
        } else if (a == "--mib") {
            mib = std::strtoull(next().c_str(), nullptr, 10);
        } else if (a == "--dir") {
            dir = next();
        } else {
            fmt::print(stderr, "bench_download: unknown argument {}\n", a);
            return 2;
        }
    }
    fs::path const work = dir / fmt::format("evobatch-bench-download-{}", getpid());
    fs::create_directories(work);
    std::uint64_t const file_bytes = mib << 20;

    sim::SimOptions sim_options;
    sim_options.key = "bench-download-key-0123";
    sim_options.time_scale = 0.0005;
    sim_options.file_bytes = file_bytes;
    sim::Simulator simulator(sim_options);
    simulator.start();

    asio::io_context io;
    asio::thread_pool pool(2); // as `run` has: hashing finished files overlaps the transfers
    net::TlsContext tls(simulator.ca_file(), false);
    net::HttpsClient http(io.get_executor(), tls);
    api::ApiClient client(http, simulator.base_url(), api::Secret(*sim_options.key));

    // Make N completed tasks and collect their result URLs.
    std::vector<std::pair<std::string, std::string>> tasks; // id, url
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<std::string> ids;
        for (std::size_t i = 0; i < files; ++i) {
            api::CreateRequest r{"kling-o1-video-edit-fast", "bench", {fmt::format("https://h.example/{}.mp4", i)}, {}, {}, {}};
            auto created = co_await client.create(r, fmt::format("bench-download-{:08}", i));
            if (created.ok()) {
                ids.push_back(created.value->id);
            }
        }
        asio::steady_timer timer(io);
        for (auto const& id : ids) {
            for (int tries = 0; tries < 400; ++tries) {
                auto task = co_await client.get_task(id);
                if (task.ok() && task.value->status == api::TaskStatus::completed && !task.value->results.empty()) {
                    tasks.emplace_back(id, task.value->results.front());
                    break;
                }
                timer.expires_after(std::chrono::milliseconds(20));
                co_await timer.async_wait(asio::use_awaitable);
            }
        }
    }, asio::detached);
    io.run();
    io.restart();
    if (tasks.size() != files) {
        fmt::print(stderr, "bench_download: only {} of {} tasks completed\n", tasks.size(), files);
        return 1;
    }

    download::DownloadOptions options;
    options.concurrency = files;
    download::Downloader downloader(io.get_executor(), tls, pool, options);
    std::size_t ok = 0;
    std::size_t hash_ok = 0;
    std::string first_error;
    std::vector<std::string> hashes(files);
    auto const start = Clock::now();
    double const cpu_start = thread_cpu_seconds();
    for (std::size_t i = 0; i < files; ++i) {
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            auto result = co_await downloader.fetch(tasks[i].second, work / fmt::format("clip-{}.mp4", i));
            if (result.ok) {
                ++ok;
                hashes[i] = result.sha256; // checked after the clock stops: it costs as much as the download
            } else if (first_error.empty()) {
                first_error = result.error;
            }
        }, asio::detached);
    }
    io.run();
    auto const end = Clock::now();
    double const cpu = thread_cpu_seconds() - cpu_start;
    rusage all{};
    getrusage(RUSAGE_SELF, &all); // before the check below, which is not part of downloading
    pool.join();
    for (std::size_t i = 0; i < files; ++i) {
        hash_ok += !hashes[i].empty() && hashes[i] == sim::expected_file_sha256(tasks[i].first, file_bytes) ? 1 : 0;
    }
    simulator.stop();
    fs::remove_all(work);

    auto const stats = downloader.stats();
    double const seconds = std::chrono::duration<double>(end - start).count();
    double const mb = static_cast<double>(stats.bytes) / 1e6;
    double const rate = mb / seconds;
    fmt::print("files: {} of {} downloaded ({} hashes match the simulator's content){}\n", ok, files, hash_ok,
               first_error.empty() ? "" : "; first error: " + first_error);
    fmt::print("bytes: {:.0f} MB in {:.2f} s (received, fsync'ed, hashed, renamed): {:.0f} MB/s (target >= {:.0f})\n",
               mb, seconds, rate, k_target_mb_per_s);
    double const process_cpu = static_cast<double>(all.ru_utime.tv_sec + all.ru_stime.tv_sec) +
                               static_cast<double>(all.ru_utime.tv_usec + all.ru_stime.tv_usec) / 1e6;
    fmt::print("CPU: client io thread {:.2f} s ({:.0f} MB per CPU-second); whole process with the simulator and "
               "the hashing pool {:.2f} s; folder {}\n",
               cpu, mb / cpu, process_cpu, dir.string());
    bool const pass = ok == files && hash_ok == files && rate >= k_target_mb_per_s;
    fmt::print("{}\n", pass ? "PASS" : "FAIL");
    fmt::print("{{\"bench\":\"download\",\"files\":{},\"mib\":{},\"ok\":{},\"seconds\":{:.3f},\"mb_per_s\":{:.1f},"
               "\"io_cpu_s\":{:.3f}}}\n",
               files, mib, ok, seconds, rate, cpu);
    return pass ? 0 : 1;
}
