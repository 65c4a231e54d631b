#pragma once
// Manifest v1 (design.md) after loading: defaults merged, `video:`/`videos`/`video_list`
// expanded, ids derived, relative paths resolved. Only a manifest without errors exists.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace evobatch::manifest {

inline constexpr int k_supported_version = 1;
inline constexpr char const* k_default_model = "kling-o1-video-edit-fast";

struct ApiSettings {
    std::string base_url = "https://api.evolink.ai";
    std::string key_env = "EVOLINK_API_KEY"; // the name of the variable; the key is never in a manifest
    std::chrono::seconds idempotency_window{15 * 60};
    std::chrono::seconds request_timeout{60}; // one API request, all in: a stalled server costs this much
    std::optional<std::filesystem::path> ca_file;
    // For showing money beside credit figures, approximately: Evolink's own clients count about
    // 68 credits to 1 USD; an account with another price sets its own.
    double credits_per_usd = 68;
};

struct Limits {
    double requests_per_second = 5;
    std::uint32_t burst = 5;
    std::uint32_t max_in_flight = 20;
    std::uint32_t max_connections = 4;
    std::int64_t max_credits = 500; // a ceiling on credits reserved by the batch's ledger: no surprise bills
    std::uint32_t max_attempts = 3;
    std::uint32_t max_downloads = 4; // result files downloaded at once (outside the API's rate limit)
    std::uint32_t max_probes = 8;    // media hosts probed at once before paying (outside the API's rate limit)
};

// Before paying: each job's source video and images are probed (issue 17) unless switched off.
struct Preflight {
    bool probe = true;
};

struct Output {
    std::filesystem::path ledger; // default: <manifest folder>/<stem>.ledger.jsonl
    std::filesystem::path dir;    // default: <manifest folder>/out/<stem>
    bool download = true;
};

// Where a job was declared, for messages about it later (plan, run, resume).
struct Origin {
    std::uint32_t file = 0; // index into Manifest::files
    std::uint32_t line = 0;
    std::uint32_t column = 0;
};

// One create request's worth of input, with the defaults already applied.
struct Job {
    std::string id;
    std::string model;
    std::string prompt;
    std::string video_url;
    std::vector<std::string> image_urls;
    std::optional<bool> keep_original_sound;
    std::optional<std::string> callback_url;
    Origin origin;
};

struct Manifest {
    std::filesystem::path path;        // as given on the command line
    std::vector<std::string> files;    // files the jobs came from: [0] the manifest, then video lists
    int version = k_supported_version;
    ApiSettings api;
    Limits limits;
    Preflight preflight;
    Output output;
    std::vector<Job> jobs;             // in manifest order: jobs, then videos, then video_list
};

} // namespace evobatch::manifest
