#pragma once
// The field a JSON key names, found with one hash and one compare: the SAX dispatch looks up
// every key of every line it reads. The hash's multipliers are searched at compile time over
// the field table, so a new field needs nothing here. Internal to src/ledger.

#include "fields.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace evobatch::ledger::detail {

// What field_index says of a key that is none of ours.
inline constexpr std::size_t k_unknown_field = k_field_count;

namespace lookup {

inline constexpr std::size_t k_slots = 64;

// The length and the first and last letters, weighted: distinct for every field of the table.
struct KeyHash {
    std::size_t first_weight = 0;
    std::size_t last_weight = 0;

    [[nodiscard]] constexpr std::size_t operator()(std::string_view key) const noexcept {
        auto const first = static_cast<unsigned char>(key.front());
        auto const last = static_cast<unsigned char>(key.back());
        return (key.size() + first * first_weight + last * last_weight) % k_slots;
    }
};

constexpr bool is_perfect(KeyHash hash) {
    std::array<bool, k_slots> used{};
    for (std::string_view const name : k_field_names) {
        if (name.empty() || used[hash(name)]) {
            return false;
        }
        used[hash(name)] = true;
    }
    return true;
}

constexpr KeyHash find_perfect_hash() {
    for (std::size_t first = 1; first < k_slots; ++first) {
        for (std::size_t last = 0; last < k_slots; ++last) {
            if (is_perfect({first, last})) {
                return {first, last};
            }
        }
    }
    return {}; // none: the static_assert below says so
}

inline constexpr KeyHash k_hash = find_perfect_hash();
static_assert(k_hash.first_weight != 0, "no perfect hash for the field names: widen KeyHash");

inline constexpr auto k_field_at = [] {
    std::array<std::uint8_t, k_slots> at{};
    at.fill(static_cast<std::uint8_t>(k_unknown_field));
    for (std::size_t i = 0; i < k_field_count; ++i) {
        at[k_hash(k_field_names[i])] = static_cast<std::uint8_t>(i);
    }
    return at;
}();

} // namespace lookup

// The position in k_fields of the field named `key`, or k_unknown_field.
constexpr std::size_t field_index(std::string_view key) noexcept {
    if (key.empty()) {
        return k_unknown_field;
    }
    std::size_t const i = lookup::k_field_at[lookup::k_hash(key)];
    return i != k_unknown_field && k_field_names[i] == key ? i : k_unknown_field;
}

} // namespace evobatch::ledger::detail
