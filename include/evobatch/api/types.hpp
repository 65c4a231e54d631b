#pragma once
// The Evolink task API's requests and responses (api.md), as plain types. The client and the
// simulator share them; JSON conversions live in api/json.hpp.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::api {

// `pending`/`processing` are documented; `cancelled` is what Evolink's own clients treat as
// terminal; anything else is kept as `unknown` with its text (never looped on quickly).
enum class TaskStatus : std::uint8_t { pending, processing, completed, failed, cancelled, unknown };

std::string_view to_string(TaskStatus status) noexcept;
TaskStatus parse_task_status(std::string_view text) noexcept;
constexpr bool is_terminal(TaskStatus s) noexcept {
    return s == TaskStatus::completed || s == TaskStatus::failed || s == TaskStatus::cancelled;
}

struct CreateRequest {
    std::string model;
    std::string prompt;
    std::vector<std::string> video_urls;
    std::vector<std::string> image_urls; // empty: not sent
    std::optional<bool> keep_original_sound;
    std::optional<std::string> callback_url;
};

struct TaskError {
    std::string code;
    std::string message;
    std::string type;
};

struct Task {
    std::string id;
    std::string model;
    TaskStatus status = TaskStatus::unknown;
    std::string status_text; // as the server wrote it (kept for unknown statuses)
    int progress = 0;        // 0..100
    std::int64_t created = 0;
    std::optional<int> estimated_time; // seconds, task_info.estimated_time
    std::optional<int> video_duration; // seconds, task_info.video_duration
    std::optional<std::int64_t> credits_reserved;
    std::optional<std::int64_t> credits_used;
    std::vector<std::string> results; // `results` and `result_data[].video_url`, merged, no duplicates
    std::optional<TaskError> error;
};

struct Credits {
    double remaining = 0; // data.token.remaining_credits: what this key may still spend
    double used = 0;
    bool unlimited = false;
    std::optional<double> user_remaining; // data.user.remaining_credits: the account's balance
};

// The `error` object of an error answer. `code` may be a string or an integer on the wire.
struct ErrorBody {
    std::string code;
    std::string message;
    std::string type;
    std::string param;
};

struct BatchReadRequest {
    std::vector<std::string> task_ids; // at most k_max_batch_read
};

inline constexpr std::size_t k_max_batch_read = 50;
inline constexpr std::string_view k_task_id_prefix = "task-unified-";

} // namespace evobatch::api
