#pragma once
// The run's jobs, and the one place a job moves between states (after Boost.MySQL's
// connection node `set_status`): JobTable::set_state keeps the in-flight and submitting
// counts, the per-state counts, the submission queue and the credit reservation true to the
// states. No other code writes a job's state, those counters or the budget. Pure, no I/O;
// single-threaded. The table of moves is in ARCHITECTURE.md ("A job's states") and walked
// whole by tests/unit/sched/test_job_table.cpp.

#include "job_record.hpp"

#include "evobatch/sched/credit_budget.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace evobatch::sched::detail {

// What leaving `submitting` for `unsubmitted` does with the job's worst case.
enum class Reservation {
    release, // certainly no task: the worst case goes back
    keep,    // a create under its key may have made a task: it stays counted
};

class JobTable {
public:
    // `ceiling`: limits.max_credits; `carried`: what the ledger's tasks were charged, hold or may
    // cost (counted even beyond the ceiling: then nothing new fits).
    JobTable(std::int64_t ceiling, std::int64_t carried);

    // Adds a job in `state`: queued (to the back of the queue), running (in flight; its
    // credits are in `carried`), or an end an earlier run reached. Before the run starts.
    void add(JobRecord record, JobState state);
    // Puts queued jobs sent again under the ledger's key first (their keys' windows run out),
    // keeping the manifest's order otherwise.
    void resends_first();

    // Moves `r` to `to`. A move not in the table is a bug: std::logic_error, nothing changed.
    //   queued     -> submitting   reserves r.cost_to_reserve() (the caller checked could_submit(r))
    //   queued     -> unsubmitted  submission stopped before its turn
    //   queued     -> rejected     its probe found its sources unusable: never sent
    //   submitting -> running      settles the reservation to r.credits (the server's figure)
    //   submitting -> uncertain    raises the reservation to the worst case: the task may exist
    //                              and be billed, as the ledger counts it
    //   submitting -> failed       releases: refused, no task
    //   submitting -> unsubmitted  releases, or keeps raised to the worst case, as `on_unsent` says
    //   running    -> completed, held   (held: an earlier request's task, done)
    //   running    -> failed       releases r.credits: failed tasks are refunded
    //   running    -> queued       releases r.credits (refunded) and goes first in the queue
    //   running    -> uncertain    raises r.credits' reservation to the worst case: the task
    //                              cannot be read and may still be billed
    void set_state(JobRecord& r, JobState to, Reservation on_unsent = Reservation::release);

    // Whether `r` can start submitting now under the credit ceiling, at its own cost.
    [[nodiscard]] bool could_submit(JobRecord const& r) const noexcept;

    [[nodiscard]] std::vector<JobRecord>& records() noexcept { return m_records; }
    [[nodiscard]] std::vector<JobRecord> const& records() const noexcept { return m_records; }
    [[nodiscard]] JobRecord& operator[](std::size_t index) { return m_records[index]; }
    [[nodiscard]] JobRecord const& operator[](std::size_t index) const { return m_records[index]; }
    [[nodiscard]] std::size_t index_of(JobRecord const& r) const noexcept {
        return static_cast<std::size_t>(&r - m_records.data());
    }
    [[nodiscard]] std::size_t size() const noexcept { return m_records.size(); }

    // Jobs waiting to be submitted, in turn (retries and resends first).
    [[nodiscard]] std::deque<std::size_t> const& queue() const noexcept { return m_queue; }
    [[nodiscard]] std::size_t in_flight() const noexcept; // submitting + running, removed jobs' too
    [[nodiscard]] std::size_t submitting() const noexcept { return m_all[index(JobState::submitting)]; }
    // The manifest's jobs in state `s` (jobs removed from it are only finished, not counted).
    [[nodiscard]] std::size_t count(JobState s) const noexcept;
    [[nodiscard]] std::size_t removed() const noexcept { return m_removed_total; }
    [[nodiscard]] CreditBudget const& budget() const noexcept { return m_budget; }

private:
    static constexpr std::size_t index(JobState s) noexcept { return static_cast<std::size_t>(s); }
    void enter(JobRecord& r, JobState s); // state and counts; the queue is the caller's
    void settle_credits(JobRecord& r, JobState from, JobState to, Reservation on_unsent);

    std::vector<JobRecord> m_records;
    std::deque<std::size_t> m_queue;
    CreditBudget m_budget;
    std::array<std::size_t, k_job_states> m_all{};     // every record, by state
    std::array<std::size_t, k_job_states> m_removed{}; // records the manifest no longer has
    std::size_t m_removed_total = 0;
};

} // namespace evobatch::sched::detail
