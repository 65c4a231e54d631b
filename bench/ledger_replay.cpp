// Ledger replay benchmark: generate a ledger shaped like a real batch (default 1M events), then
// time replay_file (read the whole file, parse every line, fold the events into per-job
// histories) and report events/s and peak RSS. Target (issue "ledger replay"): a 1M-event
// ledger replays in <= 1 s.
//
//   build/bench/bench_replay [--events N] [--runs R] [--dir D]

#include "evobatch/ledger/replay.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace evobatch::ledger;

constexpr double k_target_seconds = 1.0;
constexpr int k_in_flight = 200; // jobs whose events interleave, as a run's max_in_flight does

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0; // Linux reports KiB
}

// One job's events as a run writes them. Most jobs go submitting, submitted, 2-3 progress,
// completed (one result URL) and, for half of them, downloaded; 1 in 20 has a task that fails
// and is retried under a new key; 1 in 200 ends uncertain, 1 in 200 unsent (refused create).
struct JobScript {
    int n = 0;
    int step = 0;
    int attempt = 1;
    std::int64_t t_ms = 0;
    bool done = false;

    std::string id() const { return fmt::format("clip-{:07}", n); }

    // The next event, or false once the job is done.
    bool next(Event& e) {
        if (done) {
            return false;
        }
        e = Event{};
        t_ms += 250 + (n * 7 + step * 13) % 900;
        e.t_ms = t_ms;
        e.job = id();
        e.req = fmt::format("{:016x}{:016x}", static_cast<std::uint64_t>(n) * 0x9E3779B97F4A7C15ULL,
                            static_cast<std::uint64_t>(n) ^ 0xC2B2AE3D27D4EB4FULL);
        std::string const task = fmt::format("task-unified-1764028800-{:08x}{}", n * 2654435761U, attempt);
        bool const fails_once = n % 20 == 7 && attempt == 1;
        int const progress_events = 2 + n % 2;
        int const s = step++;
        if (s == 0) {
            e.type = EventType::submitting;
            e.attempt = attempt;
            e.key = fmt::format("evb-{}-{}-{}", e.job, e.req.substr(0, 8), attempt);
            return true;
        }
        if (s == 1 && n % 200 == 3) {
            e.type = EventType::uncertain;
            e.error = EventError{"no_answer", "connection closed after the request was written"};
            done = true;
            return true;
        }
        if (s == 1 && n % 200 == 5) {
            e.type = EventType::unsent;
            e.error =
                EventError{"insufficient_credits", "402: insufficient credits (balance 12, task needs 30)"};
            done = true;
            return true;
        }
        if (s == 1) {
            e.type = EventType::submitted;
            e.task = task;
            e.attempt = attempt;
            e.key = fmt::format("evb-{}-{}-{}", e.job, e.req.substr(0, 8), attempt);
            e.rid = fmt::format("req_01JD{:012x}", n * 31U + static_cast<unsigned>(attempt));
            e.credits = 30;
            e.eta_s = 300;
            return true;
        }
        if (s < 2 + progress_events) {
            e.type = EventType::progress;
            e.task = task;
            e.progress = 100 * (s - 1) / (progress_events + 1);
            return true;
        }
        if (s == 2 + progress_events && fails_once) {
            e.type = EventType::failed;
            e.task = task;
            e.error = EventError{"content_policy_violation", "The video could not be processed: try again"};
            ++attempt; // a new attempt: submitting again under a new key
            step = 0;
            return true;
        }
        if (s == 2 + progress_events) {
            e.type = EventType::completed;
            e.task = task;
            e.credits = 30;
            e.results = {fmt::format("https://files.evolink.ai/v1/results/2026/11/25/{}/output.mp4?Expires="
                                     "1764115200&Signature={:016x}{:016x}",
                                     task, n * 0x9E3779B97F4A7C15ULL, n * 0xBF58476D1CE4E5B9ULL)};
            return true;
        }
        if (s == 3 + progress_events && n % 2 == 0) {
            e.type = EventType::downloaded;
            e.file = fmt::format("out/batch/{}.mp4", e.job);
            e.bytes = 18'000'000 + static_cast<std::uint64_t>(n) * 977 % 9'000'000;
            e.sha256 = fmt::format("{:016x}{:016x}{:016x}{:016x}", n * 3ULL, n * 5ULL, n * 7ULL, n * 11ULL);
            return true;
        }
        return false;
    }
};

