#pragma once
// Every task the simulator created (or reloaded), their credits and idempotency keys. Pure: no
// I/O, and the caller passes `now`. A task's status is a function of time (pending for the first 10% of its
// run, then processing, then completed or failed), so nothing runs in the background: settle()
// books the credits of the tasks that have ended by `now`.

#include "sim_clock.hpp"

#include "evobatch/api/task_list.hpp"
#include "evobatch/api/types.hpp"
#include "evobatch/sim/simulator.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace evobatch::sim {

struct TaskBookConfig {
    double time_scale = 1.0;
    std::optional<double> credits; // unset: unlimited
    int max_concurrent_tasks = 0;  // 0: unlimited
    double fail_ratio = 0;
    bool idempotency = true;
    std::string base_url;         // for result links, and to know URLs of its own media host
    std::uint64_t file_bytes = 0; // size of the result files of new tasks
    TaskIds task_ids = TaskIds::plain;
};

// A task's fixed facts, decided when it is created. A state file keeps all but `start`, which
// belongs to the process that holds the task.
struct TaskRecord {
    std::string id;
    std::optional<std::string> key; // the idempotency key it answers to, when keys are honoured
    std::string digest;             // SHA-256 of the create body: the same key with another body conflicts
    std::string video_url;
    std::int64_t created_ms = 0;            // unix milliseconds; `created` is its seconds
    int video_duration = 0;                 // seconds: a /media/ file's, else from a hash of the URL
    int estimated_time = 0;                 // seconds, as answered: on the scaled clock, at least 1
    std::int64_t cost = 0;                  // credits reserved
    std::uint64_t file_bytes = 0;           // size of its result file
    SteadyTime start;                       // created_ms on this process's steady clock
    std::chrono::nanoseconds run_time{0};   // real time to completion at the time scale
    std::chrono::nanoseconds ends_after{0}; // run_time, or sooner for a task that fails
    std::optional<api::TaskError> failure;
    bool foreign = false; // another client's (SimOptions::foreign_task_ratio): no credits here, never persisted
};

enum class CreateStatus : std::uint8_t { created, replayed, conflict, insufficient_credits, too_many_tasks };

struct CreateOutcome {
    CreateStatus status = CreateStatus::created;
    api::Task task;                          // created (as answered: pending, 0%) or replayed (now)
    std::optional<TaskRecord> record;        // created: the new task, not yet booked (TaskBook::add)
    std::int64_t cost = 0;                   // what the task costs (insufficient_credits)
    double balance = 0;                      // what was left (insufficient_credits)
    std::chrono::nanoseconds retry_after{0}; // until a running task ends (too_many_tasks)
};

// Money, as GET /v1/credits and the statistics report it.
struct CreditFigures {
    bool unlimited = false;
    double remaining = 0; // start - reserved - spent
    std::int64_t reserved = 0;
    std::int64_t spent = 0;
    std::int64_t refunded = 0;
};

inline constexpr double k_unlimited_balance = 1e9; // what an unlimited account reports as remaining

class TaskBook {
public:
    TaskBook(TaskBookConfig config, std::mt19937_64& rng);

    // Decides a create for a validated request: a new task unless the idempotency key, the
    // balance or the concurrency limit says otherwise (checked in that order). `digest` is the
    // body's SHA-256. A new task comes back in `record` and is not booked yet: the caller add()s
    // it once it is recorded wherever it must be before the answer; one never added was never
    // made (nothing reserved, its key unknown).
    CreateOutcome create(api::CreateRequest const& request, std::optional<std::string_view> key,
                         std::string_view digest, Now now);
    // Books a task: a new one from create(), or one reloaded from a state file (its `start` set
    // on this process's clock). Its credits are reserved until settle() sees it end.
    void add(TaskRecord record);
    // A task another client of the account makes at `now` (same account, another key): a
    // duration of its own, never failing. Booked by add(), it holds no credits or slot here.
    TaskRecord make_foreign(Now now);

    // One page of the account's tasks at `now` (GET /v1/tasks): filtered by `query`'s status
    // (`processing` includes pending), type and model; newest first by created second, then by
    // id; `page` from 1, `page_size` clamped to 1..api::k_max_list_page_size.
    api::TaskList list(api::ListQuery const& query, SteadyTime now);

    // The task as a query answers it at `now`; nothing for an unknown id.
    std::optional<api::Task> find(std::string_view id, SteadyTime now);
    // The size of the task's result file when it exists and has completed by `now`.
    std::optional<std::uint64_t> result_size(std::string_view id, SteadyTime now) const;

    void settle(SteadyTime now);
    CreditFigures credits(SteadyTime now);
    [[nodiscard]] std::uint64_t tasks_completed() const noexcept { return m_completed; }
    [[nodiscard]] std::uint64_t tasks_failed() const noexcept { return m_failed; }

    // The video duration (4..24 s) of a source not on this simulator's media host (whose files
    // have their own, source_media.hpp), and so what it costs: both follow from the URL alone.
    static int video_duration_of(std::string_view video_url) noexcept;

private:
    api::Task view(TaskRecord const& r, SteadyTime now) const;
    void schedule(TaskRecord& r); // its estimate and run time, from its video duration
    std::string new_task_id(std::int64_t unix_now);
    double balance() const noexcept;

    using Ending = std::pair<SteadyTime, std::size_t>; // when a task ends, which one

    TaskBookConfig m_config;
    std::mt19937_64& m_rng;
    std::vector<TaskRecord> m_tasks;
    std::unordered_map<std::string, std::size_t> m_by_id;
    std::unordered_map<std::string, std::size_t> m_by_key; // the task each honoured key made
    std::priority_queue<Ending, std::vector<Ending>, std::greater<>> m_running; // unsettled, soonest first
    std::int64_t m_reserved = 0;
    std::int64_t m_spent = 0;
    std::int64_t m_refunded = 0;
    std::uint64_t m_completed = 0;
    std::uint64_t m_failed = 0;
};

} // namespace evobatch::sim
