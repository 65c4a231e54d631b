#include "yaml_messages.hpp"

#include "yaml_source.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

namespace evobatch::manifest::detail {

namespace {

// yaml-cpp 0.7's ErrorMsg texts (yaml-cpp/exceptions.h) that a manifest can reach.
constexpr std::string_view k_map_value = "illegal map value";
constexpr std::string_view k_seq_flow = "end of sequence flow not found";
constexpr std::string_view k_map_flow = "end of map flow not found";
constexpr std::string_view k_unknown_anchor = "the referenced anchor is not defined";

constexpr std::array<std::pair<std::string_view, std::string_view>, 10> k_explained{{
    // libyaml's wording, which earlier versions printed and people search for.
    {k_map_value, "mapping values are not allowed in this context"},
    {k_seq_flow, "expected ',' or ']' here, inside a list written with '['"},
    {k_map_flow, "expected ',' or '}' here, inside a mapping written with '{'"},
    {"end of map not found",
     "this line does not continue the mapping above it: keys of one mapping start in the same column"},
    {"end of sequence not found",
     "this line does not continue the list above it: items of one list start with '- ' in the same column"},
    {"illegal block entry", "a list item ('- ') cannot start here: check its indentation"},
    {"illegal map key", "a key cannot start here: check its indentation"},
    {"illegal flow end", "this ']' or '}' closes nothing that is open here"},
    {"unknown token", "a value cannot start with '@' or '`' unless it is quoted: put the value in quotes"},
    {"illegal tab when looking for indentation", "a tab where the indentation is"},
}};

// The key that starts a block mapping line (`  - prompt: ...` gives "prompt"), or nothing.
std::optional<std::string_view> key_of_line(std::string_view line) {
    std::size_t start = line.find_first_not_of(' ');
    while (start != std::string_view::npos && line.compare(start, 2, "- ") == 0) {
        start = line.find_first_not_of(' ', start + 2);
    }
    if (start == std::string_view::npos) {
        return std::nullopt;
    }
    line.remove_prefix(start);
    std::size_t const colon = line.find(": ");
    if (colon == 0 || colon == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view const key = line.substr(0, colon);
    return key.substr(0, key.find_last_not_of(' ') + 1); // it starts with a non-blank
}

// yaml-cpp's "illegal map value" has two usual causes, told apart by the text before the ':'.
std::string map_value_hint(std::string_view text, std::size_t at) {
    std::string_view const before = text.substr(0, at);
    std::string_view const line = before.substr(before.find_last_of("\r\n") + 1);
    // `prompt: Replace the sky: make it stormy`: the second ': ' reads as a key's. A value with
    // a colon in it is what people mean, and quotes say so.
    if (auto const key = key_of_line(line)) {
        return fmt::format("; the value of '{}' contains ': ', so put the whole value in quotes ({}: \"...\")",
                           *key, *key);
    }
    // `  prompt: y` under `- video: x` with more spaces than its sibling keys.
    std::size_t const start = line.find_first_not_of(" -");
    if (start != std::string_view::npos && start > 0 && line.find_first_of(" \t", start) == std::string_view::npos) {
        return fmt::format("; '{}' is indented further than the key above it: keys of one mapping start in the "
                           "same column",
                           line.substr(start));
    }
    return {};
}

std::string base_message(std::string_view problem) {
    for (auto const& [said, meant] : k_explained) {
        if (problem == said) {
            return std::string(meant);
        }
    }
    constexpr std::string_view k_escape = "unknown escape character: ";
    if (problem.starts_with(k_escape)) {
        return fmt::format("unknown escape '\\{}' inside double quotes: write '\\\\' for a backslash, or use "
                           "single quotes",
                           problem.substr(k_escape.size()));
    }
    if (problem == "bad character found while scanning hex number" || problem.starts_with("invalid unicode: ")) {
        return "a \\x, \\u or \\U escape inside double quotes is not a valid character code: write '\\\\' "
               "for a backslash, or use single quotes";
    }
    return std::string(problem);
}

} // namespace

std::optional<std::size_t> tab_in_indentation(std::string_view text, std::size_t at) noexcept {
    std::size_t const line_start = text.substr(0, std::min(at, text.size())).find_last_of("\r\n") + 1;
    std::string_view const line = text.substr(line_start, at + 1 - line_start);
    std::string_view const indent = line.substr(0, line.find_first_not_of(" \t-"));
    std::size_t const tab = indent.find('\t');
    return tab == std::string_view::npos ? std::nullopt : std::optional(line_start + tab);
}

bool is_unclosed_flow(std::string_view problem) noexcept { return problem == k_seq_flow || problem == k_map_flow; }

std::string explain_syntax_error(std::string_view problem, std::string_view text, std::size_t at) {
    std::string message = base_message(problem);
    if (problem == k_map_value) {
        message += map_value_hint(text, at);
    }
    if (problem == k_unknown_anchor) {
        message = fmt::format("alias '*{}' names no anchor defined before it", alias_name_at(text, at));
    }
    if (tab_in_indentation(text, at)) {
        message += "; YAML does not allow tabs for indentation: use spaces";
    }
    return message;
}

} // namespace evobatch::manifest::detail