struct Generated {
    std::uint64_t events = 0;
    std::uint64_t jobs = 0;
    std::uint64_t bytes = 0;
};

// Writes about `events` events: jobs start as others finish, so their lines interleave.
Generated write_ledger(std::filesystem::path const& path, std::uint64_t events) {
    std::ofstream out(path, std::ios::binary);
    Generated g;
    std::string line;
    auto const emit = [&](Event const& e) {
        line.clear();
        append_json_line(e, line);
        out << line;
        g.bytes += line.size();
        ++g.events;
        g.jobs += e.type == EventType::submitting && e.attempt == 1 ? 1 : 0;
    };
    Event e;
    e.type = EventType::batch;
    e.t_ms = 1'764'028'800'000;
    e.manifest = "jobs/big.yaml";
    e.digest = "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    emit(e);
    std::deque<JobScript> active;
    int next_job = 0;
    while (g.events < events) {
        while (active.size() < k_in_flight) {
            active.push_back(JobScript{next_job++, 0, 1, e.t_ms, false});
        }
        JobScript job = active.front();
        active.pop_front();
        if (job.next(e)) {
            emit(e);
            active.push_back(job);
        }
    }
    return g;
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t events = 1'000'000;
    int runs = 5;
    std::filesystem::path base = std::filesystem::temp_directory_path();
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view const flag = argv[i];
        if (flag == "--events") {
            events = std::max<std::uint64_t>(1, std::strtoull(argv[i + 1], nullptr, 10));
        } else if (flag == "--runs") {
            runs = std::max(1, std::atoi(argv[i + 1]));
        } else if (flag == "--dir") {
            base = argv[i + 1];
        }
    }
    auto const dir = base / fmt::format("evobatch-bench-replay-{}", getpid());
    std::filesystem::create_directories(dir);
    auto const path = dir / "ledger.jsonl";
    Generated const g = write_ledger(path, events);
    double const rss_before = peak_rss_mib();

    std::vector<double> seconds;
    Replay replay;
    for (int r = 0; r < runs; ++r) {
        replay = Replay{}; // the previous result is freed outside the timed part
        auto const start = std::chrono::steady_clock::now();
        replay = replay_file(path);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    std::sort(seconds.begin(), seconds.end());
    double const median = seconds[seconds.size() / 2];
    double const rss = peak_rss_mib();
    auto const completed = static_cast<std::uint64_t>(
        std::count_if(replay.jobs.begin(), replay.jobs.end(),
                      [](JobHistory const& h) { return h.phase == JobPhase::completed; }));
    // What was written must be what is read back, or the figure means nothing.
    bool const correct = replay.events == g.events && replay.jobs.size() == g.jobs &&
                         replay.batches.size() == 1 && replay.torn_tail_bytes == 0 && completed > 0;
    bool const ok = correct && median <= k_target_seconds;

    fmt::print("ledger: {} events, {} jobs ({} completed), {:.1f} MiB, in {}\n", replay.events,
               replay.jobs.size(), completed, static_cast<double>(g.bytes) / (1 << 20), base.string());
    fmt::print(
        "replay_file: median {:.3f} s, best {:.3f} s over {} runs (target <= {:.1f} s); {:.0f} events/s "
        "(median)\n",
        median, seconds.front(), runs, k_target_seconds, static_cast<double>(replay.events) / median);
    fmt::print("peak RSS: {:.0f} MiB (before replaying: {:.0f} MiB){}\n", rss, rss_before,
               correct ? "" : "; the replay does not match what was written");
    fmt::print("{}\n", ok ? "PASS" : "FAIL");
    fmt::print(
        "{{\"bench\":\"replay\",\"events\":{},\"jobs\":{},\"bytes\":{},\"median_s\":{:.4f},\"best_s\":{:.4f},"
        "\"events_per_s\":{:.0f},\"peak_rss_mib\":{:.1f}}}\n",
        replay.events, replay.jobs.size(), g.bytes, median, seconds.front(),
        static_cast<double>(replay.events) / median, rss);
    return ok ? 0 : 1;
}
