#pragma once
// An image's real format from its first bytes (the magic numbers each format starts with),
// whatever its name says: the API takes jpeg, png and webp. 16 bytes are enough for every
// format named here. Pure.

#include "evobatch/probe/media_facts.hpp"

#include <string_view>

namespace evobatch::probe {

inline constexpr std::size_t k_image_magic_bytes = 16;

ImageFormat image_format_of(std::string_view first_bytes) noexcept;

} // namespace evobatch::probe
