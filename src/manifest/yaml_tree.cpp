#include "evobatch/manifest/yaml_tree.hpp"

#include "detail/yaml_messages.hpp"
#include "detail/yaml_source.hpp"
#include "evobatch/util/utf8.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <fmt/format.h>

#include <algorithm>
#include <istream>
#include <limits>
#include <streambuf>
#include <tuple>
#include <utility>

namespace evobatch::manifest {

namespace {

using detail::ScalarStyle;

constexpr std::string_view k_bom = "\xEF\xBB\xBF";
constexpr std::string_view k_str_tag = "tag:yaml.org,2002:str";

// An istream over the manifest's bytes, so yaml-cpp reads them without a copy.
class MemoryBuffer : public std::streambuf {
public:
    explicit MemoryBuffer(std::string_view text) {
        char* begin = const_cast<char*>(text.data()); // read only: the get area is never written
        setg(begin, begin, begin + text.size());
    }
};

// Thrown from an event callback to stop yaml-cpp once the tree builder has recorded why.
struct Refused {};

struct SubtreeSize {
    std::size_t nodes = 0;
    std::size_t bytes = 0; // scalar text, which a node count does not see
    std::size_t depth = 0;
};

SubtreeSize measure(YamlNode const& n) {
    SubtreeSize size{1, n.value.size(), 0};
    for (YamlNode const& c : n.children) {
        SubtreeSize const s = measure(c);
        size.nodes += s.nodes;
        size.bytes += s.bytes;
        size.depth = std::max(size.depth, s.depth);
    }
    ++size.depth;
    return size;
}

// Builds our tree from yaml-cpp's events (`YAML::Parser::HandleNextDocument`), which build no
// nodes of their own. Each event carries where its node starts; the rest (how a scalar was
// written, where it ends, an alias's name) is read from the text there.
class TreeBuilder final : public YAML::EventHandler {
public:
    TreeBuilder(std::string_view text, YamlLimits limits)
        : m_text(text), m_limits(limits), m_columns(text),
          m_alias_byte_limit(limits.alias_expansion * text.size() + limits.alias_byte_allowance) {}

    YamlParse run(std::size_t offset_base) {
        m_offset_base = offset_base;
        if (auto const bad = detail::find_control_character(m_text)) {
            auto const at = util::position_of(m_text, *bad);
            fail(Mark{at.line, at.column},
                 fmt::format("control character U+{:04X} is not allowed in YAML: remove it",
                             static_cast<unsigned>(static_cast<unsigned char>(m_text[*bad]))));
            return std::move(m_result);
        }
        MemoryBuffer buffer(m_text);
        std::istream in(&buffer);
        try {
            YAML::Parser parser(in);
            if (parser.HandleNextDocument(*this)) {
                m_after_document = true;
                parser.HandleNextDocument(*this); // a second document is refused at its start
            }
        } catch (Refused const&) {
            // m_result.error says why
        } catch (YAML::Exception const& e) {
            syntax_error(e.mark, e.msg);
        }
        return std::move(m_result);
    }

    void OnDocumentStart(YAML::Mark const& mark) override {
        if (!m_after_document) {
            return;
        }
        std::size_t const at = offset(mark);
        bool const marker = m_text.substr(at, 3) == "---";
        refuse(mark, marker ? "a second YAML document ('---') follows the first; a manifest is one document"
                            : "this line is not part of the document above it: a list and a mapping cannot "
                              "both be the top level; check its indentation");
    }

    void OnDocumentEnd() override {}

    void OnNull(YAML::Mark const& mark, YAML::anchor_t anchor) override {
        count_node(mark);
        YamlNode node;
        node.mark = to_mark(mark);
        node.value = detail::null_word_at(m_text, detail::skip_properties(m_text, offset(mark)));
        finish(std::move(node), anchor);
    }

