// Polling running tasks: each task's next poll comes from the PollPlanner; tasks due together
// share batch reads of up to 50 ids (one GET each when the server has no batch read). A failed
// poll never fails a job: it is tried again later.

#include "detail/poller.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/sched/poll_failure.hpp"
#include "evobatch/jobs/task_errors.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::sched::detail {

namespace asio = boost::asio;
using api::ApiErrc;

namespace {

// Ends a poll group however its coroutine ends, an exception included: its tasks may be polled
// again (the group's end then wakes the loop, see poll_loop). A task left marked as being
// polled is never read again, and the run would wait for it with nothing scheduled.
struct PollGroupEnd {
    std::vector<std::size_t> const& members;
    std::vector<bool>& polling;

    PollGroupEnd(std::vector<std::size_t> const& m, std::vector<bool>& p) : members(m), polling(p) {}
    PollGroupEnd(PollGroupEnd const&) = delete;
    PollGroupEnd& operator=(PollGroupEnd const&) = delete;
    ~PollGroupEnd() {
        for (std::size_t i : members) {
            polling[i] = false;
        }
    }
};

PollTask poll_task(JobRecord const& r) {
    return PollTask{r.submitted_at, r.estimate, r.progress, r.progress_seen_at, r.polls, r.status_unknown};
}

} // namespace

Poller::Poller(RunContext& run, ResultDownloads& downloads)
    : m_run(run), m_downloads(downloads),
      m_planner(with_scaled_intervals(PollPlannerOptions{}, run.limits.poll_interval_scale)), m_wake(run.executor),
      m_batch_reads(run.limits.batch_reads) {
    auto const now = Clock::now();
    for (JobRecord& r : run.table.records()) {
        if (r.state() == JobState::running) {
            schedule(r, now);
        }
    }
}

bool Poller::is_stale(JobRecord const& r, TimePoint now) const { return m_planner.is_stale(poll_task(r), now); }

void Poller::schedule(JobRecord& r, TimePoint now) {
    r.next_poll = m_planner.next_poll(poll_task(r), now);
    if (r.next_poll < m_wake_at) {
        m_wake.notify_all();
    }
}

asio::awaitable<void> Poller::poll_loop() {
    std::vector<bool> polling(m_run.table.size(), false);
    // Poll groups in flight; each end wakes the loop (after it stops counting: the loop then sees
    // the group gone) and is a child's end to the run.
    util::TaskGroup polls(m_run.executor, [this](std::exception_ptr error) {
        m_run.child_ended(error);
        m_wake.notify_all();
    });
    while (!m_run.done) {
        auto const now = Clock::now();
        std::vector<std::size_t> due;
        std::optional<TimePoint> earliest;
        for (std::size_t i = 0; i < m_run.table.size(); ++i) {
            JobRecord const& r = m_run.table[i];
            if (r.state() != JobState::running || polling[i]) {
                continue;
            }
            if (r.next_poll <= now + m_planner.options().coalesce_window) {
                due.push_back(i);
            } else if (!earliest || r.next_poll < *earliest) {
                earliest = r.next_poll;
            }
        }
        // Wait for the first due task unless one is already due; a few requests at a time keep
        // the rate limiter's queue short.
        bool const any_due_now = std::any_of(due.begin(), due.end(), [&](std::size_t i) { return m_run.table[i].next_poll <= now; });
        if (!any_due_now || polls.running() >= 4) {
            std::optional<TimePoint> wake = earliest;
            for (std::size_t i : due) {
                wake = wake ? std::min(*wake, m_run.table[i].next_poll) : m_run.table[i].next_poll;
            }
            m_wake_at = polls.running() >= 4 ? TimePoint::min() : wake.value_or(TimePoint::max());
            co_await m_wake.wait(polls.running() >= 4 ? std::nullopt : wake);
            continue;
        }
        std::sort(due.begin(), due.end(), [&](std::size_t a, std::size_t b) { return m_run.table[a].next_poll < m_run.table[b].next_poll; });
        std::vector<std::vector<std::size_t>> groups;
        if (m_batch_reads) {
            for (std::size_t at = 0; at < due.size(); at += api::k_max_batch_read) {
                groups.emplace_back(due.begin() + static_cast<std::ptrdiff_t>(at),
                                    due.begin() + static_cast<std::ptrdiff_t>(std::min(due.size(), at + api::k_max_batch_read)));
            }
        } else {
            for (std::size_t i : due) {
                if (m_run.table[i].next_poll <= now) {
                    groups.push_back({i});
                }
            }
        }
        for (auto& group : groups) {
            for (std::size_t i : group) {
                polling[i] = true;
            }
            polls.spawn([](Poller& self, std::vector<std::size_t> members,
                            std::vector<bool>& flags) -> asio::awaitable<void> {
                PollGroupEnd const end{members, flags};
                if (members.size() == 1 && !self.m_batch_reads) {
                    co_await self.poll_one(members.front());
                } else {
                    co_await self.poll_batch(members);
                }
            }(*this, std::move(group), polling));
        }
    }
    // Let the spawned polls see `m_run.done` and finish before `polling` goes away.
    co_await polls.join();
}

