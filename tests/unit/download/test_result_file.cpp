#include "evobatch/download/result_file.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch::download;

BOOST_AUTO_TEST_SUITE(result_file)

BOOST_AUTO_TEST_CASE(the_extension_comes_from_the_url_path_cleaned) {
    BOOST_TEST(result_extension("https://cdn.example.com/r/clip.mp4") == "mp4");
    BOOST_TEST(result_extension("https://cdn.example.com/r/CLIP.MOV?sig=a.b&x=.exe") == "mov");
    BOOST_TEST(result_extension("https://cdn.example.com/r/clip.mp4#frag.sh") == "mp4");
    BOOST_TEST(result_extension("https://cdn.example.com/r/clip") == "bin");
    BOOST_TEST(result_extension("https://cdn.example.com/r/clip.") == "bin");
    BOOST_TEST(result_extension("https://cdn.example.com") == "bin");
    BOOST_TEST(result_extension("https://cdn.example.com/a.mp4/") == "bin");
    BOOST_TEST(result_extension("https://cdn.example.com/x.m%2F..") == "bin"); // not [a-z0-9]
    BOOST_TEST(result_extension("https://cdn.example.com/x.averyverylongext") == "bin");
}

BOOST_AUTO_TEST_CASE(names_are_the_job_id_then_a_counter_for_more_files) {
    BOOST_TEST(result_file_name("beach-01", "https://h/x.mp4", 1) == "beach-01.mp4");
    BOOST_TEST(result_file_name("beach-01", "https://h/y.webm", 2) == "beach-01-2.webm");
}

BOOST_AUTO_TEST_CASE(a_later_request_of_the_same_job_gets_names_of_its_own) {
    // The manifest changed the job: its new result must never replace the one already paid for.
    BOOST_TEST(result_file_name("beach-01", "https://h/x.mp4", 1, 1) == "beach-01.mp4");
    BOOST_TEST(result_file_name("beach-01", "https://h/x.mp4", 1, 2) == "beach-01@v2.mp4");
    BOOST_TEST(result_file_name("beach-01", "https://h/y.webm", 2, 3) == "beach-01@v3-2.webm");
    // '@' is no job id character: no other job's files can be named so; the name stays inside.
    BOOST_TEST(path_inside("/out", "beach-01@v2.mp4").value() == std::filesystem::path("/out/beach-01@v2.mp4"));
}

BOOST_AUTO_TEST_CASE(nothing_lands_outside_the_output_folder) {
    std::filesystem::path const dir = "/out/demo";
    BOOST_TEST(path_inside(dir, "beach-01.mp4").value() == dir / "beach-01.mp4");
    BOOST_TEST(path_inside(dir, "...mp4").value() == dir / "...mp4"); // an odd name, still inside
    BOOST_TEST(!path_inside(dir, "..").has_value());
    BOOST_TEST(!path_inside(dir, ".").has_value());
    BOOST_TEST(!path_inside(dir, "").has_value());
    BOOST_TEST(!path_inside(dir, "../etc/passwd").has_value());
    BOOST_TEST(!path_inside(dir, "/etc/passwd").has_value());
    BOOST_TEST(!path_inside(dir, "a/b.mp4").has_value());
    BOOST_TEST(!path_inside(dir, "a\\b.mp4").has_value());
    BOOST_TEST(!path_inside(dir, std::string("a\0b.mp4", 7)).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
