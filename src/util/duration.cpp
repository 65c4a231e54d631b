#include "evobatch/util/duration.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>

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

std::string format_duration(std::chrono::seconds d) {
    constexpr std::pair<std::int64_t, char> k_units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    std::int64_t const total = std::max<std::int64_t>(0, d.count());
    for (std::size_t i = 0; i < std::size(k_units); ++i) {
        auto const [size, name] = k_units[i];
        if (total < size && size > 1) {
            continue;
        }
        std::string out = std::to_string(total / size) + name;
        if (i + 1 < std::size(k_units)) {
            auto const [next_size, next_name] = k_units[i + 1];
            std::int64_t const rest = total % size / next_size;
            if (rest > 0) {
                out += std::to_string(rest) + next_name; // "1h30m"; "1h" rather than "1h0m"
            }
        }
        return out;
    }
    return "0s";
}

} // namespace evobatch::util
