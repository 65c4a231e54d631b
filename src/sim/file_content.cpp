#include "evobatch/sim/file_content.hpp"

#include "evobatch/util/sha256.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <vector>

namespace evobatch::sim {

namespace {

constexpr std::uint64_t k_golden = 0x9e3779b97f4a7c15ULL;

std::uint64_t fnv1a(std::string_view text) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char const c : text) {
        h = (h ^ c) * 0x100000001b3ULL;
    }
    return h;
}

// Word k of the file: a counter mixed with one multiply (any word is O(1)). Not a good random
// generator and it need not be: the bytes only have to differ from file to file and from
// offset to offset, cheaply, because the simulator makes them as fast as it sends them.
std::uint64_t word_at(std::uint64_t seed, std::uint64_t k) noexcept {
    std::uint64_t z = (seed ^ (k * k_golden)) * 0xbf58476d1ce4e5b9ULL;
    return z ^ (z >> 29);
}

// Little-endian bytes, whatever the host, so every machine computes the same files.
void store_le(std::uint64_t w, unsigned char* out) noexcept {
    if constexpr (std::endian::native == std::endian::little) {
        std::memcpy(out, &w, 8); // one store: this loop feeds downloads at hundreds of MB/s
    } else {
        for (int i = 0; i < 8; ++i) {
            out[i] = static_cast<unsigned char>(w >> (8 * i));
        }
    }
}

// An ISO BMFF `ftyp` box (size 32, brand isom, compatible isom iso2 avc1 mp41), as an MP4
// encoder writes first.
constexpr std::string_view k_video_box("\0\0\0\x20" "ftyp" "isom" "\0\0\x02\0" "isomiso2avc1mp41", 32);

} // namespace

std::string changed_file_key(std::string_view task_id, int version) {
    return std::string(task_id) + "#changed-" + std::to_string(version);
}

std::string file_etag(std::string_view key, std::uint64_t size) {
    return "\"" + std::to_string(fnv1a(key)) + "-" + std::to_string(size) + "\"";
}

void fill_file_bytes(std::string_view key, std::uint64_t offset, std::span<char> out, bool video_box) noexcept {
    if (video_box && offset < k_video_box.size() && !out.empty()) {
        auto const n = std::min<std::size_t>(out.size(), k_video_box.size() - static_cast<std::size_t>(offset));
        std::memcpy(out.data(), k_video_box.data() + offset, n);
        fill_file_bytes(key, offset + n, out.subspan(n), false);
        return;
    }
    std::uint64_t const seed = fnv1a(key);
    auto* dst = reinterpret_cast<unsigned char*>(out.data());
    std::size_t left = out.size();
    std::uint64_t word = offset / 8;
    unsigned char bytes[8];
    if (auto const skip = static_cast<std::size_t>(offset % 8); skip != 0 && left > 0) {
        store_le(word_at(seed, word++), bytes);
        std::size_t const n = std::min(left, 8 - skip);
        std::memcpy(dst, bytes + skip, n);
        dst += n;
        left -= n;
    }
    for (; left >= 8; left -= 8, dst += 8) {
        store_le(word_at(seed, word++), dst);
    }
    if (left > 0) {
        store_le(word_at(seed, word), bytes);
        std::memcpy(dst, bytes, left);
    }
}

std::string expected_file_bytes(std::string_view key, std::uint64_t size, bool video_box) {
    std::string out(static_cast<std::size_t>(size), '\0');
    fill_file_bytes(key, 0, out, video_box);
    return out;
}

std::string expected_file_sha256(std::string_view key, std::uint64_t size, bool video_box) {
    constexpr std::size_t k_piece = 1 << 20;
    std::vector<char> buffer(static_cast<std::size_t>(std::min<std::uint64_t>(size, k_piece)));
    util::Sha256 h;
    for (std::uint64_t offset = 0; offset < size;) {
        auto const n = static_cast<std::size_t>(std::min<std::uint64_t>(size - offset, k_piece));
        fill_file_bytes(key, offset, std::span<char>(buffer.data(), n), video_box);
        h.update(std::string_view(buffer.data(), n));
        offset += n;
    }
    return h.hex_digest();
}

} // namespace evobatch::sim
