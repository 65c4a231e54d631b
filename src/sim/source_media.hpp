#pragma once
// Source media URLs: `<base>/media/<name>[?lie=<lie>]` names one of the embedded files
// (media_files.hpp) and how the media host lies about it, so one manifest can mix honest and
// lying sources. Both the media host (media_host.hpp) and the task book (what a create with such
// a `video_urls[0]` is billed, or why it fails) read them here. Pure.

#include "evobatch/api/types.hpp"
#include "evobatch/sim/simulator.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::sim {

enum class MediaLie : std::uint8_t {
    none,
    oversize,     // Content-Length / Content-Range total k_oversize_bytes; the real bytes inside it
    ignore_range, // 200 with the whole body, whatever Range says
    missing,      // 404
    gone,         // 410
    error,        // 500 every time
    flaky,        // 503 for the first request of the URL, then honest
    stall,        // the head, then nothing until SimOptions::media_stall has passed; then closed
    redirect,     // 302 to the same file without the lie
};
std::string_view to_string(MediaLie lie) noexcept;
std::optional<MediaLie> parse_media_lie(std::string_view name) noexcept;

inline constexpr std::string_view k_media_prefix = "/media/";
inline constexpr std::uint64_t k_oversize_bytes = 150'000'000;
inline constexpr std::uint64_t k_max_source_bytes = 100'000'000; // api.md: at most 100 MB

struct MediaTarget {
    std::string name;                      // percent-decoded
    std::optional<MediaLie> lie = MediaLie::none; // nullopt: a `lie=` this simulator does not know
};
// The file and lie a request target (path and query) names; nothing when it is not under /media/.
std::optional<MediaTarget> parse_media_target(std::string_view target);

// What the API makes of a create's source video.
struct SourceVerdict {
    int seconds = 0;                       // the duration it is billed by
    std::optional<api::TaskError> failure; // set: the task fails, unbilled
};
// For a URL under this simulator's /media/ (`base_url` + "/media/...", or k_media_alias +
// "/media/...", the name a manifest uses since the port changes from run to run): the named file's
// duration, or why the API refuses it (codes of api.md's final list: `resource_not_found` when
// it cannot be fetched, `invalid_parameters` when it is no usable video or is over 100 MB).
// Nothing for any other URL.
std::optional<SourceVerdict> media_source_verdict(std::string_view video_url, std::string_view base_url);

} // namespace evobatch::sim
