// Result downloads against the simulator's file server over real TLS: whole files, a file cut
// off halfway and continued with Range (and If-Range), gone links, the size cap; and a media
// host that lies (SimOptions::file_lies, issue 14): a file changed between ranges, a 206 of
// another file, an HTML page, a flipped bit under a true digest, bytes that are no video, no
// validator to resume against; parts of other tasks and URLs; planted symbolic links.

#include "common/temp_dir.hpp"
#include "integration/net/client_fixture.hpp"

#include "evobatch/download/downloader.hpp"
#include "evobatch/sim/file_content.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <vector>

using namespace evobatch;
using evobatch::test::ClientFixture;

namespace {

constexpr std::uint64_t k_file_bytes = 3 * 1024 * 1024 + 123; // not a multiple of any chunk size

sim::SimOptions file_sim(double cut_file_ratio = 0, std::vector<sim::FileLie> lies = {}, bool digests = false) {
    sim::SimOptions o;
    o.time_scale = 0.001; // tasks finish in well under a second
    o.file_bytes = k_file_bytes;
    o.cut_file_ratio = cut_file_ratio;
    o.file_lies = std::move(lies);
    o.file_digests = digests;
    return o;
}

download::DownloadOptions attempts(int n) {
    download::DownloadOptions o;
    o.max_attempts = n;
    return o;
}

struct DownloadFixture : ClientFixture {
    explicit DownloadFixture(sim::SimOptions o = file_sim()) : ClientFixture(std::move(o)) {}

    // A completed task's id and result URL; another key (and video) makes another task.
    std::pair<std::string, std::string>
    completed_task(std::string key = "download-test-key-0001",
                   std::string video = "https://cdn.example.com/clips/beach-01.mp4") {
        return run([&]() -> boost::asio::awaitable<std::pair<std::string, std::string>> {
            auto created = co_await api->create(test::sample_request(video), key);
            BOOST_REQUIRE(created.ok());
            boost::asio::steady_timer timer(io);
            for (int i = 0; i < 200; ++i) {
                auto task = co_await api->get_task(created.value->id);
                BOOST_REQUIRE(task.ok());
                if (task.value->status == api::TaskStatus::completed) {
                    BOOST_REQUIRE(!task.value->results.empty());
                    co_return std::pair{task.value->id, task.value->results.front()};
                }
                timer.expires_after(std::chrono::milliseconds(50));
                co_await timer.async_wait(boost::asio::use_awaitable);
            }
            BOOST_FAIL("the task did not complete");
            co_return std::pair{std::string(), std::string()};
        }());
    }

    download::DownloadResult fetch(std::string task, std::string url, std::filesystem::path target,
                                   download::DownloadOptions o = {}) {
        o.first_backoff = std::chrono::milliseconds(10);
        download::Downloader downloader(io.get_executor(), *tls, pool, o);
        auto result = run(downloader.fetch(std::move(task), std::move(url), std::move(target)));
        stats = downloader.stats();
        return result;
    }

