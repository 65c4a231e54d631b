#pragma once
// The account's task list, GET /v1/tasks?status=&type=&model=&page=&page_size= (api.md "Other
// endpoints"; undocumented, so read defensively). Items name no job by themselves: they carry
// no prompt, video or result link, only id, times, status, the clip's seconds and credits.
// Pure: no I/O.

#include "evobatch/api/types.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::api {

inline constexpr int k_default_list_page_size = 20;
inline constexpr int k_max_list_page_size = 100;

// One page's question. Unset filters are not sent. `status` takes `processing` (queued tasks
// included), `completed`, `failed`, `cancelled`; `page` is 1-based.
struct ListQuery {
    std::optional<std::string> status;
    std::optional<std::string> type;
    std::optional<std::string> model;
    int page = 1;
    int page_size = k_default_list_page_size;
};

// The query string of `query`, every value percent-encoded (Boost.URL): "?page=1&page_size=20".
std::string list_query_string(ListQuery const& query);

struct ListedTask {
    std::string id; // passed task_id_problem()
    std::string model;
    std::string type;
    TaskStatus status = TaskStatus::unknown;
    std::string status_text; // as the server wrote it (kept for unknown statuses)
    int progress = 0;        // 0..100
    std::int64_t created_at = 0; // unix seconds
    std::optional<double> duration; // the source clip's seconds
    std::optional<bool> has_results;
    std::optional<int> result_count;
    std::optional<bool> has_error;
    std::optional<std::int64_t> credits_used;
};

// An item whose id no client can use (task_id_problem()): reported, never trusted. `id` is the
// server's text as sent; print it only through util::clean_text.
struct UnusableListedTask {
    std::size_t index = 0; // position in `data`
    std::string id;
    std::string problem; // fits "the task id ..."
};

struct TaskList {
    std::vector<ListedTask> tasks; // in the server's order (newest first)
    std::vector<UnusableListedTask> unusable;
    std::optional<std::int64_t> total; // over every page; absent when the server left it out
    std::optional<int> page;
    std::optional<int> page_size;

    // Items the page held, usable or not: fewer than the page size means the last page.
    [[nodiscard]] std::size_t items() const noexcept { return tasks.size() + unusable.size(); }
};

// Why a page could not be read, in words that name the place: "data[2].created_at is not a number".
struct TaskListError {
    std::string what;
    [[nodiscard]] std::string const& message() const noexcept { return what; }
};

// Reads a whole answer body. Unknown fields are ignored and an absent optional field stays
// absent; `model`, `type` and `progress` default to empty and 0 as in a task. Errors: a body
// that is not JSON or not an object, `data` absent or not an array, an item that is not an
// object or lacks `id`, `status` or `created_at`, any field of the wrong type.
boost::system::result<TaskList, TaskListError> parse_task_list_page(std::string_view body);

// The answer body for `page` as the API writes it (the simulator's; `unusable` is not written).
std::string to_json_text(TaskList const& page);

} // namespace evobatch::api
