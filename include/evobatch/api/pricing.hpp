#pragma once
// What a task can cost, for budgeting before the server says what it reserved.
//
// api.md: the source video is billed as 6 to 20 seconds (shorter as 6, longer as 20). The rate
// is not published; the documented example reserves 7 credits for a 9 s video, which 0.75
// credits per billed second (rounded up) reproduces. The scheduler counts each task's real
// `credits_reserved` once it is known; this bound is only for tasks not yet answered.

#include <cstdint>

namespace evobatch::api {

inline constexpr int k_min_billed_seconds = 6;
inline constexpr int k_max_billed_seconds = 20;

// The seconds a video of `seconds` is billed as: clamped to 6..20.
constexpr int billed_seconds(int seconds) noexcept {
    return seconds < k_min_billed_seconds   ? k_min_billed_seconds
           : seconds > k_max_billed_seconds ? k_max_billed_seconds
                                            : seconds;
}

// Credits for a video of `seconds`, clamped to the billed range (0.75 credits a second, rounded up).
constexpr std::int64_t credits_for_duration(int seconds) noexcept {
    return (billed_seconds(seconds) * 3 + 3) / 4;
}

// The most one task can reserve: a video billed at the longest duration.
inline constexpr std::int64_t k_max_credits_per_task = credits_for_duration(k_max_billed_seconds);

static_assert(credits_for_duration(9) == 7, "must match the documented example");

} // namespace evobatch::api
