#pragma once
// Whether what a media host sent is the result file it stands for (issue 14 "Faked"): the
// declared type and encoding of an answer, the first bytes of a video, its declared SHA-256.
// A reason in words when not; the downloader then counts the attempt as failed and starts the
// file over. Pure.

#include "digest_headers.hpp"

#include "evobatch/net/http_types.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::download::detail {

// How many first bytes of a file check_magic needs.
inline constexpr std::size_t k_magic_bytes = 8;

// The answer's Content-Length, when it has a valid one.
std::optional<std::uint64_t> content_length(net::HttpResponse const& head);

// Whether the head of a 200 or 206 answer may carry a result file whose name ends in
// `.<extension>`:
// - never a document or an error page: text/*, application/json, application/xml,
//   application/javascript, anything +json or +xml;
// - a video extension (mp4 m4v mov qt 3gp 3g2 webm mkv): only video/*, application/octet-stream,
//   binary/octet-stream, or no Content-Type at all;
// - never a Content-Encoding (we send no Accept-Encoding): the body would not be the file's bytes.
std::optional<std::string> check_response(net::HttpResponse const& head, std::string_view extension);

// Whether a file named `.<extension>` starts like one: an MP4/QuickTime family file with an ISO
// BMFF box (ftyp, moov, mdat, free, skip or wide) at byte 0, a WebM/Matroska file with the EBML
// magic 1A 45 DF A3. Nothing to check for other extensions.
std::optional<std::string> check_magic(std::string_view extension, std::string_view first_bytes);

// Whether `sha256` (lowercase hex) is what every declared digest says.
std::optional<std::string> check_digests(std::vector<DeclaredDigest> const& declared,
                                         std::string_view sha256);

} // namespace evobatch::download::detail
