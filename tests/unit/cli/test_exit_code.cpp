// A run's exit code (design.md): the scheduler reports facts, the command line alone turns them
// into 0, 1, 3 or 4. The worst fact wins: stopped by the API, then anything left to resume,
// then jobs that need a person.

#include "evobatch/cli/exit_code.hpp"
#include "evobatch/progress/summary.hpp"

#include <boost/test/unit_test.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

using namespace evobatch;
using cli::exit_code_of;

BOOST_AUTO_TEST_SUITE(exit_codes)

BOOST_AUTO_TEST_CASE(every_job_completed_is_0) {
    progress::Summary o;
    o.total = o.completed = 5;
    BOOST_TEST(exit_code_of(o) == cli::exit_ok);
}

BOOST_AUTO_TEST_CASE(each_fact_alone_gives_its_code) {
    std::vector<std::pair<std::function<void(progress::Summary&)>, cli::ExitCode>> const facts = {
        {[](auto& o) { o.failed = 1; }, cli::exit_jobs_failed},
        {[](auto& o) { o.uncertain = 1; }, cli::exit_jobs_failed},
        {[](auto& o) { o.expired = 1; }, cli::exit_jobs_failed},
        {[](auto& o) { o.held = 1; }, cli::exit_jobs_failed},
        {[](auto& o) { o.interrupted = true; }, cli::exit_interrupted},
        {[](auto& o) { o.unsubmitted = 1; }, cli::exit_interrupted},
        {[](auto& o) { o.running = 1; }, cli::exit_interrupted},
        {[](auto& o) { o.download_failed = 1; }, cli::exit_interrupted},
        {[](auto& o) { o.api_stopped = true; }, cli::exit_api_stopped},
    };
    for (std::size_t i = 0; i < facts.size(); ++i) {
        progress::Summary o;
        facts[i].first(o);
        BOOST_TEST_INFO("fact " << i);
        BOOST_TEST(exit_code_of(o) == facts[i].second);
    }
}

BOOST_AUTO_TEST_CASE(the_worst_fact_wins) {
    progress::Summary o;
    o.failed = 3;
    o.running = 1; // something left for the next run outranks failed jobs
    BOOST_TEST(exit_code_of(o) == cli::exit_interrupted);
    o.api_stopped = true; // and the API's refusal outranks both
    BOOST_TEST(exit_code_of(o) == cli::exit_api_stopped);
}

BOOST_AUTO_TEST_SUITE_END()
