#include "evobatch/manifest/yaml_tree.hpp"

#include "evobatch/util/utf8.hpp"

#include <yaml.h>

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace evobatch::manifest {

namespace {

Mark to_mark(yaml_mark_t const& m) {
    return {static_cast<std::uint32_t>(m.line + 1), static_cast<std::uint32_t>(m.column + 1)};
}

bool is_null_text(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

struct ParserHandle {
    yaml_parser_t parser{};
    ParserHandle() { yaml_parser_initialize(&parser); }
    ~ParserHandle() { yaml_parser_delete(&parser); }
    ParserHandle(ParserHandle const&) = delete;
    ParserHandle& operator=(ParserHandle const&) = delete;
};

struct EventHandle {
    yaml_event_t event{};
    bool live = false;
    ~EventHandle() { reset(); }
    void reset() {
        if (live) {
            yaml_event_delete(&event);
            live = false;
        }
    }
};

// libyaml's mark index counts characters; the text is UTF-8 bytes. Marks are asked for in
// document order, so each walk goes on from the last one (an earlier mark starts over).
class ByteOffsets {
public:
    explicit ByteOffsets(std::string_view text) : m_text(text) {}

    std::size_t of(std::size_t char_index) noexcept {
        if (char_index < m_chars) {
            m_chars = 0;
            m_bytes = 0;
        }
        for (; m_chars < char_index && m_bytes < m_text.size(); ++m_chars) {
            do {
                ++m_bytes;
            } while (m_bytes < m_text.size() && is_continuation(m_text[m_bytes]));
        }
        return m_bytes;
    }

private:
    static bool is_continuation(char c) noexcept { return (static_cast<unsigned char>(c) & 0xC0U) == 0x80U; }

    std::string_view m_text;
    std::size_t m_chars = 0;
    std::size_t m_bytes = 0;
};

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

std::string parser_error_message(yaml_parser_t const& p, std::string_view text, std::size_t problem_offset,
                                 bool with_context) {
    std::string message = p.problem != nullptr ? p.problem : "malformed YAML";
    if (p.context != nullptr && with_context) {
        message += fmt::format(" {} that starts at line {}, column {}", p.context, p.context_mark.line + 1,
                               p.context_mark.column + 1);
    }
    if (problem_offset < text.size() && text[problem_offset] == '\t') {
        message += "; YAML does not allow tabs for indentation: use spaces";
    }
    return message;
}

class TreeBuilder {
public:
    TreeBuilder(std::string_view text, YamlLimits limits) : m_text(text), m_limits(limits), m_offsets(text) {}

    YamlParse run() {
        ParserHandle handle;
        yaml_parser_set_input_string(&handle.parser, reinterpret_cast<unsigned char const*>(m_text.data()),
                                     m_text.size());
        yaml_parser_set_encoding(&handle.parser, YAML_UTF8_ENCODING);
        EventHandle ev;
        for (;;) {
            ev.reset();
            if (yaml_parser_parse(&handle.parser, &ev.event) == 0) {
                stop(to_mark(handle.parser.problem_mark), error_message(handle.parser));
                return std::move(m_result);
            }
            ev.live = true;
            if (!on_event(ev.event)) {
                return std::move(m_result);
            }
            if (ev.event.type == YAML_STREAM_END_EVENT) {
                return std::move(m_result);
            }
        }
    }

private:
    struct Open {
        YamlNode node;
        std::string anchor;
        bool flow = false; // written `[...]` or `{...}`
    };
    struct Anchored {
        YamlNode node;
        std::size_t nodes = 0; // size of the subtree, charged again at every alias
        std::size_t depth = 0; // height of the subtree, so aliases cannot nest past max_depth
    };

    // libyaml's words, with what to do where we can tell.
    std::string error_message(yaml_parser_t const& parser) {
        std::size_t const at = m_offsets.of(parser.problem_mark.index);
        // libyaml's own context ("while parsing a flow node that starts at ...") points at the
        // end of the input too; the hint names the real place instead.
        std::string const unclosed = unclosed_flow_hint(parser);
        return parser_error_message(parser, m_text, at, unclosed.empty()) + unclosed +
               colon_in_value_hint(parser, at);
    }

    // `prompt: Replace the sky: make it stormy`: libyaml reads the second ': ' as a key's and
    // refuses it. A value with a colon in it is what people mean, and quotes say so.
    std::string colon_in_value_hint(yaml_parser_t const& parser, std::size_t at) const {
        constexpr std::string_view k_problem = "mapping values are not allowed in this context";
        if (parser.error != YAML_SCANNER_ERROR || parser.problem == nullptr ||
            std::string_view(parser.problem) != k_problem) {
            return {};
        }
        std::string_view const before = m_text.substr(0, at);
        // No key on the error's own line (`a: b` then `  c: d`) is a key indented too far, not this.
        auto const key = key_of_line(before.substr(before.find_last_of("\r\n") + 1));
        if (!key) {
            return {};
        }
        return fmt::format("; the value of '{}' contains ': ', so put the whole value in quotes "
                           "({}: \"...\")",
                           *key, *key);
    }

    // libyaml reports a `[` or `{` left open where the input ends, which may be hundreds of
    // lines below it: name where it was opened.
    std::string unclosed_flow_hint(yaml_parser_t const& parser) const {
        // Only a parser error (a scanner error such as an open quote is its own cause), and
        // only where nothing but white space follows. Marks count characters, not bytes.
        std::size_t const last = m_text.find_last_not_of(" \t\r\n");
        if (parser.error != YAML_PARSER_ERROR || last == std::string_view::npos) {
            return {};
        }
        util::TextPosition const end = util::position_of(m_text, last);
        Mark const at = to_mark(parser.problem_mark);
        if (std::tie(at.line, at.column) <= std::tie(end.line, end.column)) {
            return {};
        }
        auto const open =
            std::find_if(m_stack.rbegin(), m_stack.rend(), [](Open const& o) { return o.flow; });
        if (open == m_stack.rend()) {
            return {};
        }
        bool const list = open->node.kind == NodeKind::sequence;
        return fmt::format("; the {} opened with '{}' at line {}, column {} is never closed (add '{}')",
                           list ? "list" : "mapping", list ? '[' : '{', open->node.mark.line,
                           open->node.mark.column, list ? ']' : '}');
    }

    // 0 (unknown) past 4 GiB, where the offset would not fit; a manifest is at most 256 MiB.
    std::uint32_t end_offset(yaml_mark_t const& end) {
        std::size_t const offset = m_offsets.of(end.index);
        return offset <= std::numeric_limits<std::uint32_t>::max() ? static_cast<std::uint32_t>(offset) : 0;
    }

    bool stop(Mark mark, std::string message) {
        m_result.root.reset();
        m_result.error = YamlError{mark, std::move(message)};
        return false;
    }

    static std::string anchor_of(yaml_char_t const* anchor) {
        return anchor != nullptr ? std::string(reinterpret_cast<char const*>(anchor)) : std::string();
    }

    bool count_nodes(std::size_t n, Mark mark) {
        m_nodes += n;
        if (m_nodes > m_limits.max_nodes) {
            return stop(mark, fmt::format("the document expands to more than {} nodes (through aliases?)",
                                          m_limits.max_nodes));
        }
        return true;
    }

    // Attaches a finished node to its parent, or makes it the document root.
    bool finish(YamlNode node, std::string const& anchor) {
        if (!anchor.empty()) {
            m_anchors.insert_or_assign(anchor, Anchored{node, tree_size(node), tree_depth(node)});
        }
        if (m_stack.empty()) {
            m_result.root = std::move(node);
            return true;
        }
        YamlNode& parent = m_stack.back().node;
        bool const is_mapping_value = parent.kind == NodeKind::mapping && parent.children.size() % 2 == 1;
        if (is_mapping_value && node.kind == NodeKind::null && node.value.empty()) {
            // `key:` with nothing after it: libyaml places the empty value past the colon or on
            // the next line; the key is where people look.
            node.mark = parent.children.back().mark;
        }
        parent.children.push_back(std::move(node));
        return true;
    }

    static std::size_t tree_size(YamlNode const& n) {
        std::size_t total = 1;
        for (YamlNode const& c : n.children) {
            total += tree_size(c);
        }
        return total;
    }

    static std::size_t tree_depth(YamlNode const& n) {
        std::size_t deepest = 0;
        for (YamlNode const& c : n.children) {
            deepest = std::max(deepest, tree_depth(c));
        }
        return deepest + 1;
    }

    bool on_event(yaml_event_t const& e) {
        Mark const mark = to_mark(e.start_mark);
        switch (e.type) {
        case YAML_DOCUMENT_START_EVENT:
            if (++m_documents > 1) {
                return stop(mark, "a second YAML document ('---') follows the first; a manifest is one document");
            }
            return true;
        case YAML_SCALAR_EVENT: {
            if (!count_nodes(1, mark)) {
                return false;
            }
            YamlNode node;
            node.mark = mark;
            node.value.assign(reinterpret_cast<char const*>(e.data.scalar.value), e.data.scalar.length);
            bool const explicit_str =
                e.data.scalar.tag != nullptr &&
                std::string_view(reinterpret_cast<char const*>(e.data.scalar.tag)) == YAML_STR_TAG;
            node.plain = e.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            node.quoted = !node.plain || explicit_str;
            node.end_offset = end_offset(e.end_mark);
            node.kind = !node.quoted && is_null_text(node.value) ? NodeKind::null : NodeKind::scalar;
            return finish(std::move(node), anchor_of(e.data.scalar.anchor));
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            if (m_stack.size() >= m_limits.max_depth) {
                return stop(mark, fmt::format("nesting is deeper than {} levels", m_limits.max_depth));
            }
            if (!count_nodes(1, mark)) {
                return false;
            }
            Open open;
            open.node.mark = mark;
            open.node.kind = e.type == YAML_SEQUENCE_START_EVENT ? NodeKind::sequence : NodeKind::mapping;
            open.anchor = anchor_of(e.type == YAML_SEQUENCE_START_EVENT ? e.data.sequence_start.anchor
                                                                         : e.data.mapping_start.anchor);
            open.flow = e.type == YAML_SEQUENCE_START_EVENT
                            ? e.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
                            : e.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE;
            m_stack.push_back(std::move(open));
            return true;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            Open open = std::move(m_stack.back());
            m_stack.pop_back();
            return finish(std::move(open.node), open.anchor);
        }
        case YAML_ALIAS_EVENT: {
            std::string const name = anchor_of(e.data.alias.anchor);
            auto const it = m_anchors.find(name);
            if (it == m_anchors.end()) {
                return stop(mark, fmt::format("alias '*{}' names no anchor defined before it", name));
            }
            if (m_stack.size() + it->second.depth > m_limits.max_depth + 1) {
                return stop(mark, fmt::format("alias '*{}' nests the document deeper than {} levels", name,
                                              m_limits.max_depth));
            }
            if (!count_nodes(it->second.nodes, mark)) {
                return false;
            }
            YamlNode copy = it->second.node;
            copy.mark = mark; // report problems in the copy where the alias stands
            copy.end_offset = 0; // but what follows its text is at the anchor, not here
            return finish(std::move(copy), {});
        }
        default:
            return true;
        }
    }

    std::string_view m_text;
    YamlLimits m_limits;
    ByteOffsets m_offsets;
    YamlParse m_result;
    std::vector<Open> m_stack;
    std::unordered_map<std::string, Anchored> m_anchors;
    std::size_t m_nodes = 0;
    int m_documents = 0;
};

} // namespace

YamlParse parse_yaml(std::string_view text, YamlLimits limits) { return TreeBuilder(text, limits).run(); }

std::string_view describe(NodeKind kind) noexcept {
    switch (kind) {
    case NodeKind::null: return "empty (null)";
    case NodeKind::scalar: return "a single value";
    case NodeKind::sequence: return "a list";
    case NodeKind::mapping: return "a mapping";
    }
    return "unknown";
}

} // namespace evobatch::manifest
