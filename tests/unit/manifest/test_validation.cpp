// Every validation rule of manifest v1 and api.md, one fragment each: the manifest is refused,
// with exactly the expected number of errors, and the error points at the offending text.

#include "support.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <vector>

namespace bdata = boost::unit_test::data;
using evobatch::test::one_job;

namespace {

struct Case {
    char const* name;
    std::string yaml;
    std::string at;     // the text the error points at; empty: the whole file
    std::string part;   // a piece of the message
    int nth = 1;        // which occurrence of `at`
    std::size_t errors = 1;
};

std::ostream& operator<<(std::ostream& os, Case const& c) { return os << c.name; }

std::string repeat(std::string_view s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += s;
    }
    return out;
}

std::string callback(std::string_view url) { return one_job("    callback_url: " + std::string(url) + "\n"); }

std::vector<Case> const k_cases{
    // ---- document and top level
    {"missing_version", "jobs:\n  - id: a\n    prompt: p\n    video: https://h.example/a.mp4\n", "jobs",
     "no `version:`"},
    {"unsupported_version", "version: 2\njobs: []\n", "2", "version 2 is not supported"},
    {"quoted_version", "version: \"1\"\nvideos: [https://h.example/a.mp4]\ndefaults: {prompt: p}\n", "\"1\"",
     "drop the quotes"},
    {"unknown_top_key_suggests", "version: 1\njob:\n  - id: a\n", "job:", "did you mean 'jobs'?"},
    {"limits_key_at_top_level", one_job("burst: 3\n"), "burst", "belongs under `limits:`"},
    {"job_field_at_top_level", one_job("prompt: hello\n"), "prompt: hello", "is a job field", 1},
    {"root_is_a_list", "- version: 1\n", "- version", "must be a mapping"},
    {"duplicate_top_key", one_job("version: 1\n"), "version", "given twice (first on line 1)", 2},
    {"comments_only_is_empty", "# nothing here\n", "", "the manifest is empty"},
    {"no_jobs", "version: 1\n", "version", "has no jobs"},
    {"jobs_not_a_list", "version: 1\njobs: {id: a}\n", "{id", "jobs must be a list"},
    {"job_is_a_plain_url", "version: 1\njobs:\n  - https://h.example/a.mp4\n", "https",
     "a job must be a mapping"},
    {"unterminated_flow_list", "version: 1\nvideos: [https://h.example/a.mp4\n", "",
     "the list opened with '[' at line 2, column 9 is never closed", 1},
    {"tab_indentation", "version: 1\njobs:\n\t- id: a\n", "\t", "tabs"},
    {"value_with_a_colon", one_job("    prompt: Replace the sky: make it stormy\n", false), ": make",
     "the value of 'prompt' contains ': ', so put the whole value in quotes"},
    {"second_document", one_job("---\nversion: 1\n"), "---", "second YAML document"},
    {"undefined_alias", "version: 1\ndefaults: *base\n", "*base", "names no anchor"},
    // ---- api
    {"http_base_url_not_loopback", one_job("api:\n  base_url: http://api.evolink.ai\n"), "http://api",
     "must use https"},
    {"base_url_with_query", one_job("api:\n  base_url: https://api.evolink.ai/?x=1\n"), "https://api",
     "query"},
    {"base_url_not_a_url", one_job("api:\n  base_url: not a url\n"), "not a url", "not a valid URL"},
    {"api_key_misspelt", one_job("api:\n  base-url: https://api.evolink.ai\n"), "base-url",
     "did you mean 'base_url'?"},
    {"window_not_a_duration", one_job("api:\n  idempotency_window: forever\n"), "forever",
     "must be a duration"},
    {"request_timeout_zero", one_job("api:\n  request_timeout: 0s\n"), "0s", "at least 1s"},
    {"request_timeout_too_long", one_job("api:\n  request_timeout: 1h\n"), "1h", "at most 600s"},
    {"window_too_long", one_job("api:\n  idempotency_window: 48h\n"), "48h", "at most 86400s"},
    {"ca_file_missing", one_job("api:\n  ca_file: no-such-ca.pem\n"), "no-such-ca.pem", "is not a file"},
    {"credits_per_usd_zero", one_job("api:\n  credits_per_usd: 0\n"), "0\n",
     "api.credits_per_usd is 0; it must be above 0"},
    {"credits_per_usd_negative", one_job("api:\n  credits_per_usd: -68\n"), "-68", "it must be above 0"},
    {"credits_per_usd_not_a_number", one_job("api:\n  credits_per_usd: 68 credits\n"), "68 credits",
     "api.credits_per_usd must be a number above 0"},
    {"credits_per_usd_misspelt", one_job("api:\n  credit_per_usd: 70\n"), "credit_per_usd",
     "did you mean 'credits_per_usd'?"},
    {"credits_per_usd_at_top_level", one_job("credits_per_usd: 70\n"), "credits_per_usd",
     "belongs under `api:`"},
    // ---- limits
    {"rps_zero", one_job("limits:\n  requests_per_second: 0\n"), "0\n", "above 0"},
    {"rps_too_high", one_job("limits:\n  requests_per_second: 1001\n"), "1001", "at most 1000"},
    {"rps_not_a_number", one_job("limits:\n  requests_per_second: fast\n"), "fast", "must be a number"},
    {"burst_zero", one_job("limits:\n  burst: 0\n"), "0\n", "between 1 and 10000"},
    {"burst_fraction", one_job("limits:\n  burst: 1.5\n"), "1.5", "whole number"},
    {"in_flight_negative", one_job("limits:\n  max_in_flight: -1\n"), "-1", "between 1 and 100000"},
    {"too_many_connections", one_job("limits:\n  max_connections: 1000\n"), "1000", "between 1 and 256"},
    {"too_many_downloads", one_job("limits:\n  max_downloads: 65\n"), "65", "between 1 and 64"},
    {"too_many_probes", one_job("limits:\n  max_probes: 257\n"), "257", "between 1 and 256"},
    {"probe_not_a_boolean", one_job("preflight:\n  probe: sometimes\n"), "sometimes", "true or false"},
    {"preflight_key_misspelt", one_job("preflight:\n  probes: false\n"), "probes", "did you mean 'probe'?"},
    {"probe_at_top_level", one_job("probe: false\n"), "probe", "belongs under `preflight:`"},
    {"credits_zero", one_job("limits:\n  max_credits: 0\n"), "0\n", "between 1 and"},
    {"credits_huge", one_job("limits:\n  max_credits: 99999999999999999999999\n"), "9999", "out of range"},
    {"attempts_too_many", one_job("limits:\n  max_attempts: 11\n"), "11", "between 1 and 10"},
    {"limits_not_a_mapping", one_job("limits: 5\n"), "5", "must be a mapping"},
    {"limits_key_misspelt", one_job("limits:\n  max_credit: 5\n"), "max_credit",
     "did you mean 'max_credits'?"},
    // ---- output
    {"download_not_bool", one_job("output:\n  download: maybe\n"), "maybe", "true or false"},
    {"download_quoted", one_job("output:\n  download: \"true\"\n"), "\"true\"", "drop the quotes"},
    {"ledger_empty", one_job("output:\n  ledger: \"\"\n"), "\"\"", "is empty"},
    // ---- defaults
    {"id_in_defaults", one_job("defaults:\n  id: x\n"), "id: x", "ids belong to each job"},
    {"defaults_bad_image", one_job("defaults:\n  image_urls: [https://h.example/a.gif]\n"),
     "https://h.example/a.gif", "image URL"},
    {"defaults_not_a_mapping", one_job("defaults: [a]\n"), "[a]", "must be a mapping"},
    // ---- prompt
    {"prompt_too_long", one_job("    prompt: " + repeat("a", 5001) + "\n", false), "aaa",
     "prompt has 5001 characters; "
     "the limit is 5000"},
    {"prompt_too_long_multibyte", one_job("    prompt: " + repeat("\xC3\xA9", 5001) + "\n", false),
     "\xC3\xA9", "prompt has 5001 characters"},
    {"prompt_empty", one_job("    prompt: \"\"\n", false), "\"\"", "prompt is empty"},
    {"prompt_blank", one_job("    prompt: \"   \"\n", false), "\"   \"", "prompt is empty"},
    {"prompt_null", one_job("    prompt:\n", false), "prompt:", "prompt is empty"},
    {"prompt_missing", one_job("", false), "id: j", "has no prompt"},
    {"prompt_is_a_list", one_job("    prompt: [a, b]\n", false), "[a", "must be text"},
    {"model_not_offered", one_job("    model: kling-v2\n"), "kling-v2", "is not offered"},
    // ---- video
    {"video_missing", one_job("", true, false), "id: j", "has no video"},
    {"video_and_video_urls", one_job("    video_urls: [https://h.example/b.mp4]\n"), "[https",
     "either `video` or"},
    {"video_urls_empty", one_job("    video_urls: []\n", true, false), "[]", "video_urls is empty"},
    {"video_urls_two",
     one_job("    video_urls: [https://h.example/a.mp4, https://h.example/b.mp4]\n", true, false),
     "https://h.example/b.mp4", "has 2 URLs"},
    {"video_wrong_extension", one_job("    video: https://h.example/a.avi\n", true, false), "https",
     ".mp4/.mov"},
    {"video_no_extension", one_job("    video: https://h.example/mp4\n", true, false), "https", ".mp4/.mov"},
    {"video_ftp", one_job("    video: ftp://h.example/a.mp4\n", true, false), "ftp", "http or https"},
    {"video_no_host", one_job("    video: https:///a.mp4\n", true, false), "https", "no host"},
    {"video_with_space", one_job("    video: \"https://h.example/a b.mp4\"\n", true, false), "\"https",
     "not a valid URL"},
    {"video_not_text", one_job("    video: {url: x}\n", true, false), "{url", "must be text"},
    // ---- images
    {"five_images",
     one_job("    image_urls: [https://h.example/1.jpg, https://h.example/2.png, "
             "https://h.example/3.webp, https://h.example/4.jpeg, https://h.example/5.jpg]\n"),
     "https://h.example/5.jpg", "has 5 URLs; the limit is 4"},
    {"images_empty", one_job("    image_urls: []\n"), "[]", "image_urls is empty"},
    {"image_gif", one_job("    image_urls: [https://h.example/a.gif]\n"), "https://h.example/a.gif",
     ".jpg/.jpeg/.png/.webp"},
    {"images_not_a_list", one_job("    image_urls: https://h.example/a.jpg\n"), "https://h.example/a.jpg",
     "must be a list"},
    // ---- keep_original_sound
    {"sound_yes", one_job("    keep_original_sound: yes\n"), "yes", "write true instead of 'yes'"},
    {"sound_off", one_job("    keep_original_sound: off\n"), "off", "write false instead of 'off'"},
    {"sound_number", one_job("    keep_original_sound: 1\n"), "1\n", "true or false", 2},
    // ---- callback
    {"callback_http", callback("http://hooks.example.com/x"), "http://", "must use https"},
    {"callback_localhost", callback("https://localhost/x"), "https://localhost", "internal address"},
    {"callback_localhost_upper_dot", callback("https://LOCALHOST./x"), "https://LOCALHOST",
     "internal address"},
    {"callback_sub_localhost", callback("https://app.localhost/x"), "https://app", "internal address"},
    {"callback_loopback", callback("https://127.0.0.1/x"), "https://127", "internal address"},
    {"callback_loopback_short", callback("https://127.1/x"), "https://127", "internal address"},
    {"callback_loopback_decimal", callback("https://2130706433/x"), "https://2130706433", "internal address"},
    {"callback_loopback_hex", callback("https://0x7f.0.0.1/x"), "https://0x7f", "internal address"},
    {"callback_10", callback("https://10.1.2.3/x"), "https://10", "internal address"},
    {"callback_172_16", callback("https://172.16.5.4/x"), "https://172", "internal address"},
    {"callback_172_31", callback("https://172.31.255.1/x"), "https://172", "internal address"},
    {"callback_192_168", callback("https://192.168.1.1/x"), "https://192", "internal address"},
    {"callback_link_local", callback("https://169.254.169.254/latest"), "https://169", "internal address"},
    {"callback_cgnat", callback("https://100.64.0.1/x"), "https://100", "internal address"},
    {"callback_unspecified", callback("https://0.0.0.0/x"), "https://0", "internal address"},
    {"callback_ipv6_loopback", callback("https://[::1]/x"), "https://[", "internal address"},
    {"callback_ipv6_link_local", callback("https://[fe80::1]/x"), "https://[", "internal address"},
    {"callback_ipv6_unique_local", callback("https://[fd00::1]/x"), "https://[", "internal address"},
    {"callback_ipv4_mapped", callback("https://[::ffff:127.0.0.1]/x"), "https://[", "internal address"},
    {"callback_too_long", callback("https://hooks.example.com/" + repeat("a", 2049 - 26)), "https://hooks",
     "has 2049 characters; the limit is 2048"},
    {"callback_not_url", callback("\"https://hooks example.com/\""), "\"https", "not a valid URL"},
    // ---- ids
    {"id_with_space", "version: 1\njobs:\n  - id: a b\n    prompt: p\n    video: https://h.example/a.mp4\n",
     "a b", "not a valid job id"},
    {"id_too_long",
     "version: 1\ndefaults: {prompt: p}\njobs:\n  - id: " + repeat("x", 129) +
         "\n    video: https://h.example/a.mp4\n",
     "xxx", "not a valid job id"},
    {"id_null", "version: 1\ndefaults: {prompt: p}\njobs:\n  - id:\n    video: https://h.example/a.mp4\n",
     "id:\n", "must be text", 1},
    {"duplicate_explicit_ids",
     "version: 1\ndefaults: {prompt: p}\njobs:\n  - id: a\n    video: https://h.example/a.mp4\n"
     "  - id: a\n    video: https://h.example/b.mp4\n",
     "id: a", "already used by the job at line 4", 2},
    {"duplicate_derived_ids",
     "version: 1\ndefaults: {prompt: p}\nvideos:\n  - https://h.example/x/clip.mp4\n"
     "  - https://h.example/y/clip.mov\n",
     "https://h.example/y", "taken from the video file name"},
    {"derived_id_collides_with_explicit",
     "version: 1\ndefaults: {prompt: p}\njobs:\n  - id: clip\n"
     "    video: https://h.example/a.mp4\nvideos: [https://h.example/clip.mp4]\n",
     "https://h.example/clip.mp4", "already used by the job at line 4"},
    {"duplicate_id_of_a_job_with_errors",
     "version: 1\ndefaults: {prompt: p}\njobs:\n  - id: a\n"
     "    video: https://h.example/a.avi\n  - id: a\n    video: https://h.example/b.mp4\n",
     "id: a", "already used by the job at line 4", 2, 2},
    {"derived_id_of_a_job_with_errors",
     "version: 1\ndefaults: {prompt: p}\njobs:\n  - video: https://h.example/x/clip.mp4\n    prompt: ''\n"
     "videos: [https://h.example/clip.mov]\n",
     "https://h.example/clip.mov", "already used by the job at line 4", 1, 2},
    {"a_job_that_is_a_list_claims_no_id",
     "version: 1\ndefaults: {prompt: p, video: https://h.example/clip.mp4}\n"
     "jobs:\n  - [x]\n  - id: clip\n    video: https://h.example/b.mp4\n",
     "[x]", "must be a mapping"},
    {"job_key_misspelt", one_job("    promt: x\n"), "promt", "did you mean 'prompt'?"},
    {"job_key_twice", one_job("    prompt: again\n"), "prompt", "given twice", 2},
    {"job_unknown_key_no_near_match", one_job("    colour: red\n"), "colour", "the keys here are"},
    // ---- videos
    {"videos_not_a_list", "version: 1\ndefaults: {prompt: p}\nvideos: https://h.example/a.mp4\n", "https",
     "must be a list"},
    {"videos_item_mapping",
     "version: 1\ndefaults: {prompt: p}\nvideos:\n  - {url: https://h.example/a.mp4}\n", "{url",
     "each item must be text"},
    {"videos_bad_url",
     "version: 1\ndefaults: {prompt: p}\nvideos:\n  - https://h.example/a.mp4\n"
     "  - https://h.example/b.mkv\n",
     "https://h.example/b.mkv", ".mp4/.mov"},
    {"videos_need_a_prompt", "version: 1\nvideos:\n  - https://h.example/a.mp4\n", "https", "has no prompt"},
    // ---- nesting
    {"nesting_too_deep", "version: 1\nx: " + repeat("[", 70) + repeat("]", 70) + "\n", "[", "deeper than 64",
     64},
};

} // namespace

BOOST_AUTO_TEST_SUITE(manifest_validation)

BOOST_DATA_TEST_CASE(refuses_with_the_right_error_at_the_right_place, bdata::make(k_cases), c) {
    auto const r = evobatch::test::load_text(c.yaml);
    BOOST_TEST_INFO("diagnostics:\n" << evobatch::test::all_messages(r));
    BOOST_TEST(!r.ok());
    BOOST_TEST(evobatch::test::error_count(r) == c.errors);
    auto const at = c.at.empty() ? evobatch::util::TextPosition{0, 0} : evobatch::test::where(c.yaml, c.at, c.nth);
    BOOST_TEST_INFO("expected at " << at.line << ":" << at.column << ": " << c.part);
    if (c.name == std::string_view("unterminated_flow_list")) {
        // The parser reports where it gave up (the end of the input); the message names the '['.
        BOOST_TEST(std::any_of(r.diagnostics.begin(), r.diagnostics.end(),
                               [&](auto const& d) { return d.line == 3 && d.message.find(c.part) != std::string::npos; }));
    } else {
        BOOST_TEST(evobatch::test::has_error(r, at, c.part));
    }
}

BOOST_AUTO_TEST_SUITE_END()
