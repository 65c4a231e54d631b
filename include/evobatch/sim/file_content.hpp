#pragma once
// The bytes of the simulator's result files: a pure function of the task id, so a test (or a
// benchmark) can check a download without the simulator. Byte i of a file is byte i % 8 of
// word i / 8, a counter mixed with the FNV-1a hash of the task id by one multiply (cheap: the
// simulator makes the bytes as fast as it sends them); any offset can be produced directly,
// which is how Range requests are served. Every file starts with a 32-byte MP4 `ftyp` box, so
// that it starts like the video it stands for (the downloader checks that); the file lie
// `not_a_video` leaves the box out.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace evobatch::sim {

// The file of a task is keyed by its id; after it changed (the file lie `changes`) by this key,
// `version` >= 1, whose bytes differ from the first version's everywhere after the box.
std::string changed_file_key(std::string_view task_id, int version);

// Fills `out` with the bytes of the file `key` (a task id, or a changed_file_key) from `offset`
// on; without the MP4 box at the start unless `video_box`.
void fill_file_bytes(std::string_view key, std::uint64_t offset, std::span<char> out, bool video_box = true) noexcept;

// The first `size` bytes of the file `key`.
std::string expected_file_bytes(std::string_view key, std::uint64_t size, bool video_box = true);

// A strong ETag for the file `key` of `size` bytes (quoted, as sent).
std::string file_etag(std::string_view key, std::uint64_t size);

// Lowercase hex SHA-256 of the first `size` bytes, computed in pieces (no `size`-byte buffer).
std::string expected_file_sha256(std::string_view key, std::uint64_t size, bool video_box = true);

} // namespace evobatch::sim
