#include "sections.hpp"

#include "url_rules.hpp"

#include <fmt/format.h>
#include <fmt/std.h>

#include <algorithm>
#include <cctype>
#include <system_error>

namespace evobatch::manifest::detail {

namespace fs = std::filesystem;

namespace {

bool is_env_name(std::string_view s) {
    return !s.empty() && (std::isalpha(static_cast<unsigned char>(s[0])) != 0 || s[0] == '_') &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

// A path value that must name a file, or a folder, that does not exist as the other kind.
std::optional<fs::path> read_path(NodeReader& reader, YamlNode const& node, std::string_view what,
                                  fs::path const& base_dir) {
    auto text = reader.text(node, what);
    if (!text) {
        return std::nullopt;
    }
    if (text->empty()) {
        reader.error(node.mark, fmt::format("{} is empty; give a path", what));
        return std::nullopt;
    }
    return resolve(base_dir, *text);
}

} // namespace

fs::path resolve(fs::path const& base_dir, std::string const& path) {
    fs::path const p(path);
    return (p.is_absolute() ? p : base_dir / p).lexically_normal();
}

void read_api(NodeReader& reader, YamlNode const& node, ApiSettings& api, fs::path const& base_dir,
              bool ca_file_required) {
    if (!reader.check_mapping(node, "api", k_api_keys)) {
        return;
    }
    if (auto const* v = NodeReader::find(node, "base_url")) {
        if (auto url = reader.text(*v, "api.base_url")) {
            if (auto problem = check_base_url(*url)) {
                reader.error(v->mark, "api.base_url " + *problem);
            } else {
                api.base_url = std::move(*url);
            }
        }
    }
    if (auto const* v = NodeReader::find(node, "key_env")) {
        // Never echo this value: a user who pasted the key itself here must not see it printed.
        if (v->kind != NodeKind::scalar || !is_env_name(v->value)) {
            reader.error(v->mark, "api.key_env must be the name of an environment variable (like EVOLINK_API_KEY), "
                                  "not the key itself: the key never goes in a manifest");
        } else {
            api.key_env = v->value;
        }
    }
    if (auto const* v = NodeReader::find(node, "idempotency_window")) {
        if (auto window = reader.duration(*v, "api.idempotency_window", std::chrono::hours(24))) {
            api.idempotency_window = *window;
        }
    }
    if (auto const* v = NodeReader::find(node, "request_timeout")) {
        using std::chrono::seconds;
        if (auto timeout = reader.duration(*v, "api.request_timeout", seconds(600), seconds(1))) {
            api.request_timeout = *timeout;
        }
    }
    if (auto const* v = NodeReader::find(node, "credits_per_usd")) {
        // The upper bound only catches a slip of the keyboard; no price is anywhere near it.
        if (auto rate = reader.number(*v, "api.credits_per_usd", 0.0, 1'000'000.0)) {
            api.credits_per_usd = *rate;
        }
    }
    if (auto const* v = NodeReader::find(node, "ca_file")) {
        if (auto path = read_path(reader, *v, "api.ca_file", base_dir)) {
            std::error_code ec;
            if (!fs::is_regular_file(*path, ec) && ca_file_required) {
                reader.error(v->mark, fmt::format("api.ca_file {} is not a file; give a PEM file of CA certificates",
                                                  *path));
            } else if (!fs::is_regular_file(*path, ec)) {
                reader.warning(v->mark, fmt::format("api.ca_file {} is not a file: read offline, the batch needs "
                                                    "none, but a run does",
                                                    *path));
                api.ca_file = std::move(*path);
            } else {
                api.ca_file = std::move(*path);
            }
        }
    }
}

void read_limits(NodeReader& reader, YamlNode const& node, Limits& limits) {
    if (!reader.check_mapping(node, "limits", k_limits_keys)) {
        return;
    }
    auto const read_count = [&](std::string_view key, std::uint32_t& out, std::int64_t max) {
        if (auto const* v = NodeReader::find(node, key)) {
            if (auto n = reader.integer(*v, fmt::format("limits.{}", key), 1, max)) {
                out = static_cast<std::uint32_t>(*n);
            }
        }
    };
    if (auto const* v = NodeReader::find(node, "requests_per_second")) {
        if (auto rps = reader.number(*v, "limits.requests_per_second", 0.0, 1000.0)) {
            limits.requests_per_second = *rps;
        }
    }
    read_count("burst", limits.burst, 10'000);
    read_count("max_in_flight", limits.max_in_flight, 100'000);
    read_count("max_connections", limits.max_connections, 256);
    read_count("max_attempts", limits.max_attempts, 10);
    read_count("max_downloads", limits.max_downloads, 64);
    read_count("max_probes", limits.max_probes, 256);
    if (auto const* v = NodeReader::find(node, "max_credits")) {
        if (auto n = reader.integer(*v, "limits.max_credits", 1, 1'000'000'000)) {
            limits.max_credits = *n;
        }
    }
}

void read_preflight(NodeReader& reader, YamlNode const& node, Preflight& preflight) {
    if (!reader.check_mapping(node, "preflight", k_preflight_keys)) {
        return;
    }
    if (auto const* v = NodeReader::find(node, "probe")) {
        if (auto probe = reader.boolean(*v, "preflight.probe")) {
            preflight.probe = *probe;
        }
    }
}

void read_output(NodeReader& reader, YamlNode const& node, Output& output, fs::path const& base_dir) {
    if (!reader.check_mapping(node, "output", k_output_keys)) {
        return;
    }
    std::error_code ec;
    if (auto const* v = NodeReader::find(node, "ledger")) {
        if (auto path = read_path(reader, *v, "output.ledger", base_dir)) {
            if (fs::is_directory(*path, ec)) {
                reader.error(v->mark, fmt::format("output.ledger {} is a directory; name a file such as "
                                                  "batch.ledger.jsonl",
                                                  *path));
            } else {
                output.ledger = std::move(*path);
            }
        }
    }
    if (auto const* v = NodeReader::find(node, "dir")) {
        if (auto path = read_path(reader, *v, "output.dir", base_dir)) {
            if (fs::exists(*path, ec) && !fs::is_directory(*path, ec)) {
                reader.error(v->mark, fmt::format("output.dir {} exists and is not a directory", *path));
            } else {
                output.dir = std::move(*path);
            }
        }
    }
    if (auto const* v = NodeReader::find(node, "download")) {
        if (auto download = reader.boolean(*v, "output.download")) {
            output.download = *download;
        }
    }
}

} // namespace evobatch::manifest::detail
