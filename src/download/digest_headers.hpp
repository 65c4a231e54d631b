#pragma once
// The SHA-256 a media host declares for a result file, from its response headers. Pure.
//
// Read (names in lower case, as the client keeps them):
//   `digest: sha-256=<base64>`        RFC 3230 instance digest: the whole file, on 200 and 206
//   `repr-digest: sha-256=:<base64>:` RFC 9530 representation digest: the whole file, on 200 and 206
//   `content-digest: sha-256=:<b64>:` RFC 9530 content digest: this body only, so read on 200 only
//                                     (on a 206 it covers the range, which we do not hash apart)
//   `x-<anything>-sha256: <value>`    object-store metadata (x-amz-meta-sha256, x-goog-meta-sha256,
//                                     x-amz-checksum-sha256...): the whole file, 64 hex digits or
//                                     the base64 of 32 bytes
// Not read: other algorithms (md5, sha-512...: we compute SHA-256 only), `x-goog-hash` (crc32c and
// md5 only) and the ETag (an opaque validator, an MD5 only sometimes). A header we read whose
// SHA-256 is malformed (wrong length, bad base64, S3's composite `<b64>-<parts>`) is ignored, as
// if absent: a server that lies can always leave a digest out, so refusing the file would
// protect nothing and would lock out the odd honest server.

#include "evobatch/net/http_types.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::download::detail {

struct DeclaredDigest {
    std::string header; // where it came from, for the reason of a mismatch
    std::string sha256; // lowercase hex
    friend bool operator==(DeclaredDigest const&, DeclaredDigest const&) = default;
};

// The SHA-256 of the whole file every header above declares; `whole_body` when the answer's body
// is the whole file (200), which adds content-digest.
std::vector<DeclaredDigest> declared_sha256(net::Headers const& headers, bool whole_body);

// The sha-256 member of an RFC 3230 `Digest` value, as lowercase hex.
std::optional<std::string> digest_field_sha256(std::string_view value);
// The sha-256 member of an RFC 9530 `Repr-Digest`/`Content-Digest` value (an RFC 8941 dictionary).
std::optional<std::string> structured_digest_sha256(std::string_view value);
// An `x-*-sha256` value: 64 hex digits or the base64 (padded or not) of 32 bytes.
std::optional<std::string> plain_sha256(std::string_view value);

} // namespace evobatch::download::detail
