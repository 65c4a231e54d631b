// judge_job: a job's sources combined: the first rejection decides its code, every reason is
// kept and names its source, an unreachable source rejects (the API fetches the same URL), a
// transient failure leaves the job unprobed (sent at the worst case), and only a usable job
// has an exact cost.

#include "evobatch/probe/job_probe.hpp"

#include <boost/test/unit_test.hpp>

using namespace evobatch::probe;

namespace {

SourceResult video(ProbeOutcome outcome, Verdict verdict = {}) {
    SourceResult s;
    s.url = "https://media.example/v.mp4";
    s.host.outcome = outcome;
    s.host.detail = outcome == ProbeOutcome::probed ? "" : outcome == ProbeOutcome::unreachable ? "HTTP 404" : "HTTP 503 (after 3 attempts)";
    s.verdict = std::move(verdict);
    return s;
}

SourceResult image(ProbeOutcome outcome, Verdict verdict = {}) {
    SourceResult s = video(outcome, std::move(verdict));
    s.url = "https://media.example/i.png";
    s.is_video = false;
    return s;
}

Verdict costs(std::int64_t credits) {
    Verdict v;
    v.credits = credits;
    return v;
}

Verdict refused(std::string code, std::string reason) {
    Verdict v;
    v.usability = Usability::rejected;
    v.code = std::move(code);
    v.reason = std::move(reason);
    return v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(job_probe)

BOOST_AUTO_TEST_CASE(a_usable_job_costs_its_videos_credits) {
    JobProbe const p = judge_job("a", {video(ProbeOutcome::probed, costs(7)), image(ProbeOutcome::probed)});
    BOOST_TEST((p.usability == JobUsability::usable));
    BOOST_TEST(p.credits.value_or(-1) == 7);
    BOOST_TEST(p.reasons.empty());
    BOOST_TEST(!p.warned());
}

BOOST_AUTO_TEST_CASE(the_first_rejection_gives_the_code_and_every_reason_is_kept) {
    JobProbe const p = judge_job("a", {video(ProbeOutcome::probed, refused("too_large", "the video is 143.0 MB")),
                                       image(ProbeOutcome::probed, refused("image_format", "the image is GIF"))});
    BOOST_TEST((p.usability == JobUsability::rejected));
    BOOST_TEST(p.code == "too_large");
    BOOST_TEST(!p.credits.has_value()); // never sent: costs nothing
    BOOST_TEST_REQUIRE(p.reasons.size() == 2u);
    BOOST_TEST(p.reasons[0] == "video: the video is 143.0 MB");
    BOOST_TEST(p.reasons[1] == "image 1: the image is GIF");
}

BOOST_AUTO_TEST_CASE(an_unreachable_source_rejects_the_job) {
    JobProbe const p = judge_job("a", {video(ProbeOutcome::probed, costs(7)), image(ProbeOutcome::probed),
                                       image(ProbeOutcome::unreachable)});
    BOOST_TEST((p.usability == JobUsability::rejected));
    BOOST_TEST(p.code == "unreachable");
    BOOST_TEST(p.reasons.at(0) == "image 2: cannot be fetched (HTTP 404)");
}

BOOST_AUTO_TEST_CASE(a_transient_failure_leaves_the_job_unprobed_at_the_worst_case) {
    JobProbe const p = judge_job("a", {video(ProbeOutcome::transient)});
    BOOST_TEST((p.usability == JobUsability::unprobed));
    BOOST_TEST(!p.credits.has_value());
    BOOST_TEST(p.reasons.at(0) == "video: not probed (HTTP 503 (after 3 attempts)); sent at the most a task costs");
    // A rejection elsewhere still wins: the job cannot go whatever the video turns out to be.
    JobProbe const both = judge_job("a", {video(ProbeOutcome::transient), image(ProbeOutcome::unreachable)});
    BOOST_TEST((both.usability == JobUsability::rejected));
}

BOOST_AUTO_TEST_CASE(warnings_and_notes_are_said_without_refusing) {
    Verdict warned = costs(15);
    warned.usability = Usability::warned;
    warned.reason = "25.0 s long: billed as 20 s (15 credits)";
    JobProbe const p = judge_job("a", {video(ProbeOutcome::probed, warned)});
    BOOST_TEST((p.usability == JobUsability::usable));
    BOOST_TEST(p.warned());
    BOOST_TEST(p.credits.value_or(-1) == 15);
    BOOST_TEST(p.reasons.at(0) == "video: 25.0 s long: billed as 20 s (15 credits)");
}

BOOST_AUTO_TEST_SUITE_END()
