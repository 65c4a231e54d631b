// Result downloads against the simulator's file server over real TLS: whole files, a file cut
// off halfway and continued with Range, gone links, and the size cap.

#include "common/temp_dir.hpp"
#include "integration/net/client_fixture.hpp"

#include "evobatch/download/downloader.hpp"
#include "evobatch/sim/file_content.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>

using namespace evobatch;
using evobatch::test::ClientFixture;

namespace {

constexpr std::uint64_t k_file_bytes = 3 * 1024 * 1024 + 123; // not a multiple of any chunk size

sim::SimOptions file_sim(double cut_file_ratio = 0) {
    sim::SimOptions o;
    o.time_scale = 0.001; // tasks finish in well under a second
    o.file_bytes = k_file_bytes;
    o.cut_file_ratio = cut_file_ratio;
    return o;
}

struct DownloadFixture : ClientFixture {
    explicit DownloadFixture(sim::SimOptions o = file_sim()) : ClientFixture(std::move(o)) {}

    // A completed task's id and result URL.
    std::pair<std::string, std::string> completed_task() {
        return run([this]() -> boost::asio::awaitable<std::pair<std::string, std::string>> {
            auto created = co_await api->create(test::sample_request(), "download-test-key-0001");
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

    download::DownloadResult fetch(std::string url, std::filesystem::path target, download::DownloadOptions o = {}) {
        o.first_backoff = std::chrono::milliseconds(10);
        download::Downloader downloader(io.get_executor(), *tls, pool, o);
        auto result = run(downloader.fetch(std::move(url), std::move(target)));
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

} // namespace

BOOST_AUTO_TEST_SUITE(downloader)

BOOST_AUTO_TEST_CASE(a_result_file_lands_whole_with_its_hash_and_no_part_file) {
    DownloadFixture f;
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "out" / "clip-1.mp4";
    auto const result = f.fetch(url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(result.bytes == k_file_bytes);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(task, k_file_bytes));
    BOOST_TEST(!result.resumed);
    BOOST_TEST(file_text(target) == sim::expected_file_bytes(task, k_file_bytes));
    BOOST_TEST(!std::filesystem::exists(target.string() + ".part"));
    BOOST_TEST(f.simulator.stats().file_requests_with_key == 0u); // the API key never goes to the media host
    BOOST_TEST(f.simulator.stats().file_requests == 1u);
}

BOOST_AUTO_TEST_CASE(a_download_cut_halfway_continues_with_a_range_request) {
    DownloadFixture f(file_sim(1.0)); // every whole-file answer is cut at half
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "clip-2.mp4";
    auto const result = f.fetch(url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(result.resumed);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(task, k_file_bytes));
    auto const sim_stats = f.simulator.stats();
    BOOST_TEST(sim_stats.cut_downloads == 1u);
    BOOST_TEST(sim_stats.count(206) == 1u);
    BOOST_TEST(f.stats.resumes == 1u);
    // Half the file came twice at most: the second request asked only for the rest.
    BOOST_TEST(f.stats.bytes < k_file_bytes + k_file_bytes / 2 + 256 * 1024);
}

BOOST_AUTO_TEST_CASE(a_part_left_by_an_earlier_run_is_continued) {
    DownloadFixture f;
    auto const [task, url] = f.completed_task();
    auto const target = f.dir.path() / "clip-3.mp4";
    {
        std::ofstream part(target.string() + ".part", std::ios::binary);
        part << sim::expected_file_bytes(task, 1000);
    }
    auto const result = f.fetch(url, target);
    BOOST_TEST_REQUIRE(result.ok, result.error);
    BOOST_TEST(result.resumed);
    BOOST_TEST(f.stats.bytes == k_file_bytes - 1000);
    BOOST_TEST(result.sha256 == sim::expected_file_sha256(task, k_file_bytes));
}

BOOST_AUTO_TEST_CASE(a_gone_link_is_reported_expired_without_retries) {
    DownloadFixture f;
    auto const result = f.fetch(f.simulator.base_url() + "/files/task-unified-1700000000-gone0001/0.mp4",
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
    auto const result = f.fetch(url, f.dir.path() / "big.mp4", o);
    BOOST_TEST(!result.ok);
    BOOST_TEST(result.error.find("cap") != std::string::npos, result.error);
    BOOST_TEST(!std::filesystem::exists(f.dir.path() / "big.mp4"));
}

BOOST_AUTO_TEST_SUITE_END()
