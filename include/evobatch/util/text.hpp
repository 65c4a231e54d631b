#pragma once
// Small pieces of reading HTTP header values, shared by the downloader and the simulator. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::util {

// `s` without the optional whitespace (spaces and tabs, RFC 9110 §5.6.3) around it.
std::string_view trim_ows(std::string_view s) noexcept;

// A non-negative decimal number made of digits only (no sign, no space) that fits 64 bits.
std::optional<std::uint64_t> parse_decimal(std::string_view s) noexcept;

// ASCII case-insensitive equality (header names, algorithm names, media types).
bool iequals(std::string_view a, std::string_view b) noexcept;

// `s` in ASCII lower case.
std::string ascii_lower(std::string_view s);

} // namespace evobatch::util
