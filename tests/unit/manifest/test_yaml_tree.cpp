#include "evobatch/manifest/yaml_tree.hpp"

#include <boost/test/unit_test.hpp>

#include <ostream>

namespace evobatch::manifest {
// Lets BOOST_TEST print node kinds when a comparison fails.
std::ostream& operator<<(std::ostream& os, NodeKind kind) { return os << describe(kind); }
} // namespace evobatch::manifest

using namespace evobatch::manifest;

BOOST_AUTO_TEST_SUITE(yaml_tree)

BOOST_AUTO_TEST_CASE(keeps_positions_of_keys_and_values) {
    auto const p = parse_yaml("a: 1\nlist:\n  - x\n  - {k: \"v\"}\n");
    BOOST_REQUIRE(p.root);
    BOOST_TEST(!p.error);
    YamlNode const& root = *p.root;
    BOOST_TEST(root.kind == NodeKind::mapping);
    BOOST_REQUIRE(root.size() == 2u);
    BOOST_TEST(root.key(1).value == "list");
    BOOST_TEST(root.key(1).mark.line == 2u);
    YamlNode const& list = root.value_at(1);
    BOOST_TEST(list.kind == NodeKind::sequence);
    BOOST_REQUIRE(list.size() == 2u);
    BOOST_TEST(list.children[0].mark.line == 3u);
    BOOST_TEST(list.children[0].mark.column == 5u);
    YamlNode const& v = list.children[1].value_at(0);
    BOOST_TEST(v.value == "v");
    BOOST_TEST(v.quoted);
    BOOST_TEST(v.mark.line == 4u);
    BOOST_TEST(v.mark.column == 9u);
}

BOOST_AUTO_TEST_CASE(columns_count_characters_not_bytes) {
    auto const p = parse_yaml("k: [\xC3\xA9\xC3\xA9, x]\n");
    BOOST_REQUIRE(p.root);
    BOOST_TEST(p.root->value_at(0).children[1].mark.column == 9u);
}

BOOST_AUTO_TEST_CASE(tells_null_from_text) {
    auto const p = parse_yaml("a: ~\nb:\nc: null\nd: \"null\"\ne: !!str 5\nf: 5\n");
    BOOST_REQUIRE(p.root);
    auto const& r = *p.root;
    BOOST_TEST(r.value_at(0).kind == NodeKind::null);
    BOOST_TEST(r.value_at(1).kind == NodeKind::null);
    BOOST_TEST(r.value_at(2).kind == NodeKind::null);
    BOOST_TEST(r.value_at(3).kind == NodeKind::scalar);
    BOOST_TEST(r.value_at(4).quoted);
    BOOST_TEST(!r.value_at(5).quoted);
}

BOOST_AUTO_TEST_CASE(keeps_how_a_scalar_was_written_and_where_its_text_ends) {
    std::string const text = "x: &x anchored\na: \xC3\xA9 take #2\nb: \"q #1\"\nc: !!str s # x\nd: |\n  block\n"
                             "e: *x\n";
    auto const p = parse_yaml(text);
    BOOST_REQUIRE(p.root);
    YamlNode const& r = *p.root;
    auto const after = [&](std::size_t i) { return text.substr(r.value_at(i).end_offset); };
    BOOST_TEST(r.value_at(1).plain);
    BOOST_TEST(after(1).starts_with(" #2\n")); // a byte offset: past the two-byte character
    BOOST_TEST(!r.value_at(2).plain);
    BOOST_TEST(r.value_at(3).plain); // a tag does not change how the text was written
    BOOST_TEST(r.value_at(3).quoted);
    BOOST_TEST(after(3).starts_with(" # x\n"));
    BOOST_TEST(!r.value_at(4).plain);
    BOOST_TEST(r.value_at(5).plain);
    BOOST_TEST(r.value_at(5).end_offset == 0u); // an alias's copy: its text is at the anchor
}

