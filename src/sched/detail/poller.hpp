#pragma once
// Polling the run's tasks: each task's next read comes from the PollPlanner; tasks due together
// share batch reads of up to 50 ids (one GET each where the server has no batch read). What an
// answer means for the job (completed, failed and retried, still running) is applied here.
// Internal to src/sched.

#include "result_downloads.hpp"
#include "run_context.hpp"

#include "evobatch/sched/poll_planner.hpp"

#include <boost/asio/awaitable.hpp>

#include <utility>
#include <vector>

namespace evobatch::sched::detail {

class Poller {
public:
    // Plans the first read of every task the table's jobs have running already.
    Poller(RunContext& run, ResultDownloads& downloads);

    // Reads due tasks until the run ends (RunContext::done).
    boost::asio::awaitable<void> poll_loop();
    // Plans `r`'s next read (just submitted, or after an answer), waking the loop if it is sooner.
    void schedule(JobRecord& r, TimePoint now);
    // Running far past its estimate (still polled).
    [[nodiscard]] bool is_stale(JobRecord const& r, TimePoint now) const;
    // The loop's wait ends (the run is ending).
    void wake() { m_wake.notify_all(); }

private:
    boost::asio::awaitable<void> poll_batch(std::vector<std::size_t> indexes);
    boost::asio::awaitable<void> poll_one(std::size_t index);
    boost::asio::awaitable<void> apply(JobRecord& r, api::Task const& task);
    // Applies a batch read's answers at once, so their ledger events share group commits.
    boost::asio::awaitable<void> apply_all(std::vector<std::pair<std::size_t, api::Task>> answers);
    boost::asio::awaitable<void> apply_failed(JobRecord& r, api::Task const& task);

    RunContext& m_run;
    ResultDownloads& m_downloads;
    PollPlanner m_planner;
    util::WaitQueue m_wake; // a task is due before m_wake_at, a poll group ended, or the run ends
    TimePoint m_wake_at = TimePoint::max();
    bool m_batch_reads = true;
};

} // namespace evobatch::sched::detail
