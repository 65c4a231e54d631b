#pragma once
// The checks the API applies to a create request (api.md), as the simulator reproduces them.

#include "evobatch/api/types.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace evobatch::sim {

inline constexpr std::string_view k_model = "kling-o1-video-edit-fast";
inline constexpr std::size_t k_max_prompt_characters = 5000;
inline constexpr std::size_t k_max_image_urls = 4;
inline constexpr std::size_t k_max_callback_url = 2048;

// What is wrong with a request: the field (`param` of the error answer) and a message.
struct Problem {
    std::string param;
    std::string message;
};

// The first problem of `request`, or nothing: model, prompt (1..5000 characters), exactly one
// http(s) video URL ending .mp4/.mov, 0..4 image URLs ending .jpg/.jpeg/.png/.webp, and an
// https callback URL of at most 2048 characters.
std::optional<Problem> validate_create(api::CreateRequest const& request);

// 16 to 96 characters of [A-Za-z0-9._-] (api.md, "Idempotency").
bool valid_idempotency_key(std::string_view key) noexcept;

} // namespace evobatch::sim
