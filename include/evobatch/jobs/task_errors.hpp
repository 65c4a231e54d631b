#pragma once
// What a failed task's error.code (api.md, "Failed-task codes") says about submitting it again.

#include <string_view>

namespace evobatch::jobs {

// False for the codes that blame the input (content_policy_violation, invalid_parameters,
// image_processing_error, image_dimension_mismatch, request_cancelled, resource_not_found):
// the same request would fail again and cost again. True for every other code, unknown and
// empty ones included: api.md lists transient causes and new codes appear without notice.
bool is_retryable_task_error(std::string_view code) noexcept;

} // namespace evobatch::jobs
