#include "evobatch/probe/rules.hpp"

#include "evobatch/api/pricing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace evobatch::probe {

namespace {

Verdict rejected(std::string code, std::string reason) {
    Verdict v;
    v.usability = Usability::rejected;
    v.code = std::move(code);
    v.reason = std::move(reason);
    return v;
}

} // namespace

std::string size_text(std::uint64_t bytes) {
    return fmt::format("{:.1f} MB", static_cast<double>(bytes) / static_cast<double>(1ull << 20));
}

Verdict judge_video(VideoFacts const& f) {
    if (f.size > k_max_video_bytes) {
        return rejected("too_large", fmt::format("the video is {}; the API takes at most {}", size_text(f.size),
                                                 size_text(k_max_video_bytes)));
    }
    if (!f.malformed.empty()) {
        return rejected("malformed", "the video's header is damaged: " + f.malformed);
    }
    if (f.container == Container::unknown && !f.parsed) {
        Verdict v; // the bytes ran out (a budget, a host that stopped): not known, not refused
        v.note = "its format could not be read within the probe's budget; counted at the most a task costs";
        return v;
    }
    if (f.container == Container::unknown) {
        return rejected("not_a_video", f.format.empty() ? "not an MP4 or MOV video (its bytes are no known format)"
                                                        : fmt::format("not an MP4 or MOV video ({})", f.format));
    }
    if (f.video_tracks == 0) {
        return rejected("no_video_track", fmt::format("the {} file has no video track", name_of(f.container)));
    }
    Verdict v;
    if (!f.duration) {
        v.note = f.fragmented ? "a fragmented MP4: its header holds no duration; counted at the most a task costs"
                              : "no duration found in its header; counted at the most a task costs";
        return v;
    }
    double const seconds = std::chrono::duration<double>(*f.duration).count();
    int const whole = whole_seconds(*f.duration);
    v.credits = api::credits_for_duration(whole);
    if (int const billed = api::billed_seconds(whole); billed != whole) {
        v.usability = Usability::warned;
        v.reason = fmt::format("{:.1f} s long: billed as {} s ({} credits)", seconds, billed, *v.credits);
    }
    return v;
}

int whole_seconds(std::chrono::milliseconds duration) {
    double const seconds = std::chrono::duration<double>(duration).count();
    return static_cast<int>(std::min(std::ceil(seconds), 1e6));
}

Verdict judge_image(ImageFacts const& f) {
    if (f.size > k_max_image_bytes) {
        return rejected("image_too_large", fmt::format("the image is {}; the API takes at most {}", size_text(f.size),
                                                       size_text(k_max_image_bytes)));
    }
    switch (f.format) {
    case ImageFormat::jpeg:
    case ImageFormat::png:
    case ImageFormat::webp: return {};
    default:
        return rejected("image_format", fmt::format("the image is {}; the API takes JPEG, PNG or WebP", name_of(f.format)));
    }
}

} // namespace evobatch::probe
