// Ledger group-commit benchmark: M job coroutines each await append_durable in a loop, as jobs
// do for `submitting`/`submitted`, until N events are durable in a ledger in a temp folder.
// Reports events/s, fsyncs, events per fsync, the wait of one append_durable (p50/p99) and wall
// time. Target (issue "ledger writer"): group commit, i.e. at least 10 events per fsync (the
// integration test's bar: 1000 concurrent appends in fewer than 100 fsyncs).
//
//   build/bench/bench_ledger [--events N] [--coroutines M] [--threads T] [--dir D]

#include "evobatch/ledger/ledger_writer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace evobatch::ledger;
using Clock = std::chrono::steady_clock;

constexpr double k_target_events_per_fsync = 10.0;

struct Shared {
    LedgerWriter& writer;
    std::uint64_t total = 0;
    std::uint64_t next = 0;
    std::uint64_t failures = 0;
    std::vector<double> wait_ms;
};

// A `submitted` event of typical size (about 230 bytes).
Event make_event(std::uint64_t n) {
    Event e;
    e.type = EventType::submitted;
    e.t_ms = now_ms();
    e.job = fmt::format("job-{:06}", n);
    e.req = "9b74c9897bac770ffc029102a200c5de0f1e2d3c";
    e.task = fmt::format("task-unified-1757165031-{:08x}", n * 2654435761U);
    e.attempt = 1;
    e.key = fmt::format("evb-{}-9b74c989-1", e.job);
    e.rid = fmt::format("req_{:012}", n);
    return e;
}

asio::awaitable<void> job(Shared& shared) {
    while (shared.next < shared.total) {
        auto const n = shared.next++;
        auto const start = Clock::now();
        if (co_await shared.writer.append_durable(make_event(n))) {
            ++shared.failures;
        }
        shared.wait_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
}

double percentile(std::vector<double> sorted, double p) {
    if (sorted.empty()) {
        return 0;
    }
    std::sort(sorted.begin(), sorted.end());
    auto const i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1));
    return sorted[i];
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t events = 100'000;
    int coroutines = 200;
    int threads = 2;
    std::filesystem::path base = std::filesystem::temp_directory_path();
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view const flag = argv[i];
        if (flag == "--events") {
            events = std::max<std::uint64_t>(1, std::strtoull(argv[i + 1], nullptr, 10));
        } else if (flag == "--coroutines") {
            coroutines = std::max(1, std::atoi(argv[i + 1]));
        } else if (flag == "--threads") {
            threads = std::max(1, std::atoi(argv[i + 1]));
        } else if (flag == "--dir") {
            base = argv[i + 1];
        }
    }
    auto const dir = base / fmt::format("evobatch-bench-ledger-{}", getpid());
    auto const path = dir / "ledger.jsonl";

    asio::io_context io;
    asio::thread_pool pool(static_cast<std::size_t>(threads));
    LedgerWriter writer(path, io.get_executor(), pool);
    Shared shared{writer, events, 0, 0, {}};
    shared.wait_ms.reserve(events);
    std::exception_ptr error;
    boost::system::error_code close_error;

    auto const start = Clock::now();
    int running = coroutines;
    for (int c = 0; c < coroutines; ++c) {
        asio::co_spawn(io, job(shared), [&](std::exception_ptr e) {
            error = error ? error : e;
            if (--running == 0) {
                // The last job closes the ledger: everything is durable when run() returns.
                asio::co_spawn(io, writer.close(), [&](std::exception_ptr ce, boost::system::error_code ec) {
                    error = error ? error : ce;
                    close_error = ec;
                });
            }
        });
    }
    io.run();
    double const seconds = std::chrono::duration<double>(Clock::now() - start).count();
    pool.join();
    if (error) {
        std::rethrow_exception(error);
    }

    auto const stats = writer.stats();
    double const per_fsync =
        stats.fsyncs > 0 ? static_cast<double>(stats.events) / static_cast<double>(stats.fsyncs) : 0;
    double const rate = static_cast<double>(stats.events) / seconds;
    double const p50 = percentile(shared.wait_ms, 0.50);
    double const p99 = percentile(shared.wait_ms, 0.99);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    bool const ok = shared.failures == 0 && !close_error && stats.events == events &&
                    per_fsync >= k_target_events_per_fsync;

    fmt::print("ledger: {} events from {} coroutines, {} pool threads, in {}\n", stats.events, coroutines,
               threads, base.string());
    fmt::print("durable events/s: {:.0f}; wall time {:.3f} s\n", rate, seconds);
    fmt::print("fsyncs: {}; writes: {}; events per fsync: {:.1f} (target >= {:.0f}); {:.1f} MiB written\n",
               stats.fsyncs, stats.writes, per_fsync, k_target_events_per_fsync,
               static_cast<double>(stats.bytes) / (1 << 20));
    fmt::print("append_durable wait: p50 {:.2f} ms, p99 {:.2f} ms; failures: {}{}\n", p50, p99,
               shared.failures, close_error ? "; close: " + close_error.message() : "");
    fmt::print("{}\n", ok ? "PASS" : "FAIL");
    fmt::print("{{\"bench\":\"ledger\",\"events\":{},\"coroutines\":{},\"threads\":{},\"seconds\":{:.4f},"
               "\"events_per_s\":{:.0f},\"fsyncs\":{},\"writes\":{},\"events_per_fsync\":{:.2f},\"bytes\":{},"
               "\"p50_ms\":{:.3f},\"p99_ms\":{:.3f},\"failures\":{}}}\n",
               stats.events, coroutines, threads, seconds, rate, stats.fsyncs, stats.writes, per_fsync,
               stats.bytes, p50, p99, shared.failures);
    return ok ? 0 : 1;
}