asio::awaitable<void> Poller::poll_batch(std::vector<std::size_t> indexes) {
    std::vector<std::string> ids;
    ids.reserve(indexes.size());
    for (std::size_t i : indexes) {
        ids.push_back(m_run.table[i].task);
    }
    co_await m_run.acquire_token(false);
    auto result = co_await m_run.api.batch_read(ids);
    auto const now = Clock::now();
    if (!result.ok()) {
        bool const absent = result.endpoint_missing();
        PollFailure const failure = classify_poll_failure(result.delivery, result.error);
        // No batch read here, or one that refuses what we send (400: another body, say): one GET
        // per task from now on, which every server answers. Retrying it would poll nothing, ever.
        if (absent || (result.api_error && failure == PollFailure::unreadable)) {
            m_batch_reads = false;
            m_run.changed.notify_all();
            co_return;
        }
        if (failure == PollFailure::key_refused) {
            m_run.abandon_polls(api::describe(*result.api_error));
            co_return;
        }
        if (result.error == ApiErrc::rate_limited) {
            m_run.limiter.on_throttled(now, result.api_error->retry_after);
        }
        for (std::size_t i : indexes) {
            if (m_run.table[i].state() == JobState::running) {
                m_run.table[i].next_poll = now + m_planner.options().retry_interval;
            }
        }
        co_return;
    }
    m_run.limiter.on_success(now);
    std::vector<std::pair<std::size_t, api::Task>> answers;
    for (api::Task& task : *result.value) {
        auto const it = std::find_if(indexes.begin(), indexes.end(), [&](std::size_t i) { return m_run.table[i].task == task.id; });
        if (it != indexes.end() && m_run.table[*it].state() == JobState::running) {
            answers.emplace_back(*it, std::move(task));
        }
    }
    std::vector<std::size_t> unanswered;
    for (std::size_t i : indexes) {
        bool const answered = std::any_of(answers.begin(), answers.end(), [i](auto const& a) { return a.first == i; });
        if (!answered && m_run.table[i].state() == JobState::running) {
            unanswered.push_back(i);
        }
    }
    co_await apply_all(std::move(answers));
    // Ids the server left out (unknown or expired) are checked one by one: a 404 there is final.
    for (std::size_t i : unanswered) {
        if (m_run.table[i].state() == JobState::running) {
            co_await poll_one(i);
        }
    }
}

asio::awaitable<void> Poller::apply_all(std::vector<std::pair<std::size_t, api::Task>> answers) {
    // Each answer is applied in its own coroutine: the ledger writes of the finished ones join
    // one group commit instead of waiting for each other's fsync.
    util::TaskGroup applying(m_run.executor, [this](std::exception_ptr error) {
        if (error) {
            m_run.stop_submitting("internal error while applying a task's status", false);
        }
    });
    for (auto& [index, task] : answers) {
        applying.spawn(apply(m_run.table[index], task));
    }
    co_await applying.join();
}

