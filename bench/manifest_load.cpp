// Manifest benchmark: generate a large manifest (default 100k jobs, mixed fields), then time
// load + validate (file read, UTF-8 check, YAML parse, every rule, id derivation) and report
// the process's peak RSS. Targets (issue "Foundation"): <= 2 s and <= 300 MB for 100k jobs.
//
//   build/bench/bench_manifest [--jobs N] [--runs R]

#include "evobatch/manifest/loader.hpp"

#include <fmt/format.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr double k_target_seconds = 2.0;
constexpr double k_target_mib = 300.0;

double peak_rss_mib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0; // Linux reports KiB
}

// A manifest shaped like a real batch: explicit jobs with a mix of optional fields, ids derived
// from file names for a third of them, and prompts long enough to matter.
void write_manifest(std::filesystem::path const& path, int jobs) {
    std::ofstream out(path, std::ios::binary);
    out << "version: 1\n"
           "limits: {requests_per_second: 10, burst: 10, max_in_flight: 200, max_credits: 2000000}\n"
           "defaults:\n"
           "  prompt: Make the video more cinematic, with warm colours and a gentle film grain\n"
           "  keep_original_sound: true\n"
           "jobs:\n";
    for (int i = 0; i < jobs; ++i) {
        if (i % 3 == 0) {
            out << fmt::format("  - video: https://cdn.example.com/batch/day-{}/clip-{:06}.mp4\n", i % 31, i);
        } else {
            out << fmt::format("  - id: job-{:06}\n    video: https://cdn.example.com/batch/day-{}/src-{:06}.mov\n", i,
                               i % 31, i);
        }
        // Anchors and aliases as people use them: one shared prompt and one shared reference list.
        if (i == 4) {
            out << "    prompt: &harbour Turn the sky into a sunset over the harbour, warm and calm\n";
        } else if (i % 8 == 4) {
            out << "    prompt: *harbour\n";
        } else if (i % 8 == 0) {
            out << fmt::format("    prompt: Turn the sky into a sunset over the harbour, shot {} of the series\n", i);
        }
        if (i == 0) {
            out << "    image_urls: &refs [https://cdn.example.com/ref/style.jpg, https://cdn.example.com/ref/palette.png]\n";
        } else if (i % 10 == 5) {
            out << "    image_urls: *refs\n";
        } else if (i % 10 == 0) {
            out << fmt::format("    image_urls: [https://cdn.example.com/ref/{}.jpg, https://cdn.example.com/ref/{}.png]\n",
                               i % 97, i % 89);
        }
        if (i % 10 == 0) {
            out << "    keep_original_sound: false\n    callback_url: https://hooks.example.com/evolink/done\n";
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    int jobs = 100'000;
    int runs = 5;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string_view const flag = argv[i];
        if (flag == "--jobs") {
            jobs = std::atoi(argv[i + 1]);
        } else if (flag == "--runs") {
            runs = std::max(1, std::atoi(argv[i + 1]));
        }
    }
    auto const path = std::filesystem::temp_directory_path() / fmt::format("evobatch-bench-{}.yaml", getpid());
    write_manifest(path, jobs);
    auto const bytes = std::filesystem::file_size(path);
    double const rss_before = peak_rss_mib();

    std::vector<double> seconds;
    std::size_t loaded_jobs = 0;
    for (int r = 0; r < runs; ++r) {
        auto const start = std::chrono::steady_clock::now();
        auto const result = evobatch::manifest::load_manifest(path);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (!result.ok()) {
            fmt::print(stderr, "bench manifest is invalid: {}\n", evobatch::util::format(result.diagnostics.front()));
            return 2;
        }
        loaded_jobs = result.manifest->jobs.size();
    }
    std::filesystem::remove(path);
    std::sort(seconds.begin(), seconds.end());
    double const median = seconds[seconds.size() / 2];
    double const rss = peak_rss_mib();
    bool const ok = median <= k_target_seconds && rss <= k_target_mib;

    fmt::print("manifest: {} jobs, {:.1f} MiB of YAML\n", loaded_jobs, static_cast<double>(bytes) / (1 << 20));
    fmt::print("load+validate: median {:.3f} s, best {:.3f} s over {} runs (target <= {:.1f} s)\n", median,
               seconds.front(), runs, k_target_seconds);
    fmt::print("peak RSS: {:.0f} MiB (before loading: {:.0f} MiB; target <= {:.0f} MiB)\n", rss, rss_before,
               k_target_mib);
    fmt::print("{}\n", ok ? "PASS" : "FAIL");
    fmt::print("{{\"bench\":\"manifest\",\"jobs\":{},\"bytes\":{},\"median_s\":{:.4f},\"best_s\":{:.4f},"
               "\"peak_rss_mib\":{:.1f}}}\n",
               loaded_jobs, bytes, median, seconds.front(), rss);
    return ok ? 0 : 1;
}
