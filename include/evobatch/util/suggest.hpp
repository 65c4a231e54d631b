#pragma once
// "Did you mean" for misspelt keys and names.

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>

namespace evobatch::util {

// Edit distance: insertions, deletions, substitutions and adjacent transpositions, ASCII
// case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is near enough to be a likely typo
// (distance at most 2, and at most a third of the word's length), else nothing.
std::optional<std::string_view> closest_match(std::string_view word, std::span<std::string_view const> candidates);

} // namespace evobatch::util
