// The Prober against the real simulator's media host over real TLS on loopback: each rule's
// file, a moov at the end, a redirect, a host that ignores Range (read only until the facts are
// known), a 404, a host name that does not exist, a host that fails once, one that keeps
// failing, a stalled host; revalidation with an earlier probe's validators; never an
// Authorization header; a whole manifest's jobs at once.

#include "integration/common/sim_fixture.hpp"

#include "evobatch/manifest/manifest.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/probe/job_probe.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <string>
#include <vector>

using namespace evobatch;
using evobatch::test::SimFixture;
using namespace std::chrono_literals;

namespace {

sim::SimOptions media_sim() {
    sim::SimOptions o;
    // Far longer than the probes' idle timeout below: three stalled attempts would overrun the
    // fixture's deadline (SimFixture::run fails the test) unless the idle timeout ends each.
    o.media_stall = 15000ms;
    return o;
}

struct ProbeFixture : SimFixture {
    ProbeFixture() : SimFixture(media_sim()), tls(ca_file(), false), prober(io.get_executor(), tls, options()) {}

    static probe::ProberOptions options() {
        probe::ProberOptions o;
        o.first_backoff = 20ms;
        o.idle_timeout = 500ms;
        return o;
    }
    std::string media(std::string const& name) const { return base_url() + "/media/" + name; }
    probe::VideoReport video(std::string const& name) { return run(prober.video(media(name))); }

    net::TlsContext tls;
    probe::Prober prober;
};

} // namespace

BOOST_AUTO_TEST_SUITE(prober)