asio::awaitable<void> Poller::poll_one(std::size_t index) {
    JobRecord& r = m_run.table[index];
    co_await m_run.acquire_token(false);
    auto result = co_await m_run.api.get_task(r.task);
    auto const now = Clock::now();
    if (r.state() != JobState::running) {
        co_return;
    }
    if (result.ok()) {
        m_run.limiter.on_success(now);
        co_await apply(r, *result.value);
        co_return;
    }
    switch (classify_poll_failure(result.delivery, result.error)) {
    case PollFailure::unknown_task: {
        // The server does not know the task: report it, never resubmit by ourselves.
        auto e = m_run.event(ledger::EventType::failed, r);
        e.error = ledger::EventError{"task_not_found", api::describe(*result.api_error)};
        co_await m_run.record(std::move(e));
        m_run.set_state(r, JobState::failed);
        m_run.view.note({r.job->id, "failed", r.task, "the server does not know this task (404); not resubmitted"});
        co_return;
    }
    case PollFailure::unreadable: {
        // Read again, it would fail again while the run waits for it. The task may go on and be
        // billed: the job ends uncertain with the task kept, counted at the most a task costs
        // (credits.hpp), as an uncertain create is.
        ledger::EventError const why{
            "invalid_task_id", fmt::format("the task cannot be read ({}); it may run and be billed, and is not "
                                           "created again",
                                           result.detail)};
        std::string const request_id = result.api_error ? result.api_error->request_id : std::string();
        co_await m_run.end_uncertain(r, why, request_id);
        co_return;
    }
    case PollFailure::key_refused:
        m_run.abandon_polls(api::describe(*result.api_error));
        co_return;
    case PollFailure::retry:
        break;
    }
    if (result.error == ApiErrc::rate_limited) {
        m_run.limiter.on_throttled(now, result.api_error->retry_after);
    }
    r.next_poll = now + m_planner.options().retry_interval;
}

asio::awaitable<void> Poller::apply(JobRecord& r, api::Task const& task) {
    auto const now = Clock::now();
    ++r.polls;
    r.status_unknown = task.status == api::TaskStatus::unknown;
    if (task.progress != r.progress) {
        r.progress = task.progress;
        r.progress_seen_at = now;
        auto e = m_run.event(ledger::EventType::progress, r);
        e.progress = task.progress;
        m_run.ledger.append(std::move(e)); // durable with the next group; losing one costs nothing
    }
    switch (task.status) {
    case api::TaskStatus::completed: {
        auto e = m_run.event(ledger::EventType::completed, r);
        e.results = task.results;
        e.credits = task.credits_used.value_or(r.credits);
        if (task.results.empty()) {
            // Paid and done, but no link: report it; never a reason to submit again.
            e.error = ledger::EventError{"completed_without_results", "the task completed without a result link"};
        }
        co_await m_run.record(std::move(e));
        // An earlier request's task: its result is kept, but the job the manifest asks for now
        // waits for --rerun-changed.
        m_run.set_state(r, r.earlier_request ? JobState::held : JobState::completed);
        m_run.view.note({r.job->id, "completed", r.task, r.earlier_request ? "its earlier request's task" : ""});
        r.results = task.results;
        r.completed_ms = ledger::now_ms();
        m_downloads.start(r); // while the batch goes on: the links last about a day
        co_return;
    }
    case api::TaskStatus::failed:
    case api::TaskStatus::cancelled: co_await apply_failed(r, task); co_return;
    default:
        schedule(r, now);
        if (!r.stale_noted && is_stale(r, now)) {
            r.stale_noted = true;
            m_run.view.note({r.job->id, "stale", r.task, "running far past its estimate; still polled"});
        }
        co_return;
    }
}

asio::awaitable<void> Poller::apply_failed(JobRecord& r, api::Task const& task) {
    std::string const code = task.status == api::TaskStatus::cancelled
                                 ? std::string("cancelled")
                                 : (task.error ? task.error->code : std::string("unknown_error"));
    std::string const message = task.error ? task.error->message : std::string("the task was ") + task.status_text;
    auto e = m_run.event(ledger::EventType::failed, r);
    e.error = ledger::EventError{code, message};
    co_await m_run.record(std::move(e));
    // Never for an earlier request's task: its request is no longer the manifest's (the next
    // run sends the new one, nothing having been paid for this one).
    bool const retry = task.status == api::TaskStatus::failed && jobs::is_retryable_task_error(code) &&
                       r.attempt < m_run.limits.max_attempts && !m_run.submission_stopped && !r.earlier_request;
    if (retry) {
        m_run.set_state(r, JobState::queued); // refunded; first in the queue
        ++r.attempt; // a new attempt gets a new key: the failed task will not be replayed
        r.task.clear();
        m_run.view.note({r.job->id, "retrying", {}, code + ": " + message});
    } else {
        m_run.set_state(r, JobState::failed);
        m_run.view.note({r.job->id, "failed", r.task, code + ": " + message});
    }
}

} // namespace evobatch::sched::detail
