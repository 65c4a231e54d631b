// A source's probe through the ledger and back: what `run` writes as `probed` is what a later
// run reuses once the host confirms it unchanged, verdict and cost included; and only a probe
// with the host's facts and a validator to check them by is offered for reuse.

#include "evobatch/jobs/probe_record.hpp"
#include "evobatch/ledger/replay.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>

using namespace evobatch;

namespace {

probe::SourceResult video_source() {
    probe::SourceResult s;
    s.url = "https://cdn.example.com/clips/a.mp4";
    s.host.outcome = probe::ProbeOutcome::probed;
    s.host.etag = "\"5f2a\"";
    s.host.last_modified = "Sat, 05 Dec 2026 10:00:00 GMT";
    s.video.size = 98'304;
    s.video.container = probe::Container::quicktime;
    s.video.duration = std::chrono::milliseconds(4'000);
    s.verdict.usability = probe::Usability::warned;
    s.verdict.reason = "4.0 s long: billed as 6 s (5 credits)";
    s.verdict.credits = 5;
    return s;
}

// The event as a later run reads it: written, replayed, looked up by URL.
ledger::Replay through_the_ledger(ledger::Event const& e) { return ledger::replay_text(ledger::to_json_line(e)); }

} // namespace

BOOST_AUTO_TEST_SUITE(probe_record)

BOOST_AUTO_TEST_CASE(a_video_probe_comes_back_with_its_verdict_and_cost) {
    auto const e = jobs::probed_event(video_source(), "clip-1", "req-1");
    BOOST_TEST(e.job == "clip-1");
    BOOST_TEST(*e.format == "mov");
    BOOST_TEST(*e.verdict == "warned");
    auto const replay = through_the_ledger(e);
    auto const* record = replay.find_probe("https://cdn.example.com/clips/a.mp4");
    BOOST_TEST_REQUIRE(record != nullptr);
    auto const back = jobs::remembered_source(*record, true);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST((back->host.outcome == probe::ProbeOutcome::probed));
    BOOST_TEST(back->host.etag == "\"5f2a\"");
    BOOST_TEST(back->video.size == 98'304U);
    BOOST_TEST((back->video.container == probe::Container::quicktime));
    BOOST_TEST(back->video.duration->count() == 4'000);
    BOOST_TEST((back->verdict.usability == probe::Usability::warned));
    BOOST_TEST(back->verdict.reason == "4.0 s long: billed as 6 s (5 credits)");
    BOOST_TEST(back->verdict.credits.value_or(0) == 5);
    // Judged again as a job, it is what the first probe made of it.
    auto const job = probe::judge_job("clip-1", {*back});
    BOOST_TEST((job.usability == probe::JobUsability::usable));
    BOOST_TEST(job.credits.value_or(0) == 5);
}

BOOST_AUTO_TEST_CASE(a_rejected_image_comes_back_rejected_with_its_code) {
    probe::SourceResult s;
    s.url = "https://cdn.example.com/ref.gif";
    s.is_video = false;
    s.host.outcome = probe::ProbeOutcome::probed;
    s.host.last_modified = "Sat, 05 Dec 2026 10:00:00 GMT"; // a date alone is a validator too
    s.image.size = 2'000;
    s.image.format = probe::ImageFormat::gif;
    s.verdict.usability = probe::Usability::rejected;
    s.verdict.code = "image_format";
    s.verdict.reason = "GIF, not JPEG, PNG or WebP";
    auto const replay = through_the_ledger(jobs::probed_event(s, "clip-2", "req-2"));
    auto const back = jobs::remembered_source(replay.probes.at(0), false);
    BOOST_TEST_REQUIRE(back.has_value());
    BOOST_TEST(!back->is_video);
    BOOST_TEST((back->image.format == probe::ImageFormat::gif));
    BOOST_TEST((back->verdict.usability == probe::Usability::rejected));
    BOOST_TEST(back->verdict.code == "image_format");
}

BOOST_AUTO_TEST_CASE(only_facts_with_a_validator_are_offered_for_reuse) {
    auto no_validator = video_source();
    no_validator.host.etag.clear();
    no_validator.host.last_modified.clear();
    auto replay = through_the_ledger(jobs::probed_event(no_validator, "clip-1", "req-1"));
    BOOST_TEST(!jobs::remembered_source(replay.probes.at(0), true).has_value()); // nothing to check it by

    auto unreachable = video_source();
    unreachable.host.outcome = probe::ProbeOutcome::unreachable;
    unreachable.host.detail = "HTTP 404";
    auto const e = jobs::probed_event(unreachable, "clip-1", "req-1");
    BOOST_TEST(*e.verdict == "unreachable");
    BOOST_TEST(e.error->message == "HTTP 404");
    replay = through_the_ledger(e);
    BOOST_TEST(!jobs::remembered_source(replay.probes.at(0), true).has_value()); // a failure is asked again
}

BOOST_AUTO_TEST_SUITE_END()
