#pragma once
// What a probe learned about a job's media, and from where: facts only (what they mean for the
// job is rules.hpp's). Plain data; no I/O.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace evobatch::probe {

enum class Container {
    unknown,   // neither: not a video the API takes (an HTML page, another format, truncated)
    mp4,       // ISO base media ("MPEG-4", `isom`, `mp42`, ...)
    quicktime, // `qt  `: a .mov
};

struct VideoFacts {
    std::uint64_t size = 0; // bytes, from the host's Content-Length or Content-Range total
    Container container = Container::unknown;
    std::string format; // the library's name for what it found ("MPEG-4"; empty: nothing), for messages
    // From the header; unknown for a fragmented file (its moov holds no samples: the duration is
    // spread over the fragments) or when the parse did not get that far.
    std::optional<std::chrono::milliseconds> duration;
    bool fragmented = false; // the moov has an `mvex` box
    std::size_t video_tracks = 0;
    int width = 0, height = 0;
    bool parsed = false; // the parser finished within the probe's budget (else the facts may be partial)
    std::string malformed; // the header's structure lies (a table claiming more entries than it holds): why
};

enum class ImageFormat { unknown, jpeg, png, webp, gif, bmp, tiff, heic, avif, html };

struct ImageFacts {
    std::uint64_t size = 0;
    ImageFormat format = ImageFormat::unknown;
};

char const* name_of(Container c) noexcept;
char const* name_of(ImageFormat f) noexcept;

} // namespace evobatch::probe