    void OnScalar(YAML::Mark const& mark, std::string const& tag, YAML::anchor_t anchor,
                  std::string const& value) override {
        count_node(mark);
        std::size_t const start = detail::skip_properties(m_text, offset(mark));
        ScalarStyle const style = tag == "?" ? ScalarStyle::plain : detail::style_at(m_text, start);
        bool const quote = style == ScalarStyle::single_quoted || style == ScalarStyle::double_quoted;
        if (quote && !detail::quote_is_closed(m_text, start)) {
            refuse(mark, fmt::format("the quoted scalar that starts here has no closing {0}: add the {0} where "
                                     "the text should end",
                                     m_text[start]));
        }
        YamlNode node;
        node.mark = to_mark(mark);
        node.value = value;
        node.plain = style == ScalarStyle::plain;
        // yaml-cpp's tag is `?` for a plain scalar, `!` for any other, or the one written (`!!str`).
        node.quoted = !node.plain || tag == k_str_tag;
        if (node.plain) {
            node.end_offset = end_offset(detail::plain_end(m_text, start, value));
        }
        bool const null_text = detail::null_word_at(value, 0).size() == value.size(); // `!!null ~`
        node.kind = !node.quoted && null_text ? NodeKind::null : NodeKind::scalar;
        finish(std::move(node), anchor);
    }

