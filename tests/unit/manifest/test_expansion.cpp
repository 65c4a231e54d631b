// What a valid manifest turns into: defaults merged, shorthands and lists expanded, ids derived,
// settings read, paths resolved from the manifest's folder.

#include "common/temp_dir.hpp"
#include "support.hpp"

#include <boost/test/unit_test.hpp>

using evobatch::test::TempDir;
using evobatch::test::load_text;
using evobatch::test::all_messages;
namespace fs = std::filesystem;

BOOST_AUTO_TEST_SUITE(manifest_expansion)

BOOST_AUTO_TEST_CASE(merges_defaults_into_jobs_and_lets_jobs_override) {
    auto const r = load_text(R"(version: 1
defaults:
  prompt: Make it cinematic
  keep_original_sound: true
  image_urls: [https://h.example/ref.png]
  callback_url: https://hooks.example.com/cb
jobs:
  - id: a
    video: https://h.example/a.mp4
  - id: b
    video_urls: [https://h.example/b.mov]
    prompt: Turn the sky into a sunset
    keep_original_sound: false
    image_urls: ~
    callback_url: ~
)");
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.ok());
    auto const& jobs = r.manifest->jobs;
    BOOST_REQUIRE(jobs.size() == 2u);
    BOOST_TEST(jobs[0].id == "a");
    BOOST_TEST(jobs[0].model == "kling-o1-video-edit-fast");
    BOOST_TEST(jobs[0].prompt == "Make it cinematic");
    BOOST_TEST(jobs[0].video_url == "https://h.example/a.mp4");
    BOOST_TEST(jobs[0].keep_original_sound.value() == true);
    BOOST_REQUIRE(jobs[0].image_urls.size() == 1u);
    BOOST_TEST(jobs[0].image_urls[0] == "https://h.example/ref.png");
    BOOST_TEST(jobs[0].callback_url.value() == "https://hooks.example.com/cb");

    BOOST_TEST(jobs[1].prompt == "Turn the sky into a sunset");
    BOOST_TEST(jobs[1].video_url == "https://h.example/b.mov");
    BOOST_TEST(jobs[1].keep_original_sound.value() == false);
    BOOST_TEST(jobs[1].image_urls.empty()); // `~` in a job clears the default
    BOOST_TEST(!jobs[1].callback_url.has_value());
    BOOST_TEST(jobs[1].origin.line == 10u);
    BOOST_TEST(jobs[1].origin.column == 5u);
}

BOOST_AUTO_TEST_CASE(unset_optional_fields_stay_unset) {
    auto const r = load_text("version: 1\njobs:\n  - {id: a, prompt: p, video: https://h.example/a.mp4}\n");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(!r.manifest->jobs[0].keep_original_sound.has_value());
    BOOST_TEST(!r.manifest->jobs[0].callback_url.has_value());
    BOOST_TEST(r.manifest->jobs[0].image_urls.empty());
}

BOOST_AUTO_TEST_CASE(a_default_video_serves_jobs_that_differ_in_prompt) {
    auto const r = load_text(R"(version: 1
defaults: {video: https://h.example/same.mp4}
jobs:
  - {id: warm, prompt: Warm colours}
  - {id: cold, prompt: Cold colours}
)");
    BOOST_REQUIRE(r.ok());
    BOOST_TEST(r.manifest->jobs[1].video_url == "https://h.example/same.mp4");
}

BOOST_AUTO_TEST_CASE(derives_ids_from_video_file_stems) {
    auto const r = load_text(R"(version: 1
defaults: {prompt: p}
jobs:
  - video: https://h.example/a/beach-01.mp4
videos:
  - https://h.example/b/city.v2.MOV?sig=abc
  - https://h.example/c/my%20clip%20%C3%A9t%C3%A9.mp4
)");
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.ok());
    auto const& jobs = r.manifest->jobs;
    BOOST_REQUIRE(jobs.size() == 3u);
    BOOST_TEST(jobs[0].id == "beach-01");
    BOOST_TEST(jobs[1].id == "city.v2");
    BOOST_TEST(jobs[2].id == "my_clip__t_"); // one '_' per character outside [A-Za-z0-9._-]
}

BOOST_AUTO_TEST_CASE(keeps_manifest_order_jobs_then_videos_then_list) {
    TempDir dir;
    dir.write("clips.txt", "# comment\n\nhttps://h.example/l1.mp4\r\n   https://h.example/l2.mp4  \n");
    auto const manifest = dir.write("batch.yaml", R"(version: 1
defaults: {prompt: p}
video_list: clips.txt
videos: [https://h.example/v1.mp4]
jobs:
  - {id: j1, video: https://h.example/j1.mp4}
)");
    auto const r = evobatch::manifest::load_manifest(manifest);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.ok());
    auto const& jobs = r.manifest->jobs;
    BOOST_REQUIRE(jobs.size() == 4u);
    BOOST_TEST(jobs[0].id == "j1");
    BOOST_TEST(jobs[1].id == "v1");
    BOOST_TEST(jobs[2].id == "l1");
    BOOST_TEST(jobs[3].id == "l2");
    BOOST_TEST(jobs[3].video_url == "https://h.example/l2.mp4"); // trimmed
    BOOST_TEST(jobs[3].origin.file == 1u);
    BOOST_TEST(jobs[3].origin.line == 4u);
    BOOST_TEST(jobs[3].origin.column == 4u);
    BOOST_TEST(r.manifest->files.at(1) == (dir.path() / "clips.txt").string());
}

BOOST_AUTO_TEST_CASE(reads_settings_and_resolves_paths_from_the_manifest_folder) {
    TempDir dir;
    dir.write("certs/ca.pem", "-----BEGIN CERTIFICATE-----\n");
    auto const manifest = dir.write("sub/batch.yaml", R"(version: 1
api:
  base_url: http://127.0.0.1:8443
  key_env: MY_EVOLINK_KEY
  idempotency_window: 1h30m
  request_timeout: 2m
  credits_per_usd: 70.5
  ca_file: ../certs/ca.pem
limits:
  requests_per_second: 2.5
  burst: 7
  max_in_flight: 9
  max_connections: 3
  max_credits: 123
  max_attempts: 5
  max_downloads: 8
  max_probes: 12
preflight:
  probe: false
output:
  ledger: state/run.jsonl
  dir: /tmp/evobatch-results
  download: false
videos: [https://h.example/a.mp4]
defaults: {prompt: p}
)");
    auto const r = evobatch::manifest::load_manifest(manifest);
    BOOST_TEST_INFO(all_messages(r));
    BOOST_REQUIRE(r.ok());
    auto const& m = *r.manifest;
    BOOST_TEST(m.api.base_url == "http://127.0.0.1:8443");
    BOOST_TEST(m.api.key_env == "MY_EVOLINK_KEY");
    BOOST_TEST(m.api.idempotency_window.count() == 5400);
    BOOST_TEST(m.api.request_timeout.count() == 120);
    BOOST_TEST(m.api.credits_per_usd == 70.5);
    BOOST_TEST(m.api.ca_file.value() == (dir.path() / "certs/ca.pem"));
    BOOST_TEST(m.limits.requests_per_second == 2.5);
    BOOST_TEST(m.limits.burst == 7u);
    BOOST_TEST(m.limits.max_in_flight == 9u);
    BOOST_TEST(m.limits.max_connections == 3u);
    BOOST_TEST(m.limits.max_credits == 123);
    BOOST_TEST(m.limits.max_attempts == 5u);
    BOOST_TEST(m.limits.max_downloads == 8u);
    BOOST_TEST(m.limits.max_probes == 12u);
    BOOST_TEST(m.preflight.probe == false);
    BOOST_TEST(m.output.ledger == dir.path() / "sub/state/run.jsonl");
    BOOST_TEST(m.output.dir == fs::path("/tmp/evobatch-results"));
    BOOST_TEST(m.output.download == false);
}

BOOST_AUTO_TEST_CASE(defaults_for_settings_are_safe) {
    auto const r = evobatch::manifest::load_manifest_text("version: 1\ndefaults: {prompt: p}\nvideos: [https://h.example/a.mp4]\n",
                                                          "jobs/night.yaml", "jobs");
    BOOST_REQUIRE(r.ok());
    auto const& m = *r.manifest;
    BOOST_TEST(m.api.base_url == "https://api.evolink.ai");
    BOOST_TEST(m.api.key_env == "EVOLINK_API_KEY");
    BOOST_TEST(m.api.idempotency_window.count() == 900);
    BOOST_TEST(m.api.request_timeout.count() == 60);
    BOOST_TEST(m.api.credits_per_usd == 68.0); // Evolink's own clients' rate
    BOOST_TEST(!m.api.ca_file.has_value());
    BOOST_TEST(m.limits.max_credits == 500);
    BOOST_TEST(m.output.ledger == fs::path("jobs/night.ledger.jsonl"));
    BOOST_TEST(m.output.dir == fs::path("jobs/out/night"));
    BOOST_TEST(m.output.download == true);
}

BOOST_AUTO_TEST_CASE(prompt_limit_counts_characters) {
    std::string prompt;
    for (int i = 0; i < 5000; ++i) {
        prompt += "\xC3\xA9"; // 5000 characters, 10000 bytes: within the limit
    }
    auto const r = load_text("version: 1\njobs:\n  - id: a\n    video: https://h.example/a.mp4\n    prompt: " + prompt + "\n");
    BOOST_TEST_INFO(all_messages(r));
    BOOST_TEST(r.ok());
}

BOOST_AUTO_TEST_CASE(accepts_the_edges_of_the_rules) {
    std::string const long_callback = "https://hooks.example.com/" + std::string(2048 - 26, 'a');
    auto const r = load_text(R"(version: 1
defaults: {prompt: p}
jobs:
  - id: upper
    video: https://h.example/A.MP4
  - id: query
    video: https://h.example/a.mov?X-Amz-Signature=abc#t=1
    image_urls: [https://h.example/1.jpg, https://h.example/2.jpeg, https://h.example/3.png, https://h.example/4.webp]
  - id: public-172
    video: https://h.example/b.mp4
    callback_url: https://172.32.0.1/hook
  - id: long-callback
    video: https://h.example/c.mp4
    callback_url: )" + long_callback + "\n");
    BOOST_TEST_INFO(all_messages(r));
    BOOST_TEST(r.ok());
    BOOST_TEST(r.diagnostics.empty());
}

BOOST_AUTO_TEST_CASE(warns_about_videos_the_api_cannot_reach) {
    // A private address as data to warn about; nothing is ever sent to it.
    auto const r = load_text("version: 1\ndefaults: {prompt: p}\nvideos: [http://192.168.1.20/a.mp4]\n"); // private
    BOOST_REQUIRE(r.ok()); // a warning, not an error: the API decides
    BOOST_REQUIRE(r.diagnostics.size() == 1u);
    BOOST_TEST((r.diagnostics[0].severity == evobatch::util::Severity::warning));
    BOOST_TEST(r.diagnostics[0].line == 3u);
    BOOST_TEST(r.diagnostics[0].message.find("cannot fetch it") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(key_env_errors_never_echo_the_value) {
    auto const r = load_text("version: 1\napi: {key_env: sk-live-0123456789abcdef}\ndefaults: {prompt: p}\n"
                             "videos: [https://h.example/a.mp4]\n");
    BOOST_REQUIRE(!r.ok());
    BOOST_TEST(all_messages(r).find("sk-live") == std::string::npos);
    BOOST_TEST(all_messages(r).find("not the key itself") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(errors_come_sorted_by_position) {
    auto const r = load_text("version: 1\nbogus: 1\nlimits: {burst: 0}\njobs:\n  - {id: a}\n");
    BOOST_REQUIRE(r.diagnostics.size() >= 3u);
    for (std::size_t i = 1; i < r.diagnostics.size(); ++i) {
        BOOST_TEST(r.diagnostics[i - 1].line <= r.diagnostics[i].line);
    }
}

BOOST_AUTO_TEST_SUITE_END()