BOOST_AUTO_TEST_CASE(an_empty_value_is_placed_at_its_key) {
    auto const p = parse_yaml("a:\nb: 1\n");
    BOOST_REQUIRE(p.root);
    BOOST_TEST(p.root->value_at(0).kind == NodeKind::null);
    BOOST_TEST(p.root->value_at(0).mark.line == 1u);
    BOOST_TEST(p.root->value_at(0).mark.column == 1u);
}

BOOST_AUTO_TEST_CASE(expands_aliases_at_the_alias_position) {
    auto const p = parse_yaml("base: &b {prompt: p}\ncopy: *b\n");
    BOOST_REQUIRE(p.root);
    YamlNode const& copy = p.root->value_at(1);
    BOOST_TEST(copy.kind == NodeKind::mapping);
    BOOST_TEST(copy.value_at(0).value == "p");
    BOOST_TEST(copy.mark.line == 2u);
}

BOOST_AUTO_TEST_CASE(bounds_alias_expansion) {
    // Each level doubles the node count: a "billion laughs" must stop at the alias bound.
    std::string doc = "a0: &a0 [x, x]\n";
    for (int i = 1; i < 40; ++i) {
        doc += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + ", *a" +
               std::to_string(i - 1) + "]\n";
    }
    YamlLimits limits;
    limits.alias_node_allowance = 100'000;
    auto const p = parse_yaml(doc, limits);
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->message.find("expands the document far beyond what it holds") != std::string::npos);
    BOOST_TEST(p.error->mark.line < 20u); // 2^17 nodes pass 100,000 plus twice the parsed ones
    BOOST_TEST(!p.root);
}

// The 13 lines: 12 anchors, each a list of ten aliases of the one before (10^12 nodes).
BOOST_AUTO_TEST_CASE(refuses_the_thirteen_line_alias_bomb_at_the_default_bound) {
    std::string doc = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i <= 12; ++i) {
        std::string const prev = "*l" + std::to_string(i - 1);
        doc += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
        for (int k = 0; k < 10; ++k) {
            doc += (k ? ", " : "") + prev;
        }
        doc += "]\n";
    }
    auto const p = parse_yaml(doc);
    BOOST_REQUIRE(p.error);
    // *l4 holds 111,111 nodes: its tenth copy passes the allowance of a million.
    BOOST_TEST(p.error->message.find("alias '*l4' expands the document") != std::string::npos);
    BOOST_TEST(p.error->mark.line == 6u);
}

