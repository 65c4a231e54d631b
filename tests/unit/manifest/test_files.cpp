// Manifests and video lists as files: missing, directories, bad bytes, empty, and the
// large manifest with one bad line.

#include "common/temp_dir.hpp"
#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <fmt/format.h>

using evobatch::manifest::load_manifest;
using evobatch::test::TempDir;
using evobatch::test::all_messages;
using evobatch::test::error_count;
using evobatch::test::has_error;
using evobatch::util::TextPosition;

BOOST_AUTO_TEST_SUITE(manifest_files)

BOOST_AUTO_TEST_CASE(missing_file_directory_and_empty_file) {
    TempDir dir;
    auto const missing = load_manifest(dir.path() / "nope.yaml");
    BOOST_TEST(has_error(missing, {0, 0}, "no such file", (dir.path() / "nope.yaml").string()));
    auto const directory = load_manifest(dir.path());
    BOOST_TEST(has_error(directory, {0, 0}, "is a directory", dir.path().string()));
    auto const empty = load_manifest(dir.write("empty.yaml", ""));
    BOOST_TEST(has_error(empty, {0, 0}, "the manifest is empty", (dir.path() / "empty.yaml").string()));
}

BOOST_AUTO_TEST_CASE(non_utf8_manifest_points_at_the_byte) {
    TempDir dir;
    auto const path = dir.write("latin1.yaml", "version: 1\njobs:\n  - id: caf\xE9\n");
    auto const r = load_manifest(path);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_TEST(error_count(r) == 1u);
    BOOST_TEST(has_error(r, TextPosition{3, 12}, "byte 0xE9 is not UTF-8", path.string()));
}

BOOST_AUTO_TEST_CASE(video_list_problems_point_into_the_right_file) {
    TempDir dir;
    dir.write("list.txt", "https://h.example/ok.mp4\n\n  https://h.example/bad.mkv\n");
    auto const path = dir.write("m.yaml", "version: 1\ndefaults: {prompt: p}\nvideo_list: list.txt\n");
    auto const r = load_manifest(path);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_TEST(error_count(r) == 1u);
    BOOST_TEST(has_error(r, TextPosition{3, 3}, ".mp4/.mov", (dir.path() / "list.txt").string()));
}

BOOST_AUTO_TEST_CASE(a_video_list_that_is_not_a_url_list_is_never_echoed) {
    // The wrong file named as video_list (a `.env` with the API key): say which lines are not
    // URLs with a few characters each, and never print what the file holds.
    TempDir dir;
    std::string const secret = "sk-live-0123456789abcdefSECRET";
    dir.write("keys.env", "EVOLINK_API_KEY=" + secret + "\nA=https://x.example/a.mp4?k=" + secret +
                              "\nB=1\nC=2\nD=3\nE=4\n");
    auto const r = load_manifest(dir.write("m.yaml", "version: 1\nvideo_list: keys.env\ndefaults: {prompt: p}\n"));
    std::string const messages = all_messages(r);
    BOOST_TEST_INFO(messages);
    BOOST_TEST(messages.find("SECRET") == std::string::npos);
    BOOST_TEST(messages.find("0123") == std::string::npos);
    BOOST_TEST(has_error(r, TextPosition{1, 1}, "this line is not a URL (it starts 'EVOLIN...')",
                         (dir.path() / "keys.env").string()));
    BOOST_TEST(has_error(r, TextPosition{2, 1}, "it starts 'A=http...'", (dir.path() / "keys.env").string()));
    BOOST_TEST(has_error(r, TextPosition{2, 13}, "3 more lines are not URLs either (not shown)",
                         (dir.path() / "m.yaml").string()));
    BOOST_TEST(error_count(r) == 4u); // three lines named, the rest counted
}

BOOST_AUTO_TEST_CASE(missing_or_unusable_video_list_is_reported_at_the_key) {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "adir");
    dir.write("latin1.txt", "https://h.example/\xE9.mp4\n");
    for (auto const& [list, part, at] : {std::tuple{"nope.txt", "no such file", TextPosition{3, 13}},
                                         std::tuple{"adir", "is a directory", TextPosition{3, 13}},
                                         std::tuple{"latin1.txt", "not UTF-8", TextPosition{1, 19}}}) {
        auto const path = dir.write("m.yaml", fmt::format("version: 1\ndefaults: {{prompt: p}}\nvideo_list: {}\n", list));
        auto const r = load_manifest(path);
        BOOST_TEST_INFO(list << ":\n" << all_messages(r));
        BOOST_TEST(error_count(r) == 1u);
        std::string const file = at.line == 3 ? path.string() : (dir.path() / list).string();
        BOOST_TEST(has_error(r, at, part, file));
    }
}

BOOST_AUTO_TEST_CASE(empty_video_list_warns_and_the_manifest_has_no_jobs) {
    TempDir dir;
    dir.write("list.txt", "# nothing yet\n\n");
    auto const path = dir.write("m.yaml", "version: 1\ndefaults: {prompt: p}\nvideo_list: list.txt\n");
    auto const r = load_manifest(path);
    BOOST_TEST(!r.ok());
    BOOST_TEST(has_error(r, TextPosition{1, 1}, "has no jobs", path.string()));
    BOOST_TEST(all_messages(r).find("holds no URLs") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(output_paths_must_have_the_right_kind) {
    TempDir dir;
    std::filesystem::create_directories(dir.path() / "ledger-dir");
    dir.write("results-file", "x");
    auto const path = dir.write("m.yaml", "version: 1\noutput:\n  ledger: ledger-dir\n  dir: results-file\n"
                                          "defaults: {prompt: p}\nvideos: [https://h.example/a.mp4]\n");
    auto const r = load_manifest(path);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_TEST(error_count(r) == 2u);
    BOOST_TEST(has_error(r, TextPosition{3, 11}, "is a directory", path.string()));
    BOOST_TEST(has_error(r, TextPosition{4, 8}, "is not a directory", path.string()));
}

BOOST_AUTO_TEST_CASE(one_bad_line_among_100k_jobs_is_found_exactly) {
    constexpr int k_jobs = 100'000;
    constexpr int k_bad = 77'777;
    std::string yaml = "version: 1\ndefaults: {prompt: p}\njobs:\n";
    yaml.reserve(static_cast<std::size_t>(k_jobs) * 60);
    for (int i = 0; i < k_jobs; ++i) {
        yaml += fmt::format("  - id: job-{}\n    video: https://h.example/{}.{}\n", i, i, i == k_bad ? "mkv" : "mp4");
    }
    auto const r = evobatch::test::load_text(yaml);
    BOOST_TEST(!r.ok());
    BOOST_TEST(error_count(r) == 1u);
    BOOST_TEST(has_error(r, TextPosition{static_cast<std::uint32_t>(3 + 2 * k_bad + 2), 12},
                         fmt::format("job 'job-{}': video URL", k_bad)));
}

BOOST_AUTO_TEST_SUITE_END()
