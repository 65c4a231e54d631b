#pragma once
// What a probe's facts mean for a job, by the API's documented limits (api.md): a source video
// is an MP4 or MOV of at most 100 MB with a video track, billed by its duration clamped to
// 6-20 s; a reference image is JPEG, PNG or WebP of at most 10 MB. Pure.

#include "evobatch/probe/media_facts.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace evobatch::probe {

// "MB" read as MiB: a file the API might still take is not refused here (a refused one fails
// its task, which is refunded; a file refused here could never be sent).
inline constexpr std::uint64_t k_max_video_bytes = 100ull << 20;
inline constexpr std::uint64_t k_max_image_bytes = 10ull << 20;

enum class Usability {
    usable,   // send it; `credits` is its exact cost when the duration is known
    warned,   // send it, but say `reason` (a duration the API bills as 6 or 20 s)
    rejected, // never send it: `reason` says why; it costs nothing
};

struct Verdict {
    Usability usability = Usability::usable;
    std::string reason;                  // rejected and warned: in words, for people
    std::string code;                    // rejected: for machines (`too_large`, `not_a_video`, ...)
    std::optional<std::int64_t> credits; // known cost; nothing: counted at the most a task costs
    std::string note;                    // usable without a known cost: why (fragmented, partial parse)
};

Verdict judge_video(VideoFacts const& facts);

// A duration in whole seconds, rounded up: a 9.2 s clip is never counted below what it may be
// billed (api::billed_seconds and api::credits_for_duration take it).
int whole_seconds(std::chrono::milliseconds duration);
Verdict judge_image(ImageFacts const& facts);

// A size in words: "143.2 MB".
std::string size_text(std::uint64_t bytes);

} // namespace evobatch::probe
