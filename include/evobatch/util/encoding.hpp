#pragma once
// Hex and base64 (RFC 4648, standard alphabet) for digests: the downloader reads a server's
// SHA-256 in either form and compares it with its own hex; the simulator sends both. Pure.

#include <optional>
#include <string>
#include <string_view>

namespace evobatch::util {

// Lowercase hex of `bytes`.
std::string hex_encode(std::string_view bytes);

// The bytes of `text` (hex digits in either case, an even number of them); nothing otherwise.
std::optional<std::string> hex_decode(std::string_view text);

// Base64 with '=' padding.
std::string base64_encode(std::string_view bytes);

// The bytes of `text`, padded or not; nothing for any character outside the alphabet, a length
// no encoding has, misplaced '=' or set bits after the last whole byte (so every byte string
// has one accepted form with padding and one without).
std::optional<std::string> base64_decode(std::string_view text);

} // namespace evobatch::util