BOOST_AUTO_TEST_CASE(bounds_the_bytes_aliases_copy) {
    // Few nodes, long strings: seven levels of four aliases over 2,000-character texts.
    std::string doc = "s: &s0 " + std::string(2000, 'x') + "\nl0: &l0 [*s0, *s0, *s0, *s0]\n";
    for (int i = 1; i <= 7; ++i) {
        std::string const prev = "*l" + std::to_string(i - 1);
        doc += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev + ", " + prev + ", " + prev +
               ", " + prev + "]\n";
    }
    auto const p = parse_yaml(doc);
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->message.find("expands the document") != std::string::npos);
    BOOST_TEST(p.error->message.find("bytes copied by aliases") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(aliases_of_shared_settings_in_every_job_are_fine) {
    std::string doc = "shared: &s {model: m, keep_original_sound: true, mode: fast, extra: [a, b, c]}\njobs:\n";
    for (int i = 0; i < 20'000; ++i) {
        doc += "  - {id: j" + std::to_string(i) + ", settings: *s}\n";
    }
    auto const p = parse_yaml(doc);
    BOOST_TEST(!p.error);
    BOOST_REQUIRE(p.root);
    BOOST_TEST(p.root->value_at(1).size() == 20'000u);
    BOOST_TEST(p.root->value_at(1).children.back().value_at(1).value_at(0).value == "m");
}

BOOST_AUTO_TEST_CASE(refuses_deep_nesting_before_the_parser_recurses) {
    // yaml-cpp's parser recurses per level: 100,000 levels would exhaust the stack.
    auto const p = parse_yaml("a: " + std::string(100'000, '[') + std::string(100'000, ']'));
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->message == "nesting is deeper than 64 levels");
    BOOST_TEST(p.error->mark.column == 4u + 63u); // the root mapping is the first level
    // Left open, yaml-cpp reads each '[' as a list and a mapping key: refused as early.
    auto const open = parse_yaml("a: " + std::string(100'000, '['));
    BOOST_REQUIRE(open.error);
    BOOST_TEST(open.error->message == "nesting is deeper than 64 levels");
}

BOOST_AUTO_TEST_CASE(reads_a_document_after_a_byte_order_mark) {
    std::string const text = "\xEF\xBB\xBF" "a: 1\nb: two # c\n";
    auto const p = parse_yaml(text);
    BOOST_TEST(!p.error);
    BOOST_REQUIRE(p.root);
    BOOST_TEST(p.root->key(0).mark.column == 1u);
    BOOST_TEST(p.root->value_at(1).mark.line == 2u);
    // The offsets count the mark, as callers index the text they passed.
    BOOST_TEST(text.substr(p.root->value_at(1).end_offset) == " # c\n");
}

BOOST_AUTO_TEST_CASE(reads_crlf_line_ends) {
    auto const p = parse_yaml("a: 1\r\nb: \"x\"\r\nc: |\r\n  l1\r\n  l2\r\n");
    BOOST_TEST(!p.error);
    BOOST_REQUIRE(p.root);
    BOOST_TEST(p.root->value_at(2).value == "l1\nl2\n");
    BOOST_TEST(p.root->key(2).mark.line == 3u);
}

BOOST_AUTO_TEST_CASE(refuses_a_quote_left_open_at_the_end) {
    // yaml-cpp 0.7 would end the text at the end of the file, taking every line below into it.
    auto const p = parse_yaml("a: 'x\nb: 2\n");
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->mark.line == 1u);
    BOOST_TEST(p.error->mark.column == 4u);
    BOOST_TEST(p.error->message.find("has no closing '") != std::string::npos);
    auto const escaped = parse_yaml("a: \"x \\\" y\" \nb: 'it''s'\n");
    BOOST_TEST(!escaped.error);
}

BOOST_AUTO_TEST_CASE(refuses_control_characters) {
    // yaml-cpp reads byte 0x04 as the end of its input: what follows would be dropped.
    auto const p = parse_yaml("a: 1\nb: x\x04y\nc: 3\n");
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->mark.line == 2u);
    BOOST_TEST(p.error->mark.column == 5u);
    BOOST_TEST(p.error->message.find("U+0004") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(refuses_a_second_top_level_without_a_marker) {
    // yaml-cpp reads `b: 1` as a second document; it is a mistake in the first.
    auto const p = parse_yaml("- a\nb: 1\n");
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->mark.line == 2u);
    BOOST_TEST(p.error->message.find("not part of the document above it") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(explains_bad_escapes_and_reserved_characters) {
    auto const escape = parse_yaml("a: \"C:\\dir\"\n");
    BOOST_REQUIRE(escape.error);
    BOOST_TEST(escape.error->message.find("use single quotes") != std::string::npos);
    auto const at = parse_yaml("a: @home\n");
    BOOST_REQUIRE(at.error);
    BOOST_TEST(at.error->message.find("put the value in quotes") != std::string::npos);
    BOOST_TEST(at.error->mark.column == 4u);
}

BOOST_AUTO_TEST_CASE(reads_tagged_values_as_written) {
    auto const p = parse_yaml("a: !!null ~\nb: !!int 5\nc: &x ~\nd: *x\n");
    BOOST_TEST(!p.error);
    BOOST_REQUIRE(p.root);
    BOOST_TEST(p.root->value_at(0).kind == NodeKind::null);
    BOOST_TEST(!p.root->value_at(1).quoted);
    BOOST_TEST(p.root->value_at(2).value == "~");
    BOOST_TEST(p.root->value_at(3).kind == NodeKind::null);
}

BOOST_AUTO_TEST_CASE(refuses_aliases_that_nest_too_deep) {
    auto const p = parse_yaml("a: &a [[[x]]]\nb: [[[*a]]]\n", YamlLimits{5, 1000});
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->mark.line == 2u);
}

BOOST_AUTO_TEST_CASE(reports_syntax_errors_with_a_position) {
    auto const p = parse_yaml("a: b\n  c: d\n");
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->mark.line == 2u);
    BOOST_TEST(p.error->message.find("mapping values are not allowed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(names_where_an_unclosed_flow_collection_was_opened) {
    auto const list = parse_yaml("a: 1\nb: [x, y,\n\n  z\n\n");
    BOOST_REQUIRE(list.error);
    BOOST_TEST(
        list.error->message.find("the list opened with '[' at line 2, column 4 is never closed (add ']')") !=
        std::string::npos);
    auto const mapping = parse_yaml("a: [1]\nb: {c: [2], d: 3\n");
    BOOST_REQUIRE(mapping.error);
    BOOST_TEST(mapping.error->message.find(
                   "the mapping opened with '{' at line 2, column 4 is never closed") != std::string::npos);
    // After text that is not ASCII (marks count characters, offsets bytes).
    auto const wide =
        parse_yaml("prompt: Bildqualit\xC3\xA4t verbessern \xE2\x9C\xA8\nvideos: [a.mp4,\n  b.mp4\n");
    BOOST_REQUIRE(wide.error);
    BOOST_TEST(wide.error->message.find("opened with '[' at line 2, column 9 is never closed") !=
               std::string::npos);
    // An open quote at the end is the quote's error, not the list's.
    auto const quote = parse_yaml("videos: [a.mp4,\n  \"b.mp4, c.mp4]\n");
    BOOST_REQUIRE(quote.error);
    BOOST_TEST(quote.error->message.find("never closed") == std::string::npos);
    BOOST_TEST(quote.error->message.find("quoted scalar") != std::string::npos);
    // An error inside a list that goes on is about that place, not about the list.
    auto const inside = parse_yaml("a: [x, {y: 1}}, z]\nb: 1\n");
    BOOST_REQUIRE(inside.error);
    BOOST_TEST(inside.error->message.find("never closed") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(says_to_quote_a_value_with_a_colon_in_it) {
    auto const p = parse_yaml("defaults:\n  prompt: Replace the sky: make it stormy\n");
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->mark.line == 2u);
    BOOST_TEST(p.error->mark.column == 26u); // at the second ':'
    BOOST_TEST(p.error->message ==
               "mapping values are not allowed in this context; the value of 'prompt' contains ': ', so put "
               "the whole value in quotes (prompt: \"...\")");
    // In a list item, and below a line of text that is not ASCII (marks count characters).
    std::string wide = "title: ";
    for (int i = 0; i < 30; ++i) {
        wide += "\xC3\xA9"; // 30 characters, 60 bytes
    }
    auto const item = parse_yaml(wide + "\njobs:\n  - id: a\n    prompt: Replace the sky: make it stormy\n");
    BOOST_REQUIRE(item.error);
    BOOST_TEST(item.error->message.find("the value of 'prompt' contains ': '") != std::string::npos);
    // A key under a value of several lines is another mistake: no advice about quotes.
    auto const indented = parse_yaml("a: b\n  c: d\n");
    BOOST_REQUIRE(indented.error);
    BOOST_TEST(indented.error->message.find("quotes") == std::string::npos);
    BOOST_TEST(indented.error->message.find("'c' is indented further than the key above it") != std::string::npos);
    auto const deeper = parse_yaml("jobs:\n  - video: x\n      prompt: y\n");
    BOOST_REQUIRE(deeper.error);
    BOOST_TEST(deeper.error->message.find("'prompt' is indented further") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(finds_a_tab_after_text_that_is_not_ascii) {
    auto const p = parse_yaml("a: \xC3\xA9\n\tb: 1\n");
    BOOST_REQUIRE(p.error);
    BOOST_TEST(p.error->message.find("YAML does not allow tabs for indentation") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(empty_input_has_no_root) {
    auto const p = parse_yaml("");
    BOOST_TEST(!p.root);
    BOOST_TEST(!p.error);
}

BOOST_AUTO_TEST_SUITE_END()
