#include "evobatch/manifest/manifest.hpp"
#include "evobatch/jobs/idempotency.hpp"
#include "evobatch/jobs/request_of.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>

using namespace evobatch;

BOOST_AUTO_TEST_SUITE(idempotency)

BOOST_AUTO_TEST_CASE(keys_are_stable_distinct_and_well_formed) {
    auto const key = jobs::idempotency_key("beach-01", "abc123", 1);
    BOOST_TEST(key == jobs::idempotency_key("beach-01", "abc123", 1)); // the same after a crash
    BOOST_TEST(key != jobs::idempotency_key("beach-01", "abc123", 2)); // a new attempt, a new key
    BOOST_TEST(key != jobs::idempotency_key("beach-02", "abc123", 1));
    BOOST_TEST(key != jobs::idempotency_key("beach-01", "abc124", 1));
    // A job edited back to an earlier request (A, B, A) is a new request with a key of its own;
    // the first request's keys are those every ledger already holds.
    BOOST_TEST(key == jobs::idempotency_key("beach-01", "abc123", 1, 1));
    BOOST_TEST(key != jobs::idempotency_key("beach-01", "abc123", 1, 3));
    BOOST_TEST(key.size() >= 16u);
    BOOST_TEST(key.size() <= 96u);
    BOOST_TEST(std::all_of(key.begin(), key.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-';
    }));
}

BOOST_AUTO_TEST_CASE(the_digest_follows_the_request_not_the_id) {
    manifest::Job job;
    job.id = "a";
    job.model = manifest::k_default_model;
    job.prompt = "Make it blue";
    job.video_url = "https://h.example/a.mp4";
    auto const request = jobs::request_of(job);
    BOOST_TEST(request.video_urls.size() == 1u);
    BOOST_TEST(request.video_urls[0] == job.video_url);
    auto const digest = jobs::request_digest(request);
    BOOST_TEST(digest.size() == 64u);
    manifest::Job renamed = job;
    renamed.id = "b";
    BOOST_TEST(jobs::request_digest(jobs::request_of(renamed)) == digest);
    manifest::Job changed = job;
    changed.prompt = "Make it red";
    BOOST_TEST(jobs::request_digest(jobs::request_of(changed)) != digest);
    changed = job;
    changed.keep_original_sound = false;
    BOOST_TEST(jobs::request_digest(jobs::request_of(changed)) != digest);
}

BOOST_AUTO_TEST_CASE(a_key_is_trusted_for_its_window_less_a_margin_of_at_most_a_minute) {
    using namespace std::chrono;
    BOOST_TEST(jobs::key_trust_span(minutes(15)).count() == milliseconds(minutes(14)).count());
    BOOST_TEST(jobs::key_trust_span(minutes(5)).count() == milliseconds(seconds(270)).count());
    BOOST_TEST(jobs::key_trust_span(hours(24)).count() == milliseconds(hours(24) - minutes(1)).count());
    BOOST_TEST(jobs::key_trust_span(seconds(0)).count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
