#pragma once
// A small YAML document tree with source positions, built from yaml-cpp's event parser
// (`YAML::Parser::HandleNextDocument`). We keep our own tree instead of yaml-cpp's `YAML::Node`
// because the manifest of a large batch is 100k jobs: building yaml-cpp's node graph takes
// about twice as long as its events alone, and keeps no line and column for values we check.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::manifest {

struct Mark {
    std::uint32_t line = 0; // 1-based
    std::uint32_t column = 0; // 1-based, in characters
};

enum class NodeKind : std::uint8_t { null, scalar, sequence, mapping };

struct YamlNode {
    NodeKind kind = NodeKind::null;
    // True for quoted, block and `!!str` scalars: always text, never a number or boolean.
    bool quoted = false;
    // A scalar written without quotes or `|`/`>` (whatever its tag): its text ends where ` #`
    // starts a comment on its line, and the parser drops that comment without a word.
    bool plain = false;
    Mark mark;
    // Of a scalar: the byte offset in the parsed text just past its last character, to read
    // what follows it there. 0 when unknown: an alias's copy (its text is at the anchor).
    std::uint32_t end_offset = 0;
    std::string value;             // the scalar's text (for null: as written, e.g. "~", or "")
    std::vector<YamlNode> children; // sequence items, or mapping keys and values interleaved

    [[nodiscard]] std::size_t size() const noexcept {
        return kind == NodeKind::mapping ? children.size() / 2 : children.size();
    }
    [[nodiscard]] YamlNode const& key(std::size_t i) const { return children[2 * i]; }
    [[nodiscard]] YamlNode const& value_at(std::size_t i) const { return children[2 * i + 1]; }
};

struct YamlError {
    Mark mark;
    std::string message;
};

struct YamlParse {
    std::optional<YamlNode> root; // empty for an empty document (or on error)
    std::optional<YamlError> error;
};

struct YamlLimits {
    std::size_t max_depth = 64;          // deeper nesting is refused (yaml-cpp and tree code recurse)
    std::size_t max_nodes = 20'000'000;  // nodes written and copied by aliases, all told
    // What aliases may copy ("billion laughs"): at most `alias_expansion` times the nodes
    // parsed so far (the text's bytes, for scalar text) plus an allowance. A 100k-job manifest
    // whose jobs alias shared settings stays far inside; a dozen lines of nested aliases do not.
    std::size_t alias_expansion = 2;
    std::size_t alias_node_allowance = 1'000'000;
    std::size_t alias_byte_allowance = std::size_t{32} << 20;
};

// Parses one YAML document from UTF-8 `text` (a byte order mark first is skipped; offsets
// still count it). A second document, an undefined alias, a control character or limits
// exceeded are errors with a position. Never throws on bad input.
YamlParse parse_yaml(std::string_view text, YamlLimits limits = {});

// A short human name for a node's kind, for messages: "a mapping", "a list", "text", "null".
std::string_view describe(NodeKind kind) noexcept;

} // namespace evobatch::manifest
