// What a probe's facts mean for a job: each limit of api.md at its edge, the billed-duration
// warnings with their exact credits, and what is sent at the worst case.

#include "evobatch/probe/rules.hpp"

#include "evobatch/api/pricing.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch::probe;
using namespace std::chrono_literals;

namespace {

VideoFacts good_video(std::chrono::milliseconds duration = 9000ms) {
    VideoFacts f;
    f.size = 20'000;
    f.container = Container::mp4;
    f.format = "MPEG-4";
    f.duration = duration;
    f.video_tracks = 1;
    f.width = 160;
    f.height = 90;
    f.parsed = true;
    return f;
}

} // namespace

BOOST_AUTO_TEST_SUITE(probe_rules)

BOOST_AUTO_TEST_CASE(a_video_in_the_billed_range_costs_its_seconds) {
    Verdict const v = judge_video(good_video(9000ms));
    BOOST_TEST((v.usability == Usability::usable));
    BOOST_TEST(v.credits.value_or(-1) == 7); // api.md's example: 9 s, 7 credits
    Verdict const rounded = judge_video(good_video(9001ms)); // counted as 10 s, never less
    BOOST_TEST(rounded.credits.value_or(-1) == evobatch::api::credits_for_duration(10));
}

BOOST_AUTO_TEST_CASE(short_and_long_videos_warn_what_they_are_billed) {
    Verdict const short_one = judge_video(good_video(4000ms));
    BOOST_TEST((short_one.usability == Usability::warned));
    BOOST_TEST(short_one.credits.value_or(-1) == evobatch::api::credits_for_duration(6));
    BOOST_TEST(short_one.reason == "4.0 s long: billed as 6 s (5 credits)");
    Verdict const long_one = judge_video(good_video(25000ms));
    BOOST_TEST((long_one.usability == Usability::warned));
    BOOST_TEST(long_one.credits.value_or(-1) == evobatch::api::k_max_credits_per_task);
    BOOST_TEST(long_one.reason == "25.0 s long: billed as 20 s (15 credits)");
    BOOST_TEST((judge_video(good_video(6000ms)).usability == Usability::usable));
    BOOST_TEST((judge_video(good_video(20000ms)).usability == Usability::usable));
    BOOST_TEST((judge_video(good_video(20001ms)).usability == Usability::warned));
}

BOOST_AUTO_TEST_CASE(what_the_api_refuses_is_rejected_with_a_reason) {
    VideoFacts big = good_video();
    big.size = k_max_video_bytes + 1;
    BOOST_TEST(judge_video(big).code == "too_large");
    big.size = k_max_video_bytes;
    BOOST_TEST((judge_video(big).usability == Usability::usable));

    VideoFacts html;
    html.size = 157;
    html.parsed = true; // the parser saw it all and found no MP4
    Verdict const h = judge_video(html);
    BOOST_TEST((h.usability == Usability::rejected));
    BOOST_TEST(h.code == "not_a_video");

    VideoFacts audio = good_video();
    audio.video_tracks = 0;
    BOOST_TEST(judge_video(audio).code == "no_video_track");

    VideoFacts damaged = good_video();
    damaged.malformed = "its 'elst' box claims 16777215 entries in 28 bytes";
    Verdict const d = judge_video(damaged);
    BOOST_TEST(d.code == "malformed");
    BOOST_TEST(d.reason == "the video's header is damaged: its 'elst' box claims 16777215 entries in 28 bytes");
}

BOOST_AUTO_TEST_CASE(a_video_without_a_known_duration_goes_at_the_worst_case) {
    VideoFacts f = good_video();
    f.duration.reset();
    f.fragmented = true;
    Verdict const v = judge_video(f);
    BOOST_TEST((v.usability == Usability::usable));
    BOOST_TEST(!v.credits.has_value());
    BOOST_TEST(v.note.find("fragmented") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_format_the_probe_could_not_finish_reading_is_not_refused) {
    VideoFacts partial;
    partial.size = 50'000'000;
    partial.parsed = false; // the budget ended first
    Verdict const v = judge_video(partial);
    BOOST_TEST((v.usability == Usability::usable));
    BOOST_TEST(!v.credits.has_value());
    BOOST_TEST(!v.note.empty());
}

BOOST_AUTO_TEST_CASE(images_are_judged_by_format_and_size) {
    for (ImageFormat f : {ImageFormat::jpeg, ImageFormat::png, ImageFormat::webp}) {
        BOOST_TEST((judge_image({1000, f}).usability == Usability::usable));
    }
    for (ImageFormat f : {ImageFormat::gif, ImageFormat::html, ImageFormat::unknown, ImageFormat::heic}) {
        Verdict const v = judge_image({1000, f});
        BOOST_TEST((v.usability == Usability::rejected));
        BOOST_TEST(v.code == "image_format");
    }
    BOOST_TEST(judge_image({k_max_image_bytes + 1, ImageFormat::png}).code == "image_too_large");
    BOOST_TEST((judge_image({k_max_image_bytes, ImageFormat::png}).usability == Usability::usable));
}

BOOST_AUTO_TEST_SUITE_END()
