#pragma once
// The API's rules for the URLs in a job (api.md), as pure functions: each returns the problem
// in words, or nothing when the URL is acceptable.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace evobatch::manifest::detail {

inline constexpr std::size_t k_max_callback_length = 2048;

// An http(s) URL whose path ends in one of `extensions` (lower case, with the dot).
std::optional<std::string> check_media_url(std::string_view url, std::span<std::string_view const> extensions);

// https only, at most 2048 characters, and not aimed at localhost or an internal address.
std::optional<std::string> check_callback_url(std::string_view url);

// https, or http to a loopback host only (the simulator); no query or fragment.
std::optional<std::string> check_base_url(std::string_view url);

// True when `url` parses and its host is loopback, private, link-local or otherwise not on
// the public internet (IPv4 in any inet_aton spelling, IPv6 literals, localhost names).
bool has_internal_host(std::string_view url);

// The last path segment of `url` without its extension ("clips/a%20b.mp4" -> "a b"), or empty.
std::string file_stem_of(std::string_view url);

} // namespace evobatch::manifest::detail
