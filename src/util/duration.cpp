#include "evobatch/util/duration.hpp"

#include <charconv>
#include <cstdint>

namespace evobatch::util {

std::optional<std::chrono::seconds> parse_duration(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::int64_t total = 0;
    int last_unit_rank = 5; // units must come in decreasing order: d > h > m > s
    char const* p = text.data();
    char const* const end = text.data() + text.size();
    while (p != end) {
        std::int64_t value = 0;
        auto const [next, ec] = std::from_chars(p, end, value);
        if (ec != std::errc{} || value < 0 || value > 1'000'000'000) {
            return std::nullopt;
        }
        p = next;
        if (p == end) {
            // A bare number is seconds, but only on its own ("90"), not after other parts ("1m30").
            if (last_unit_rank != 5) {
                return std::nullopt;
            }
            return std::chrono::seconds{value};
        }
        std::int64_t scale = 0;
        int rank = 0;
        switch (*p) {
        case 'd': scale = 86400; rank = 4; break;
        case 'h': scale = 3600; rank = 3; break;
        case 'm': scale = 60; rank = 2; break;
        case 's': scale = 1; rank = 1; break;
        default: return std::nullopt;
        }
        if (rank >= last_unit_rank) {
            return std::nullopt;
        }
        last_unit_rank = rank;
        total += value * scale;
        ++p;
    }
    return std::chrono::seconds{total};
}

} // namespace evobatch::util
