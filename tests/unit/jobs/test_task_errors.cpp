#include "evobatch/jobs/task_errors.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <string_view>

using namespace evobatch::jobs;
namespace data = boost::unit_test::data;

namespace {

// api.md, "Failed-task error.codes, by what to do".
char const* const k_input_codes[] = {"content_policy_violation", "invalid_parameters",
                                     "image_processing_error",   "image_dimension_mismatch",
                                     "request_cancelled",        "resource_not_found"};
char const* const k_transient_codes[] = {"generation_failed_no_content",
                                         "service_error",
                                         "generation_timeout",
                                         "resource_exhausted",
                                         "quota_exceeded",
                                         "service_unavailable",
                                         "unknown_error",
                                         "a_code_from_next_year",
                                         "",
                                         "CONTENT_POLICY_VIOLATION",
                                         "content_policy_violation "};

} // namespace

BOOST_AUTO_TEST_SUITE(task_errors)

BOOST_DATA_TEST_CASE(input_errors_are_not_retried, data::make(k_input_codes), code) {
    BOOST_TEST(!is_retryable_task_error(std::string_view(code)));
}

BOOST_DATA_TEST_CASE(everything_else_is_retried, data::make(k_transient_codes), code) {
    BOOST_TEST(is_retryable_task_error(std::string_view(code)));
}

BOOST_AUTO_TEST_SUITE_END()
