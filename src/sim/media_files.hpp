#pragma once
// The source media the simulator serves at /media/<name>: tests/media's files, embedded at build
// time (embed_media.cmake reads tests/media/catalog.txt, which says what each file is).

#include <cstdint>
#include <span>
#include <string_view>

namespace evobatch::sim {

enum class MediaKind : std::uint8_t {
    video, // a source video the API accepts, billed by `seconds`
    audio, // an MP4 without a video track
    html,  // a web page under a video's name
    image, // a reference image
};

struct MediaFile {
    std::string_view name;
    std::string_view content_type;
    MediaKind kind = MediaKind::video;
    int seconds = 0; // its duration; 0 for what is not a video
    std::span<unsigned char const> bytes;
};

// Every embedded file, in catalog order (defined in the generated media_files_data.cpp).
std::span<MediaFile const> embedded_media() noexcept;
// The file of that name, or nullptr.
MediaFile const* find_media(std::string_view name) noexcept;

} // namespace evobatch::sim