    boost::asio::thread_pool pool{1};
    download::DownloadStats stats;
    test::TempDir dir;
};

std::string file_text(std::filesystem::path const& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::filesystem::path part_of(std::filesystem::path const& target) {
    return std::filesystem::path(target).concat(".part");
}

bool contains(std::string const& text, std::string_view what) {
    return text.find(what) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(downloader)

BOOST_AUTO_TEST_CASE(a_result_file_lands_whole_with_its_hash_and_no_part_file) {
    DownloadFixture f;
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "out" / "clip-1.mp4";
    auto const result = f.fetch(task, url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(result.bytes == k_file_bytes);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(task, k_file_bytes));
    BOOST_TEST(!result.resumed);
    BOOST_TEST(file_text(target) == sim::expected_file_bytes(task, k_file_bytes));
    BOOST_TEST(!std::filesystem::exists(target.string() + ".part"));
    BOOST_TEST(!std::filesystem::exists(target.string() + ".part.json"));
    BOOST_TEST(f.simulator.stats().file_requests_with_key == 0u); // the API key never goes to the media host
    BOOST_TEST(f.simulator.stats().file_requests == 1u);
}

BOOST_AUTO_TEST_CASE(a_download_cut_halfway_continues_with_a_range_request) {
    DownloadFixture f(file_sim(1.0)); // every whole-file answer is cut at half
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "clip-2.mp4";
    auto const result = f.fetch(task, url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(result.resumed);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(task, k_file_bytes));
    auto const sim_stats = f.simulator.stats();
    BOOST_TEST(sim_stats.cut_downloads == 1u);
    BOOST_TEST(sim_stats.count(206) == 1u);
    BOOST_TEST(sim_stats.file_ranges_with_if_range == 1u); // the range names the file it continues
    BOOST_TEST(f.stats.resumes == 1u);
    // Half the file came twice at most: the second request asked only for the rest.
    BOOST_TEST(f.stats.bytes < k_file_bytes + k_file_bytes / 2 + 256 * 1024);
}

BOOST_AUTO_TEST_CASE(a_part_left_by_an_earlier_run_is_continued_with_if_range) {
    DownloadFixture f(file_sim(1.0)); // the whole-file answer is cut at half
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "clip-3.mp4";
    auto const first = f.fetch(task, url, target, attempts(1)); // a run that ended after the cut
    BOOST_TEST_REQUIRE(!first.ok);
    BOOST_TEST(std::filesystem::file_size(part_of(target)) == k_file_bytes / 2);
    auto const result = f.fetch(task, url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(result.resumed);
    BOOST_TEST(f.stats.bytes == k_file_bytes - k_file_bytes / 2);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(task, k_file_bytes));
    auto const s = f.simulator.stats();
    BOOST_TEST(s.file_ranges == 1u);
    BOOST_TEST(s.file_ranges_with_if_range == 1u);
    BOOST_TEST(s.count(206) == 1u);
}

BOOST_AUTO_TEST_CASE(a_part_of_another_task_is_never_continued) {
    DownloadFixture f;
    auto const [old_task, old_url] = f.completed_task("download-test-key-0001", "https://cdn.example.com/a.mp4");
    auto const [task, url] = f.completed_task("download-test-key-0002", "https://cdn.example.com/b.mp4");
    BOOST_TEST_REQUIRE(old_task != task);
    auto const target = f.dir.path() / "job-00068.mp4";
    // What a killed run left of the old task's file (kill -9, then the job's task changed).
    f.dir.write("job-00068.mp4.part", sim::expected_file_bytes(old_task, 2 * 1024 * 1024));
    auto const result = f.fetch(task, url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(!result.resumed);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(task, k_file_bytes));
    BOOST_TEST((file_text(target) == sim::expected_file_bytes(task, k_file_bytes)));
    BOOST_TEST(f.simulator.stats().file_ranges == 0u);
    BOOST_TEST(!std::filesystem::exists(part_of(target)));
}

BOOST_AUTO_TEST_CASE(a_part_recorded_for_another_task_or_url_is_started_over) {
    DownloadFixture f(file_sim(1.0));
    auto const [old_task, old_url] = f.completed_task("download-test-key-0001", "https://cdn.example.com/a.mp4");
    auto const [task, url] = f.completed_task("download-test-key-0002", "https://cdn.example.com/b.mp4");
    auto const target = f.dir.path() / "clip.mp4";
    // A real part with its record, cut off halfway, of the old task; then of this task's URL.
    BOOST_TEST_REQUIRE(!f.fetch(old_task, old_url, target, attempts(1)).ok);
    BOOST_TEST_REQUIRE(std::filesystem::file_size(part_of(target)) == k_file_bytes / 2);
    auto const other_task = f.fetch(task, url, target, attempts(1)); // cut again, but not continued
    BOOST_TEST(!other_task.ok);
    BOOST_TEST(f.simulator.stats().file_ranges == 0u);
    // Another URL of the same task (a link signed anew): the same file, perhaps, but not known to be.
    std::string const signed_again = url + "?signature=2";
    BOOST_TEST(!f.fetch(task, signed_again, target, attempts(1)).ok);
    BOOST_TEST(f.simulator.stats().file_ranges == 0u);
    // Its own part, with its own record, is continued.
    auto const result = f.fetch(task, signed_again, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(result.resumed);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(task, k_file_bytes));
    BOOST_TEST(f.simulator.stats().file_ranges == 1u);
}

BOOST_AUTO_TEST_CASE(a_file_changed_between_ranges_is_downloaded_again_whole) {
    DownloadFixture f(file_sim(0, {sim::FileLie::changes})); // cut at half, then other bytes, new ETag
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "changed.mp4";
    auto const result = f.fetch(task, url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(!result.resumed);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(sim::changed_file_key(task, 1), k_file_bytes));
    BOOST_TEST((file_text(target) == sim::expected_file_bytes(sim::changed_file_key(task, 1), k_file_bytes)));
    auto const s = f.simulator.stats();
    BOOST_TEST(s.file_ranges == 1u);
    BOOST_TEST(s.file_ranges_with_if_range == 1u); // which is why the server sent the whole new file
    BOOST_TEST(s.count(206) == 0u);
}

BOOST_AUTO_TEST_CASE(a_206_of_another_file_is_refused_and_the_file_started_over) {
    // The server ignores If-Range and sends the rest of the changed file, under its new ETag.
    DownloadFixture f(file_sim(0, {sim::FileLie::changes, sim::FileLie::ignores_if_range}));
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "spliced.mp4";
    auto const result = f.fetch(task, url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(!result.resumed);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(sim::changed_file_key(task, 1), k_file_bytes));
    BOOST_TEST(f.stats.rejected == 1u);
    BOOST_TEST(f.simulator.stats().count(206) == 1u);
}

BOOST_AUTO_TEST_CASE(a_file_changed_under_the_same_etag_is_caught_by_its_digest) {
    // The worst liar: the changed file keeps its ETag, so If-Range matches and the 206 looks
    // right; only the declared SHA-256 of the whole file shows that the halves do not belong.
    DownloadFixture f(file_sim(0, {sim::FileLie::changes, sim::FileLie::keeps_etag}, true));
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "same-etag.mp4";
    auto const result = f.fetch(task, url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(sim::changed_file_key(task, 1), k_file_bytes));
    BOOST_TEST(f.stats.rejected == 1u);
    BOOST_TEST(f.stats.resumes == 0u); // the resumed attempt was refused; the whole file came next
    BOOST_TEST(f.simulator.stats().count(206) == 1u);
}

BOOST_AUTO_TEST_CASE(without_a_validator_a_cut_download_is_never_resumed) {
    DownloadFixture f(file_sim(1.0, {sim::FileLie::no_validator})); // every whole answer is cut
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "no-etag.mp4";
    auto const result = f.fetch(task, url, target, attempts(2));
    BOOST_TEST(!result.ok);
    BOOST_TEST(!std::filesystem::exists(target));
    auto const s = f.simulator.stats();
    BOOST_TEST(s.file_requests == 2u);
    BOOST_TEST(s.file_ranges == 0u); // each attempt asked for the whole file
    BOOST_TEST(!std::filesystem::exists(target.string() + ".part.json"));
}

BOOST_AUTO_TEST_CASE(an_html_page_is_not_a_result) {
    DownloadFixture f(file_sim(0, {sim::FileLie::html}));
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "page.mp4";
    auto const result = f.fetch(task, url, target, attempts(2));
    BOOST_TEST(!result.ok);
    BOOST_TEST(!result.expired);
    BOOST_TEST(contains(result.error, "text/html"), result.error);
    BOOST_TEST(f.stats.rejected == 2u); // retried like any failure
    BOOST_TEST(!std::filesystem::exists(target));
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_is_caught_by_the_declared_digest) {
    DownloadFixture f(file_sim(0, {sim::FileLie::flipped_bit}));
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "flipped.mp4";
    auto const result = f.fetch(task, url, target, attempts(2));
    BOOST_TEST(!result.ok);
    BOOST_TEST(contains(result.error, sim::expected_file_sha256(task, k_file_bytes)), result.error);
    BOOST_TEST(f.stats.rejected == 2u);
    BOOST_TEST(!std::filesystem::exists(target));
}

BOOST_AUTO_TEST_CASE(a_true_digest_is_accepted) {
    DownloadFixture f(file_sim(1.0, {}, true)); // cut and resumed: the digests cover the whole file
    auto const [task, url] = f.completed_task();
    auto const result = f.fetch(task, url, f.dir.path() / "true.mp4");
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(result.resumed);
    BOOST_TEST(f.stats.rejected == 0u);
}

BOOST_AUTO_TEST_CASE(bytes_that_do_not_start_like_a_video_are_refused) {
    DownloadFixture f(file_sim(0, {sim::FileLie::not_a_video}));
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "noise.mp4";
    auto const result = f.fetch(task, url, target, attempts(1));
    BOOST_TEST(!result.ok);
    BOOST_TEST(contains(result.error, "does not start like a .mp4 video"), result.error);
    BOOST_TEST(!std::filesystem::exists(target));
    // Unknown extensions are not judged by their first bytes.
    auto const other = f.fetch(task, url, f.dir.path() / "noise.bin", attempts(1));
    BOOST_TEST(other.ok, other.error);
}

BOOST_AUTO_TEST_CASE(a_symlink_planted_as_the_part_is_refused_and_its_victim_untouched) {
    DownloadFixture f;
    auto const [task, url] = f.completed_task();
    auto const victim = f.dir.write("elsewhere/victim.txt", "precious");
    auto const target = f.dir.path() / "out" / "job-00001.mp4";
    std::filesystem::create_directories(target.parent_path());
    for (auto const& planted : {part_of(target), std::filesystem::path(target.string() + ".part.json")}) {
        BOOST_TEST_CONTEXT(planted) {
            std::filesystem::create_symlink(victim, planted);
            auto const result = f.fetch(task, url, target);
            BOOST_TEST(!result.ok);
            BOOST_TEST(contains(result.error, planted.string()), result.error);
            BOOST_TEST(contains(result.error, "symbolic link"), result.error);
            BOOST_TEST((file_text(victim) == "precious"));
            BOOST_TEST(std::filesystem::is_symlink(planted)); // left for its owner to look at
            BOOST_TEST(!std::filesystem::exists(std::filesystem::symlink_status(target)));
            std::filesystem::remove(planted);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_symlink_planted_as_the_result_is_refused_and_its_victim_untouched) {
    DownloadFixture f;
    auto const [task, url] = f.completed_task();
    auto const victim = f.dir.write("elsewhere/victim.txt", "precious");
    auto const target = f.dir.path() / "job-00002.mp4";
    std::filesystem::create_symlink(victim, target);
    auto const result = f.fetch(task, url, target);
    BOOST_TEST(!result.ok);
    BOOST_TEST(contains(result.error, target.string()), result.error);
    BOOST_TEST((file_text(victim) == "precious"));
    BOOST_TEST(std::filesystem::is_symlink(target));
    BOOST_TEST(f.simulator.stats().file_requests == 0u); // refused before a byte was fetched
}

BOOST_AUTO_TEST_CASE(a_gone_link_is_reported_expired_without_retries) {
    DownloadFixture f;
    auto const result = f.fetch("task-unified-1700000000-gone0001",
                                f.simulator.base_url() + "/files/task-unified-1700000000-gone0001/0.mp4",
                                f.dir.path() / "gone.mp4");
    BOOST_TEST(!result.ok);
    BOOST_TEST(result.expired);
    BOOST_TEST(f.stats.attempts == 1u);
    BOOST_TEST(!std::filesystem::exists(f.dir.path() / "gone.mp4"));
}

BOOST_AUTO_TEST_CASE(a_file_above_the_cap_is_refused) {
    DownloadFixture f;
    auto const [task, url] = f.completed_task();
    download::DownloadOptions o;
    o.max_bytes = 1024 * 1024;
    auto const result = f.fetch(task, url, f.dir.path() / "big.mp4", o);
    BOOST_TEST(!result.ok);
    BOOST_TEST(result.error.find("cap") != std::string::npos, result.error);
    BOOST_TEST(!std::filesystem::exists(f.dir.path() / "big.mp4"));
}

// stop() ends a download at once, partial file kept: even when it breaks off a body (a failed
// attempt), no back-off is waited out first (a Ctrl-C must not wait up to 10 s per download).
BOOST_AUTO_TEST_CASE(a_stopped_download_ends_without_backing_off) {
    auto o = file_sim();
    o.file_bytes = 256ull << 20; // still arriving when stop() comes
    DownloadFixture f(o);
    // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
    std::pair<std::string, std::string> const completed = f.completed_task();
    std::string const& task = completed.first;
    std::string const& url = completed.second;
    download::DownloadOptions options;
    options.first_backoff = std::chrono::seconds(5);
    download::Downloader downloader(f.io.get_executor(), *f.tls, f.pool, options);
    auto const target = f.dir.path() / "stopped.mp4";
    std::chrono::steady_clock::time_point stopped_at;
    auto const result = f.run([&]() -> boost::asio::awaitable<download::DownloadResult> {
        boost::asio::steady_timer timer(f.io, std::chrono::milliseconds(200));
        timer.async_wait([&](boost::system::error_code) {
            stopped_at = std::chrono::steady_clock::now();
            downloader.stop();
        });
        co_return co_await downloader.fetch(task, url, target);
    }());
    auto const took = std::chrono::steady_clock::now() - stopped_at;
    BOOST_TEST(!result.ok);
    BOOST_TEST(result.error == "stopped; the partial file is kept for the next run");
    BOOST_TEST(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 2000);
    BOOST_TEST(!std::filesystem::exists(target));
}

BOOST_AUTO_TEST_SUITE_END()
