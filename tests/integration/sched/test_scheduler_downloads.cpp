// The batch run end to end, its result downloads: fetched while the batch goes on, planted links
// refused, a lying media host never recorded as a result.

#include "integration/sched/batch_fixture.hpp"

#include "evobatch/cli/exit_code.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/sim/file_content.hpp"
#include "evobatch/jobs/task_errors.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <set>

using namespace evobatch;
namespace bdata = boost::unit_test::data;
using evobatch::test::BatchOptions;
using evobatch::test::count_events;
using evobatch::test::run_batch;
using ledger::EventType;

BOOST_AUTO_TEST_SUITE(scheduler)

BOOST_AUTO_TEST_CASE(results_are_downloaded_while_the_batch_goes_on) {
    BatchOptions o;
    o.jobs = 30;
    o.sim.file_bytes = 200 * 1024;
    o.limits.requests_per_second = 10; // submitting takes ~3 s; the first tasks finish before that
    o.limits.max_in_flight = 30;
    o.limits.max_credits = 1'000'000;
    o.downloads = true;
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed == 30u);
    BOOST_TEST(run.outcome.downloaded == 30u);
    BOOST_TEST(cli::exit_code_of(run.outcome) == cli::exit_ok);
    BOOST_TEST(run.file_sha256.size() == 30u);
    std::int64_t first_download = std::numeric_limits<std::int64_t>::max();
    std::int64_t last_submit = 0;
    std::map<std::string, std::string> task_of;
    for (auto const& e : run.events) {
        if (e.type == EventType::submitted) {
            last_submit = std::max(last_submit, e.t_ms);
            task_of[e.job] = *e.task;
        } else if (e.type == EventType::downloaded) {
            first_download = std::min(first_download, e.t_ms);
            BOOST_TEST_INFO(e.job);
            auto const name = std::filesystem::path(*e.file).filename().string();
            BOOST_TEST(name == e.job + ".mp4");
            BOOST_TEST(*e.bytes == 200u * 1024u);
            BOOST_TEST(*e.sha256 == run.file_sha256.at(name)); // the ledger's hash is the file's
            BOOST_TEST(*e.sha256 == sim::expected_file_sha256(task_of.at(e.job), 200 * 1024)); // and the server's bytes
        }
    }
    BOOST_TEST(first_download < last_submit); // not at the end: as soon as a task completes
    BOOST_TEST(run.stats.file_requests_with_key == 0u);
}

// Issue 14: a `downloaded` event vouches for a file; never for one a planted link points at,
// nor for bytes a lying media host sent.
BOOST_AUTO_TEST_CASE(planted_links_are_refused_and_never_recorded_as_results) {
    test::TempDir elsewhere;
    auto const victim = elsewhere.write("victim.txt", "precious");
    BatchOptions o;
    o.jobs = 6;
    o.sim.file_bytes = 64 * 1024;
    o.limits.max_credits = 1'000'000;
    o.downloads = true;
    o.before_run = [&](std::filesystem::path const& out) {
        std::filesystem::create_symlink(victim, out / "job-0.mp4");      // where a result goes
        std::filesystem::create_symlink(victim, out / "job-1.mp4.part"); // where its part goes
    };
    auto const run = run_batch(o);
    BOOST_TEST(run.outcome.completed == 6u);
    BOOST_TEST(run.outcome.downloaded == 4u);
    std::map<std::string, std::string> task_of;
    for (auto const& e : run.events) {
        if (e.type == EventType::submitted) {
            task_of[e.job] = *e.task;
        } else if (e.type == EventType::downloaded) {
            BOOST_TEST_INFO(e.job);
            BOOST_TEST((e.job != "job-0" && e.job != "job-1"));
            BOOST_TEST(*e.sha256 == sim::expected_file_sha256(task_of.at(e.job), 64 * 1024));
        }
    }
    std::ifstream in(victim);
    BOOST_TEST((std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()) == "precious"));
}

BOOST_AUTO_TEST_CASE(a_lying_media_host_gets_no_downloaded_event) {
    for (auto const lie : {sim::FileLie::flipped_bit, sim::FileLie::html, sim::FileLie::not_a_video}) {
        BOOST_TEST_CONTEXT(sim::to_string(lie)) {
            BatchOptions o;
            o.jobs = 4;
            o.sim.file_bytes = 64 * 1024;
            o.sim.file_lies = {lie};
            o.limits.max_credits = 1'000'000;
            o.downloads = true;
            o.download_options.first_backoff = std::chrono::milliseconds(10);
            o.download_options.max_attempts = 2;
            auto const run = run_batch(o);
            BOOST_TEST(run.outcome.completed == 4u);
            BOOST_TEST(run.outcome.downloaded == 0u);
            BOOST_TEST(count_events(run, EventType::downloaded) == 0u);
            for (auto const& [name, sha256] : run.file_sha256) {
                BOOST_TEST(name.ends_with(".part"), name); // nothing made it into a result's name
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
