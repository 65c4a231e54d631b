#pragma once
// Task ids as a server hands them out: which ones a client can use, and how one goes into a
// URL path. api.md only says ids start with `task-unified-`; a server may send anything. Pure.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::api {

inline constexpr std::size_t k_max_task_id_bytes = 256;

// Why `id` cannot name a task, or nothing when it can (then task_path_segment() carries it
// safely). Refused: the empty id and the dot segments "." and ".." (URL normalisation removes
// them, so GET /v1/tasks/.. would read another resource), ids longer than k_max_task_id_bytes,
// ill-formed UTF-8, and control characters (C0, DEL, C1): no real id holds them, and on a
// terminal or in a support request they would act or be lost. The words fit "the task id ...".
std::optional<std::string_view> task_id_problem(std::string_view id) noexcept;

// `id` percent-encoded (Boost.URL) as one URL path segment: every byte outside
// [A-Za-z0-9-._~] becomes %XX, so '/', '%', '?', '#', spaces and non-ASCII bytes stay inside it.
std::string task_path_segment(std::string_view id);

} // namespace evobatch::api
