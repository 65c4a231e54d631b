#pragma once
// Typed reads from the YAML tree that report what is wrong, where, instead of throwing.
// `what` names the field in messages, e.g. "limits.burst" or "job 'a': prompt".

#include "evobatch/manifest/yaml_tree.hpp"
#include "evobatch/util/diagnostic.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::manifest::detail {

class NodeReader {
public:
    // `source` is the text the nodes were parsed from, for what the parser drops (comments);
    // empty when there is none.
    NodeReader(util::Diagnostics& diagnostics, std::string file, std::string_view source = {})
        : m_diagnostics(diagnostics), m_file(std::move(file)), m_source(source) {}

    void error(Mark at, std::string message) { m_diagnostics.error(m_file, at.line, at.column, std::move(message)); }
    void warning(Mark at, std::string message) { m_diagnostics.warning(m_file, at.line, at.column, std::move(message)); }

    // Checks that `node` is a mapping whose keys are text, unique and in `allowed`; unknown keys
    // get a did-you-mean, or the hint `elsewhere(key)` gives ("belongs under limits:").
    // Returns false (after reporting) when `node` is not a mapping.
    bool check_mapping(YamlNode const& node, std::string_view what, std::span<std::string_view const> allowed,
                       std::function<std::optional<std::string>(std::string_view)> const& elsewhere = {});

    // The value under `key` in a mapping, or nullptr.
    static YamlNode const* find(YamlNode const& mapping, std::string_view key) noexcept;

    std::optional<std::string> text(YamlNode const& node, std::string_view what);
    std::optional<bool> boolean(YamlNode const& node, std::string_view what);
    std::optional<std::int64_t> integer(YamlNode const& node, std::string_view what, std::int64_t min,
                                        std::int64_t max);
    std::optional<double> number(YamlNode const& node, std::string_view what, double above, double max);
    std::optional<std::chrono::seconds> duration(YamlNode const& node, std::string_view what,
                                                 std::chrono::seconds max,
                                                 std::chrono::seconds min = std::chrono::seconds(0));
    // A list of text items; each item's position is kept for later messages.
    std::optional<std::vector<std::pair<std::string, Mark>>> text_list(YamlNode const& node, std::string_view what);

    // The comment that follows a plain scalar on its line, which YAML cut from its text: from
    // the blanks before its `#` to the last non-blank. Nothing for other nodes, or without source.
    [[nodiscard]] std::optional<std::string_view> comment_after(YamlNode const& node) const;

    [[nodiscard]] std::string const& file() const noexcept { return m_file; }

private:
    util::Diagnostics& m_diagnostics;
    std::string m_file;
    std::string_view m_source;
};

} // namespace evobatch::manifest::detail
