#pragma once
// The bytes of the simulator's result files: a pure function of the task id, so a test (or a
// benchmark) can check a download without the simulator. Byte i of a file is byte i % 8 of
// word i / 8, a counter mixed with the FNV-1a hash of the task id by one multiply (cheap: the
// simulator makes the bytes as fast as it sends them); any offset can be produced directly,
// which is how Range requests are served.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace evobatch::sim {

// Fills `out` with the file's bytes from `offset` on.
void fill_file_bytes(std::string_view task_id, std::uint64_t offset, std::span<char> out) noexcept;

// The first `size` bytes of the file of `task_id`.
std::string expected_file_bytes(std::string_view task_id, std::uint64_t size);

// Lowercase hex SHA-256 of the first `size` bytes, computed in pieces (no `size`-byte buffer).
std::string expected_file_sha256(std::string_view task_id, std::uint64_t size);

} // namespace evobatch::sim
