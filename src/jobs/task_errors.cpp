#include "evobatch/jobs/task_errors.hpp"

#include <algorithm>
#include <array>

namespace evobatch::jobs {

namespace {

constexpr std::array<std::string_view, 6> k_input_errors = {
    "content_policy_violation", "invalid_parameters", "image_processing_error",
    "image_dimension_mismatch", "request_cancelled",  "resource_not_found"};

} // namespace

bool is_retryable_task_error(std::string_view code) noexcept {
    return std::find(k_input_errors.begin(), k_input_errors.end(), code) == k_input_errors.end();
}

} // namespace evobatch::jobs