BOOST_FIXTURE_TEST_CASE(a_faststart_file_costs_one_range_and_its_exact_credits, ProbeFixture) {
    auto const r = video("faststart_9s.mp4");
    BOOST_TEST((r.host.outcome == probe::ProbeOutcome::probed));
    BOOST_TEST(r.host.requests == 1);
    BOOST_TEST(r.host.bytes <= 64u * 1024);
    BOOST_TEST(r.host.status == 206);
    BOOST_TEST(!r.host.etag.empty());
    BOOST_TEST(r.facts.duration.value_or(0ms).count() == 9000);
    BOOST_TEST(probe::judge_video(r.facts).credits.value_or(-1) == 7);
    BOOST_TEST(sim.stats().media_ranges == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_moov_at_the_end_costs_a_few_ranges_not_a_download, ProbeFixture) {
    for (char const* name : {"moov_at_end_9s.mp4", "clip_9s.mov"}) {
        BOOST_TEST_CONTEXT(name) {
            auto const r = video(name);
            BOOST_TEST((r.host.outcome == probe::ProbeOutcome::probed));
            BOOST_TEST(r.host.requests <= 4);
            BOOST_TEST(r.facts.duration.value_or(0ms).count() == 9000);
            BOOST_TEST(r.facts.video_tracks == 1u);
        }
    }
}

BOOST_FIXTURE_TEST_CASE(each_rule_has_its_verdict, ProbeFixture) {
    BOOST_TEST(probe::judge_video(video("not_video.mp4").facts).code == "not_a_video");
    BOOST_TEST(probe::judge_video(video("audio_only.mp4").facts).code == "no_video_track");
    auto const big = video("faststart_9s.mp4?lie=oversize");
    BOOST_TEST(big.facts.size == 150'000'000u);
    BOOST_TEST(probe::judge_video(big.facts).code == "too_large");
    BOOST_TEST(big.host.bytes <= 64u * 1024); // refused by its size: nothing more is read
    auto const short_one = probe::judge_video(video("faststart_4s.mp4").facts);
    BOOST_TEST((short_one.usability == probe::Usability::warned));
    BOOST_TEST(short_one.credits.value_or(-1) == 5);
    auto const gif = run(prober.image(media("image.gif")));
    BOOST_TEST((gif.facts.format == probe::ImageFormat::gif));
    BOOST_TEST(gif.host.bytes <= 16u * 1024);
    auto const png = run(prober.image(media("image.png")));
    BOOST_TEST((png.facts.format == probe::ImageFormat::png));
    BOOST_TEST(png.facts.size > 1000u);
}

BOOST_FIXTURE_TEST_CASE(a_host_that_ignores_range_is_read_only_until_the_facts_are_known, ProbeFixture) {
    // faststart_25s.mp4, the largest test file (98,544 bytes), has its moov in its first 2 KB:
    // the facts are known long before the whole body's end, where the reading stops.
    auto const size = std::filesystem::file_size(std::filesystem::path(EVOBATCH_TEST_MEDIA_DIR) / "faststart_25s.mp4");
    auto const honest = video("faststart_25s.mp4");
    auto const r = video("faststart_25s.mp4?lie=ignore_range");
    BOOST_TEST((r.host.outcome == probe::ProbeOutcome::probed));
    BOOST_TEST(r.host.status == 200);
    BOOST_TEST(r.host.requests == 1);
    BOOST_TEST(r.host.bytes < size / 2);
    BOOST_TEST(r.facts.size == size);
    BOOST_TEST(r.facts.duration.value_or(0ms).count() == 25000);
    BOOST_TEST(r.facts.video_tracks == 1u);
    BOOST_TEST(r.facts.width == honest.facts.width);
    BOOST_TEST(r.facts.height == honest.facts.height);
    BOOST_TEST((r.facts.container == honest.facts.container));
}

BOOST_FIXTURE_TEST_CASE(redirects_are_followed, ProbeFixture) {
    auto const r = video("moov_at_end_9s.mp4?lie=redirect");
    BOOST_TEST((r.host.outcome == probe::ProbeOutcome::probed));
    BOOST_TEST(r.host.final_url == media("moov_at_end_9s.mp4"));
    BOOST_TEST(r.facts.duration.value_or(0ms).count() == 9000);
}

BOOST_FIXTURE_TEST_CASE(refusals_are_final_failures_are_retried_then_transient, ProbeFixture) {
    auto const missing = video("faststart_9s.mp4?lie=missing");
    BOOST_TEST((missing.host.outcome == probe::ProbeOutcome::unreachable));
    BOOST_TEST(missing.host.detail == "HTTP 404");
    BOOST_TEST(missing.host.requests == 1); // a 404 is not asked again

    auto const flaky = video("faststart_9s.mp4?lie=flaky");
    BOOST_TEST((flaky.host.outcome == probe::ProbeOutcome::probed));
    BOOST_TEST(flaky.host.requests == 2);

    auto const failing = video("faststart_9s.mp4?lie=error");
    BOOST_TEST((failing.host.outcome == probe::ProbeOutcome::transient));
    BOOST_TEST(failing.host.requests == 3); // max_attempts
    BOOST_TEST(failing.host.detail.find("HTTP 500") == 0);
}

// RFC 6761 reserves .invalid: resolvers answer at once that no such name exists, with no
// outside traffic. That answer is final (a lookup that failed for now would be retried).
BOOST_FIXTURE_TEST_CASE(a_host_name_that_does_not_exist_is_unreachable_after_one_attempt, ProbeFixture) {
    auto const r = run(prober.video("https://evobatch-probe-test.invalid/clip.mp4"));
    BOOST_TEST((r.host.outcome == probe::ProbeOutcome::unreachable));
    BOOST_TEST(r.host.requests == 1);
    BOOST_TEST(r.host.bytes == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_stalled_host_ends_in_the_idle_timeout, ProbeFixture) {
    auto const r = video("faststart_9s.mp4?lie=stall");
    BOOST_TEST((r.host.outcome == probe::ProbeOutcome::transient));
    BOOST_TEST(r.host.requests == 3);
    BOOST_TEST(r.host.detail.find("after 3 attempts") != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(a_stop_ends_a_stalled_probe_after_its_attempt_and_sends_no_more, ProbeFixture) {
    // Ctrl-C while a host stalls: the request in flight ends by its idle timeout, and no retry
    // follows; a probe asked for after the stop sends nothing.
    boost::asio::steady_timer soon(io, 100ms);
    soon.async_wait([this](boost::system::error_code) { prober.stop(); });
    auto const r = video("faststart_9s.mp4?lie=stall");
    BOOST_TEST((r.host.outcome == probe::ProbeOutcome::transient));
    BOOST_TEST(r.host.requests == 1); // not 3
    auto const after = video("faststart_9s.mp4");
    BOOST_TEST((after.host.outcome == probe::ProbeOutcome::transient));
    BOOST_TEST(after.host.detail == "stopped");
    BOOST_TEST(after.host.requests == 0);
}

// Revalidation: the first request asks whether the file changed since an earlier probe.
BOOST_FIXTURE_TEST_CASE(a_revalidation_of_an_unchanged_file_costs_one_request_and_no_bytes, ProbeFixture) {
    auto const first = video("moov_at_end_9s.mp4");
    BOOST_TEST_REQUIRE(!first.host.etag.empty());
    probe::Validators const known{first.host.etag, first.host.last_modified};
    auto const again = run(prober.video(media("moov_at_end_9s.mp4"), &known));
    BOOST_TEST((again.host.outcome == probe::ProbeOutcome::unchanged));
    BOOST_TEST(again.host.status == 304);
    BOOST_TEST(again.host.requests == 1);
    BOOST_TEST(again.host.bytes == 0u);
    BOOST_TEST(again.host.etag == first.host.etag);
    BOOST_TEST(again.host.last_modified == first.host.last_modified);

    // Without an ETag, by its date.
    probe::Validators const by_date{"", first.host.last_modified};
    auto const dated = run(prober.video(media("moov_at_end_9s.mp4"), &by_date));
    BOOST_TEST((dated.host.outcome == probe::ProbeOutcome::unchanged));
    BOOST_TEST(dated.host.requests == 1);

    auto const png = run(prober.image(media("image.png")));
    probe::Validators const png_known{png.host.etag, png.host.last_modified};
    auto const png_again = run(prober.image(media("image.png"), &png_known));
    BOOST_TEST((png_again.host.outcome == probe::ProbeOutcome::unchanged));
    BOOST_TEST(png_again.host.requests == 1);
    BOOST_TEST(png_again.host.bytes == 0u);
    BOOST_TEST(png_again.host.etag == png.host.etag);
    BOOST_TEST(sim.stats().media_not_modified == 3u);
}

BOOST_FIXTURE_TEST_CASE(a_revalidation_of_a_changed_file_is_a_probe, ProbeFixture) {
    auto const first = video("moov_at_end_9s.mp4");
    probe::Validators const stale{"\"stale-etag\"", first.host.last_modified};
    auto const r = run(prober.video(media("moov_at_end_9s.mp4"), &stale));
    BOOST_TEST((r.host.outcome == probe::ProbeOutcome::probed));
    BOOST_TEST(r.host.requests == first.host.requests);
    BOOST_TEST(r.host.bytes == first.host.bytes);
    BOOST_TEST(r.host.etag == first.host.etag);
    BOOST_TEST(r.facts.size == first.facts.size);
    BOOST_TEST(r.facts.duration.value_or(0ms).count() == 9000);
    BOOST_TEST(r.facts.video_tracks == 1u);
    BOOST_TEST(probe::judge_video(r.facts).credits.value_or(-1) == 7);

    probe::Validators const stale_image{"\"stale-etag\"", ""};
    auto const gif = run(prober.image(media("image.gif"), &stale_image));
    BOOST_TEST((gif.host.outcome == probe::ProbeOutcome::probed));
    BOOST_TEST((gif.facts.format == probe::ImageFormat::gif));

    probe::Validators const none{};
    auto const plain = run(prober.video(media("faststart_9s.mp4"), &none)); // no validator: a plain probe
    BOOST_TEST((plain.host.outcome == probe::ProbeOutcome::probed));
    BOOST_TEST(sim.stats().media_not_modified == 0u);
}

BOOST_FIXTURE_TEST_CASE(jobs_are_probed_together_and_never_send_a_key, ProbeFixture) {
    std::vector<manifest::Job> jobs(6);
    char const* videos[] = {"faststart_9s.mp4", "moov_at_end_9s.mp4", "not_video.mp4",
                            "faststart_25s.mp4", "faststart_9s.mp4?lie=missing", "clip_9s.mov"};
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        jobs[i].id = "job-" + std::to_string(i);
        jobs[i].video_url = media(videos[i]);
    }
    jobs[5].image_urls = {media("image.png"), media("image.webp")};
    std::size_t done = 0;
    std::function<void(std::size_t, probe::JobProbe const&)> const count = [&](std::size_t, probe::JobProbe const&) { ++done; };
    auto const results = run(probe::probe_jobs(prober, jobs, 3, count));
    BOOST_TEST(done == jobs.size());
    BOOST_TEST_REQUIRE(results.size() == jobs.size());
    BOOST_TEST(results[0].credits.value_or(-1) == 7);
    BOOST_TEST(results[1].credits.value_or(-1) == 7);
    BOOST_TEST((results[2].usability == probe::JobUsability::rejected));
    BOOST_TEST(results[3].warned());
    BOOST_TEST(results[4].code == "unreachable");
    BOOST_TEST((results[5].usability == probe::JobUsability::usable));
    BOOST_TEST(results[5].sources.size() == 3u);
    BOOST_TEST(sim.stats().media_requests_with_authorization == 0u);
    BOOST_TEST(sim.stats().media_requests >= jobs.size());
}

BOOST_AUTO_TEST_SUITE_END()
