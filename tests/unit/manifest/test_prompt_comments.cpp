// A plain (unquoted) prompt ends where ` #` starts a YAML comment on its line, so
// `prompt: Make it look like take #2` sends "Make it look like take". The loader warns there
// (the manifest stays valid: it may be a real comment) and says how to keep the rest.

#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <string>
#include <string_view>

using evobatch::test::all_messages;
using evobatch::test::load_text;
using evobatch::test::where;
using evobatch::util::Severity;

namespace {

// A manifest whose defaults hold `prompt_line` (written at key indentation, "  prompt: ...").
std::string with_default_prompt(std::string_view prompt_line) {
    return "version: 1\ndefaults:\n" + std::string(prompt_line) + "videos: [https://h.example/a.mp4]\n";
}

std::size_t warning_count(evobatch::manifest::LoadResult const& r) {
    return static_cast<std::size_t>(std::count_if(r.diagnostics.begin(), r.diagnostics.end(),
                                                  [](auto const& d) { return d.severity == Severity::warning; }));
}

} // namespace

BOOST_AUTO_TEST_SUITE(manifest_prompt_comments)

BOOST_AUTO_TEST_CASE(warns_at_the_prompt_with_what_is_sent_and_how_to_keep_the_rest) {
    std::string const yaml = with_default_prompt("  prompt: Make it look like take #2\n");
    auto const r = load_text(yaml);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.ok()); // a warning, not an error
    BOOST_TEST(r.manifest->jobs[0].prompt == "Make it look like take");
    BOOST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST(evobatch::util::format(r.diagnostics[0]) ==
               "m.yaml:3:11: warning: defaults: prompt is sent as \"Make it look like take\": ' #2' starts a YAML "
               "comment; quote the whole prompt (\"Make it look like take #2\") to keep it, or put a real comment "
               "on a line of its own");
}

BOOST_AUTO_TEST_CASE(warns_for_a_job_prompt_with_the_job_named) {
    std::string const yaml = "version: 1\njobs:\n  - id: a\n    video: https://h.example/a.mp4\n"
                             "    prompt: Warmer   # like take 3  \r\n";
    auto const r = load_text(yaml);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r.diagnostics.size() == 1u);
    auto const& d = r.diagnostics[0];
    BOOST_TEST((d.severity == Severity::warning));
    auto const at = where(yaml, "Warmer");
    BOOST_TEST(d.line == at.line);
    BOOST_TEST(d.column == at.column);
    // The blanks before `#` are part of what quoting keeps; the line's trailing blanks are not.
    BOOST_TEST(d.message.find("job 'a': prompt is sent as \"Warmer\": '   # like take 3' starts a YAML comment; "
                              "quote the whole prompt (\"Warmer   # like take 3\")") == 0u);
}

BOOST_AUTO_TEST_CASE(warns_where_the_comment_cuts_a_prompt_of_several_lines) {
    std::string const yaml = with_default_prompt("  prompt: Make it look\n    like take #2\n");
    auto const r = load_text(yaml);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST(r.diagnostics[0].line == 3u);
    BOOST_TEST(r.diagnostics[0].message.find("(\"Make it look like take #2\")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reads_the_comment_after_text_that_is_not_ascii) {
    // Parser marks count characters; the text is read in bytes.
    auto const r = load_text(with_default_prompt("  prompt: Bildqualit\xC3\xA4t wie Take \xE2\x9C\xA8 #2\n"));
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST(r.diagnostics[0].message.find("' #2' starts a YAML comment") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_suggested_quoting_keeps_the_whole_prompt) {
    // Quotes and backslashes in the prompt are escaped, so the suggestion can be pasted as is.
    std::string const yaml = with_default_prompt("  prompt: Say \"hi\" \\o/ like take #2\n");
    auto const r = load_text(yaml);
    BOOST_REQUIRE(r.diagnostics.size() == 1u);
    std::string const& message = r.diagnostics[0].message;
    std::size_t const open = message.find("quote the whole prompt (");
    std::size_t const close = message.find(") to keep it");
    BOOST_REQUIRE(open != std::string::npos);
    BOOST_REQUIRE(close != std::string::npos);
    std::size_t const start = open + std::string_view("quote the whole prompt (").size();
    std::string const suggested = message.substr(start, close - start);
    auto const fixed = load_text(with_default_prompt("  prompt: " + suggested + "\n"));
    BOOST_TEST_INFO(all_messages(fixed));
    BOOST_REQUIRE(fixed.ok());
    BOOST_TEST(fixed.diagnostics.empty());
    BOOST_TEST(fixed.manifest->jobs[0].prompt == "Say \"hi\" \\o/ like take #2");
}

BOOST_AUTO_TEST_CASE(reads_a_manifest_saved_with_a_byte_order_mark) {
    // Windows editors write one; offsets into the text must still count it.
    std::string const yaml = "\xEF\xBB\xBF" + with_default_prompt("  prompt: Make it look like take #2\r\n");
    auto const r = load_text(yaml);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.manifest->jobs[0].prompt == "Make it look like take");
    BOOST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST(r.diagnostics[0].line == 3u);
    BOOST_TEST(r.diagnostics[0].message.find("#2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(stays_quiet_where_nothing_is_cut) {
    char const* const k_prompt_lines[] = {
        "  prompt: \"Make it look like take #2\"\n", // double-quoted
        "  prompt: 'Make it look like take #2'\n",   // single-quoted
        "  prompt: Make it look like take#2\n",      // no blank before '#': part of the text
        "  prompt: |\n    Make it look like take #2\n", // block scalars keep '#'
        "  prompt: >  # a comment on the block header\n    Make it look like take #2\n",
        "  prompt: Make it look like take 2\n  # a comment on its own line\n",
    };
    for (char const* line : k_prompt_lines) {
        auto const r = load_text(with_default_prompt(line));
        BOOST_TEST_INFO(line << all_messages(r));
        BOOST_TEST(r.ok());
        BOOST_TEST(r.diagnostics.empty());
    }
}

BOOST_AUTO_TEST_CASE(only_prompts_are_checked) {
    // A comment after a URL or a setting is a comment: those values cannot hold '#' text anyway.
    auto const r = load_text("version: 1  # the format\nlimits:\n  burst: 3   # be gentle\n"
                             "defaults: {prompt: p}\nvideos:\n  - https://h.example/a.mp4  # the main cut\n");
    BOOST_TEST_INFO(all_messages(r));
    BOOST_TEST(r.ok());
    BOOST_TEST(r.diagnostics.empty());
}

BOOST_AUTO_TEST_CASE(an_alias_warns_once_where_its_anchor_is) {
    std::string const yaml = "version: 1\ndefaults:\n  prompt: &p Make it look like take #2\njobs:\n"
                             "  - id: a\n    video: https://h.example/a.mp4\n    prompt: *p\n";
    auto const r = load_text(yaml);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.ok());
    BOOST_REQUIRE(warning_count(r) == 1u);
    BOOST_TEST(r.diagnostics[0].line == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
