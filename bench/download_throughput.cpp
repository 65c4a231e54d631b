// Download benchmark: N result files of S bytes each fetched at once through the Downloader
// (written to .part files and hashed on the worker pool while the next pieces arrive, fsync'ed, renamed) from the in-process
// simulator over loopback TLS. Target (issue "Results"): >= 500 MB/s aggregate with 16 files of
// 64 MB. Reports the rate until the last byte arrived and until the last file was durable,
// and the CPU of the client's io thread. Use --dir on tmpfs (/dev/shm) to leave the disk out.
// The simulator shares the machine's cores with the client; `bench/nginx/download` serves the
// files from Debian's nginx instead (--url, --ca, --sums: `sha256sum` lines of the files).
//
//   build/bench/bench_download [--files N] [--mib S] [--dir D]
//   build/bench/bench_download --url https://127.0.0.1:18443 --ca ca.pem --sums SHA256SUMS [--dir D]

#include "cpu_time.hpp"

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
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using evobatch::bench::cpu_seconds;

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace evobatch;
using Clock = std::chrono::steady_clock;

constexpr double k_target_mb_per_s = 500;

// One file to fetch, and how to know its right SHA-256 (computed after the clock stops).
struct Wanted {
    std::string task_id; // what the part belongs to (the file's name for --sums files)
    std::string url;
    std::function<std::string()> expected_sha256;
};

// N completed simulator tasks and their result URLs; empty when they did not complete.
std::vector<Wanted> simulator_files(asio::io_context& io, api::ApiClient& client, std::size_t files,
                                    std::uint64_t file_bytes) {
    std::vector<Wanted> wanted;
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
                    wanted.push_back({id, task.value->results.front(),
                                      [id, file_bytes] { return sim::expected_file_sha256(id, file_bytes); }});
                    break;
                }
                timer.expires_after(std::chrono::milliseconds(20));
                co_await timer.async_wait(asio::use_awaitable);
            }
        }
    }, asio::detached);
    io.run();
    io.restart();
    return wanted;
}

// The files a `sha256sum` listing names, under `base_url`.
std::vector<Wanted> listed_files(std::string const& base_url, fs::path const& sums) {
    std::vector<Wanted> wanted;
    std::ifstream in(sums);
    std::string line;
    while (std::getline(in, line)) {
        auto const space = line.find("  ");
        if (line.size() < 67 || space != 64) {
            continue;
        }
        std::string const hash = line.substr(0, 64);
        wanted.push_back({line.substr(66), base_url + "/" + line.substr(66), [hash] { return hash; }});
    }
    return wanted;
}

} // namespace

int main(int argc, char** argv) {
    std::size_t files = 16;
    std::uint64_t mib = 64;
    fs::path dir = fs::temp_directory_path();
    std::string url;
    std::string ca;
    fs::path sums;
    for (int i = 1; i < argc; ++i) {
        std::string_view const a = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (a == "--files") {
            files = std::strtoul(next().c_str(), nullptr, 10);
        } else if (a == "--mib") {
            mib = std::strtoull(next().c_str(), nullptr, 10);
        } else if (a == "--dir") {
            dir = next();
        } else if (a == "--url") {
            url = next();
        } else if (a == "--ca") {
            ca = next();
        } else if (a == "--sums") {
            sums = next();
        } else {
            fmt::print(stderr, "bench_download: unknown argument {}\n", a);
            return 2;
        }
    }
    bool const external = !url.empty();
    if (external && (ca.empty() || sums.empty())) {
        fmt::print(stderr, "bench_download: --url needs --ca and --sums\n");
        return 2;
    }
    fs::path const work = dir / fmt::format("evobatch-bench-download-{}", getpid());
    fs::create_directories(work);
    std::uint64_t const file_bytes = mib << 20;

    sim::SimOptions sim_options;
    sim_options.key = "bench-download-key-0123";
    sim_options.time_scale = 0.0005;
    sim_options.file_bytes = file_bytes;
    sim::Simulator simulator(sim_options);
    if (!external) {
        simulator.start();
    }

    asio::io_context io;
    asio::thread_pool pool(2); // as `run` has: writing and hashing overlap the transfers
    net::TlsContext tls(external ? fs::path(ca) : simulator.ca_file(), false);
    net::HttpsClient http(io.get_executor(), tls);
    api::ApiClient client(http, external ? url : simulator.base_url(), api::Secret(*sim_options.key));

    std::vector<Wanted> const wanted =
        external ? listed_files(url, sums) : simulator_files(io, client, files, file_bytes);
    if (wanted.empty() || (!external && wanted.size() != files)) {
        fmt::print(stderr, "bench_download: only {} of {} files to fetch\n", wanted.size(), files);
        return 1;
    }
    files = wanted.size();
    download::DownloadOptions options;
    options.concurrency = files;
    download::Downloader downloader(io.get_executor(), tls, pool, options);
    std::size_t ok = 0;
    std::size_t hash_ok = 0;
    std::string first_error;
    std::vector<std::string> hashes(files);
    auto const start = Clock::now();
    double const cpu_start = cpu_seconds(RUSAGE_THREAD);
    double const process_cpu_start = cpu_seconds(RUSAGE_SELF);
    for (std::size_t i = 0; i < files; ++i) {
        asio::co_spawn(io, [&, i]() -> asio::awaitable<void> {
            auto result =
                co_await downloader.fetch(wanted[i].task_id, wanted[i].url, work / fmt::format("clip-{}.mp4", i));
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
    double const cpu = cpu_seconds(RUSAGE_THREAD) - cpu_start;
    double const process_cpu = cpu_seconds(RUSAGE_SELF) - process_cpu_start; // not the check below
    pool.join();
    for (std::size_t i = 0; i < files; ++i) {
        hash_ok += !hashes[i].empty() && hashes[i] == wanted[i].expected_sha256() ? 1 : 0;
    }
    if (!external) {
        simulator.stop();
    }
    fs::remove_all(work);

    auto const stats = downloader.stats();
    double const seconds = std::chrono::duration<double>(end - start).count();
    double const mb = static_cast<double>(stats.bytes) / 1e6;
    double const rate = mb / seconds;
    fmt::print("files: {} of {} downloaded ({} hashes match the files' content){}\n", ok, files, hash_ok,
               first_error.empty() ? "" : "; first error: " + first_error);
    fmt::print("bytes: {:.0f} MB in {:.2f} s (received, fsync'ed, hashed, renamed): {:.0f} MB/s (target >= {:.0f})\n",
               mb, seconds, rate, k_target_mb_per_s);
    fmt::print("CPU while downloading: client io thread {:.2f} s ({:.0f} MB per CPU-second); whole process with the "
               "simulator and the writing and hashing pool {:.2f} s ({:.2f} CPU-s per GB, {:.0f}% of {} cores); "
               "folder {}\n",
               cpu, mb / cpu, process_cpu, process_cpu / (mb / 1000), 100 * process_cpu / seconds /
               std::thread::hardware_concurrency(), std::thread::hardware_concurrency(), dir.string());
    bool const pass = ok == files && hash_ok == files && rate >= k_target_mb_per_s;
    fmt::print("{}\n", pass ? "PASS" : "FAIL");
    fmt::print("{{\"bench\":\"download\",\"server\":\"{}\",\"files\":{},\"mib\":{},\"ok\":{},\"seconds\":{:.3f},\"mb_per_s\":{:.1f},"
               "\"io_cpu_s\":{:.3f}}}\n",
               external ? "external" : "simulator", files, stats.bytes / files >> 20, ok, seconds, rate, cpu);
    return pass ? 0 : 1;
}
