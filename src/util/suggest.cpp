#include "evobatch/util/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace evobatch::util {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    // Optimal string alignment distance: Levenshtein plus adjacent transpositions, the most
    // common typo ("vidoe").
    auto const fold = [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); };
    std::size_t const width = b.size() + 1;
    std::vector<std::size_t> d((a.size() + 1) * width);
    auto const at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * width + j]; };
    for (std::size_t i = 0; i <= a.size(); ++i) {
        at(i, 0) = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        at(0, j) = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t const cost = fold(a[i - 1]) == fold(b[j - 1]) ? 0 : 1;
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1])) {
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
            }
        }
    }
    return at(a.size(), b.size());
}

std::optional<std::string_view> closest_match(std::string_view word, std::span<std::string_view const> candidates) {
    std::size_t const limit = std::min<std::size_t>(2, std::max<std::size_t>(1, word.size() / 3));
    std::optional<std::string_view> best;
    std::size_t best_distance = limit + 1;
    for (std::string_view const candidate : candidates) {
        std::size_t const d = edit_distance(word, candidate);
        if (d < best_distance) {
            best = candidate;
            best_distance = d;
        }
    }
    return best;
}

} // namespace evobatch::util
