#pragma once
// The manifest's settings sections: `api`, `limits` and `output`.

#include "evobatch/manifest/manifest.hpp"
#include "node_reader.hpp"

#include <array>
#include <filesystem>
#include <string_view>

namespace evobatch::manifest::detail {

inline constexpr std::array<std::string_view, 6> k_api_keys{
    "base_url", "key_env", "idempotency_window", "ca_file", "request_timeout", "credits_per_usd"};
inline constexpr std::array<std::string_view, 8> k_limits_keys{
    "requests_per_second", "burst", "max_in_flight", "max_connections", "max_credits", "max_attempts", "max_downloads",
    "max_probes"};
inline constexpr std::array<std::string_view, 3> k_output_keys{"ledger", "dir", "download"};
inline constexpr std::array<std::string_view, 1> k_preflight_keys{"probe"};

// `ca_file_required`: a missing api.ca_file is an error (else a warning, for offline commands).
void read_api(NodeReader& reader, YamlNode const& node, ApiSettings& api, std::filesystem::path const& base_dir,
              bool ca_file_required);
void read_limits(NodeReader& reader, YamlNode const& node, Limits& limits);
void read_preflight(NodeReader& reader, YamlNode const& node, Preflight& preflight);
void read_output(NodeReader& reader, YamlNode const& node, Output& output, std::filesystem::path const& base_dir);

// `path` as written in the manifest, relative to the manifest's folder unless absolute.
std::filesystem::path resolve(std::filesystem::path const& base_dir, std::string const& path);

} // namespace evobatch::manifest::detail
