#include "detail/job_table.hpp"

#include "evobatch/api/pricing.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace evobatch::sched::detail {

namespace {

// The moves header's table lists; nothing else.
bool is_move(JobState from, JobState to) {
    switch (from) {
    case JobState::queued:
        return to == JobState::submitting || to == JobState::unsubmitted || to == JobState::rejected;
    case JobState::submitting:
        return to == JobState::running || to == JobState::uncertain || to == JobState::failed ||
               to == JobState::unsubmitted;
    case JobState::running:
        return to == JobState::completed || to == JobState::held || to == JobState::failed ||
               to == JobState::queued || to == JobState::uncertain;
    default: return false; // the ends are ends
    }
}

} // namespace

JobTable::JobTable(std::int64_t ceiling, std::int64_t carried) : m_budget(ceiling) { m_budget.carry(carried); }

void JobTable::add(JobRecord record, JobState state) {
    if (state == JobState::submitting) {
        throw std::logic_error("JobTable::add: a job starts no run submitting");
    }
    m_records.push_back(std::move(record));
    JobRecord& r = m_records.back();
    if (r.removed) {
        ++m_removed_total;
    }
    enter(r, state);
    if (state == JobState::queued) {
        m_queue.push_back(index_of(r));
    }
}

void JobTable::resends_first() {
    std::stable_partition(m_queue.begin(), m_queue.end(),
                          [this](std::size_t i) { return !m_records[i].resend_key.empty(); });
}

std::int64_t JobRecord::cost_to_reserve() const noexcept {
    return predicted_credits.value_or(api::k_max_credits_per_task);
}

bool JobTable::could_submit(JobRecord const& r) const noexcept { return m_budget.could_fit(r.cost_to_reserve()); }

std::size_t JobTable::in_flight() const noexcept {
    return m_all[index(JobState::submitting)] + m_all[index(JobState::running)];
}

std::size_t JobTable::count(JobState s) const noexcept { return m_all[index(s)] - m_removed[index(s)]; }

void JobTable::set_state(JobRecord& r, JobState to, Reservation on_unsent) {
    JobState const from = r.m_state;
    if (!is_move(from, to)) {
        throw std::logic_error(std::string("JobTable::set_state: no move from ") + name_of(from) + " to " + name_of(to));
    }
    if (from == JobState::queued && to == JobState::submitting && !could_submit(r)) {
        throw std::logic_error("JobTable::set_state: submitting past the credit ceiling");
    }
    settle_credits(r, from, to, on_unsent);
    --m_all[index(from)];
    if (r.removed) {
        --m_removed[index(from)];
    }
    if (from == JobState::queued) {
        std::size_t const i = index_of(r);
        if (!m_queue.empty() && m_queue.front() == i) {
            m_queue.pop_front(); // the usual case: its turn came
        } else {
            m_queue.erase(std::remove(m_queue.begin(), m_queue.end(), i), m_queue.end());
        }
    }
    enter(r, to);
    if (to == JobState::queued) {
        m_queue.push_front(index_of(r)); // a retry goes first
    }
}

void JobTable::enter(JobRecord& r, JobState s) {
    r.m_state = s;
    ++m_all[index(s)];
    if (r.removed) {
        ++m_removed[index(s)];
    }
}

void JobTable::settle_credits(JobRecord& r, JobState from, JobState to, Reservation on_unsent) {
    if (from == JobState::queued) {
        if (to == JobState::submitting) {
            r.reservation = r.cost_to_reserve();
            (void)m_budget.try_reserve(r.reservation);
        }
        return; // unsubmitted, rejected: nothing was reserved
    }
    // A task that may exist counts at the most a task costs, whatever the probe predicted: the
    // ledger counts it so (jobs/credits.hpp), and run, plan and status agree.
    auto const raise_to_worst_case = [&](std::int64_t held) {
        (void)m_budget.settle(held, std::max(held, api::k_max_credits_per_task));
    };
    if (from == JobState::submitting) {
        switch (to) {
        case JobState::running: (void)m_budget.settle(r.reservation, r.credits); break;
        case JobState::failed: m_budget.release(r.reservation); break;
        case JobState::unsubmitted:
            if (on_unsent == Reservation::release) {
                m_budget.release(r.reservation);
            } else {
                raise_to_worst_case(r.reservation);
            }
            break;
        default: raise_to_worst_case(r.reservation); break; // uncertain
        }
        return;
    }
    // running
    switch (to) {
    case JobState::failed:
    case JobState::queued: m_budget.release(r.credits); break;
    case JobState::uncertain: raise_to_worst_case(r.credits); break;
    default: break; // completed, held: charged
    }
}

} // namespace evobatch::sched::detail