    void OnSequenceStart(YAML::Mark const& mark, std::string const& /*tag*/, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value style) override {
        open(mark, NodeKind::sequence, anchor, style);
    }
    void OnMapStart(YAML::Mark const& mark, std::string const& /*tag*/, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value style) override {
        open(mark, NodeKind::mapping, anchor, style);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapEnd() override { close(); }

    void OnAlias(YAML::Mark const& mark, YAML::anchor_t anchor) override {
        std::string_view const name = detail::alias_name_at(m_text, offset(mark));
        if (anchor >= m_anchors.size() || !m_anchors[anchor]) {
            refuse(mark, fmt::format("alias '*{}' names no anchor defined before it (an anchor cannot be used "
                                     "inside its own node)",
                                     name));
        }
        Anchored const& anchored = *m_anchors[anchor];
        if (m_stack.size() + anchored.size.depth > m_limits.max_depth + 1) {
            refuse(mark, fmt::format("alias '*{}' nests the document deeper than {} levels", name,
                                     m_limits.max_depth));
        }
        charge_alias(mark, name, anchored.size);
        YamlNode copy = anchored.node;
        copy.mark = to_mark(mark); // report problems in the copy where the alias stands
        copy.end_offset = 0;       // but what follows its text is at the anchor, not here
        finish(std::move(copy), YAML::NullAnchor);
    }

private:
    struct Open {
        YamlNode node;
        YAML::anchor_t anchor = YAML::NullAnchor;
        bool flow = false; // written `[...]` or `{...}`
    };
    struct Anchored {
        YamlNode node;
        SubtreeSize size; // charged again at every alias
    };

    std::size_t offset(YAML::Mark const& mark) const noexcept {
        return mark.pos < 0 ? m_text.size() : std::min(static_cast<std::size_t>(mark.pos), m_text.size());
    }

    Mark to_mark(YAML::Mark const& mark) noexcept {
        if (mark.is_null() || mark.line < 0) {
            return {};
        }
        return {static_cast<std::uint32_t>(mark.line + 1),
                m_columns.at(offset(mark), static_cast<std::size_t>(std::max(mark.column, 0)))};
    }

    // 0 (unknown) when the text did not match, or past 4 GiB; a manifest is at most 256 MiB.
    std::uint32_t end_offset(std::optional<std::size_t> end) const noexcept {
        if (!end) {
            return 0;
        }
        std::size_t const at = *end + m_offset_base;
        return at <= std::numeric_limits<std::uint32_t>::max() ? static_cast<std::uint32_t>(at) : 0;
    }

    void fail(Mark mark, std::string message) {
        m_result.root.reset();
        m_result.error = YamlError{mark, std::move(message)};
    }

    [[noreturn]] void refuse(YAML::Mark const& mark, std::string message) {
        fail(to_mark(mark), std::move(message));
        throw Refused{};
    }

    void syntax_error(YAML::Mark const& mark, std::string const& problem) {
        std::size_t const at = offset(mark);
        std::string message = detail::explain_syntax_error(problem, m_text, at);
        if (detail::is_unclosed_flow(problem)) {
            if (std::string hint = unclosed_flow_hint(at); !hint.empty()) {
                message = std::move(hint);
            }
        }
        Mark place = to_mark(mark);
        if (auto const tab = detail::tab_in_indentation(m_text, at)) {
            auto const tab_at = util::position_of(m_text, *tab);
            place = Mark{tab_at.line, tab_at.column};
        }
        fail(place, std::move(message));
    }

    // At the end of the input, a `[` or `{` left open may be hundreds of lines above: name it.
    std::string unclosed_flow_hint(std::size_t at) const {
        std::size_t const last = m_text.find_last_not_of(" \t\r\n");
        if (last != std::string_view::npos && at <= last) {
            return {}; // something else follows: the error is about that place
        }
        auto const open = std::find_if(m_stack.rbegin(), m_stack.rend(), [](Open const& o) { return o.flow; });
        if (open == m_stack.rend()) {
            return {};
        }
        bool const list = open->node.kind == NodeKind::sequence;
        return fmt::format("the {} opened with '{}' at line {}, column {} is never closed (add '{}')",
                           list ? "list" : "mapping", list ? '[' : '{', open->node.mark.line,
                           open->node.mark.column, list ? ']' : '}');
    }

    void count_node(YAML::Mark const& mark) {
        if (++m_nodes + m_alias_nodes > m_limits.max_nodes) {
            refuse(mark, fmt::format("the document has more than {} nodes", m_limits.max_nodes));
        }
    }

    // An alias copies its anchor's whole subtree: what all copies add is bounded by what the
    // text itself holds (a multiple of its nodes and bytes, plus an allowance), so a few lines
    // of nested aliases cannot expand to gigabytes.
    void charge_alias(YAML::Mark const& mark, std::string_view name, SubtreeSize size) {
        m_alias_nodes += size.nodes;
        m_alias_bytes += size.bytes;
        std::size_t const node_limit = m_limits.alias_expansion * m_nodes + m_limits.alias_node_allowance;
        if (m_alias_nodes > node_limit || m_alias_bytes > m_alias_byte_limit ||
            m_nodes + m_alias_nodes > m_limits.max_nodes) {
            refuse(mark, fmt::format("alias '*{}' expands the document far beyond what it holds ({} nodes and "
                                     "{} bytes copied by aliases so far); a manifest needs aliases only for "
                                     "shared settings: write the copies out, or use `defaults:`",
                                     name, m_alias_nodes, m_alias_bytes));
        }
    }

    void open(YAML::Mark const& mark, NodeKind kind, YAML::anchor_t anchor, YAML::EmitterStyle::value style) {
        // Refused before yaml-cpp recurses any deeper (its parser recurses per level).
        if (m_stack.size() >= m_limits.max_depth) {
            refuse(mark, fmt::format("nesting is deeper than {} levels", m_limits.max_depth));
        }
        count_node(mark);
        Open node;
        node.node.mark = to_mark(mark);
        node.node.kind = kind;
        node.anchor = anchor;
        node.flow = style == YAML::EmitterStyle::Flow;
        m_stack.push_back(std::move(node));
    }

    void close() {
        Open done = std::move(m_stack.back());
        m_stack.pop_back();
        finish(std::move(done.node), done.anchor);
    }

    // Attaches a finished node to its parent, or makes it the document root.
    void finish(YamlNode node, YAML::anchor_t anchor) {
        if (anchor != YAML::NullAnchor) {
            if (anchor >= m_anchors.size()) {
                m_anchors.resize(anchor + 1);
            }
            SubtreeSize const size = measure(node);
            m_anchors[anchor] = Anchored{node, size};
        }
        if (m_stack.empty()) {
            m_result.root = std::move(node);
            return;
        }
        YamlNode& parent = m_stack.back().node;
        bool const is_mapping_value = parent.kind == NodeKind::mapping && parent.children.size() % 2 == 1;
        if (is_mapping_value && node.kind == NodeKind::null && node.value.empty()) {
            // `key:` with nothing after it: the parser places the empty value at whatever comes
            // next; the key is where people look.
            node.mark = parent.children.back().mark;
        }
        parent.children.push_back(std::move(node));
    }

    std::string_view m_text;
    YamlLimits m_limits;
    detail::CharColumns m_columns;
    std::size_t m_alias_byte_limit;
    std::size_t m_offset_base = 0; // bytes before m_text in what callers index (a BOM)
    YamlParse m_result;
    std::vector<Open> m_stack;
    std::vector<std::optional<Anchored>> m_anchors; // by yaml-cpp's anchor number
    std::size_t m_nodes = 0;
    std::size_t m_alias_nodes = 0;
    std::size_t m_alias_bytes = 0;
    bool m_after_document = false;
};

} // namespace

YamlParse parse_yaml(std::string_view text, YamlLimits limits) {
    // yaml-cpp skips a byte order mark but counts its offsets from after it.
    std::size_t const bom = text.starts_with(k_bom) ? k_bom.size() : 0;
    return TreeBuilder(text.substr(bom), limits).run(bom);
}

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
