// Probing jobs ahead of their creates: see detail/preflight.hpp.

#include "detail/preflight.hpp"

#include "evobatch/jobs/probe_record.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/probe/job_probe.hpp"
#include "evobatch/probe/prober.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::sched::detail {

namespace asio = boost::asio;

void Preflight::probe_with(probe::Prober& prober, std::size_t at_once, ledger::Replay const* earlier,
                           std::function<std::string(std::string const&)> locate) {
    m_prober = &prober;
    m_at_once = std::max<std::size_t>(at_once, 1);
    if (earlier != nullptr) {
        m_access.recall = jobs::recall_from(*earlier); // offered to the hosts to confirm
    }
    m_access.locate = std::move(locate);
}

void Preflight::stop() {
    if (m_prober != nullptr) {
        m_prober->stop();
    }
}

bool Preflight::in_reach(manifest::Job const& job) const {
    if (!m_access.locate) {
        return true;
    }
    return !m_access.locate(job.video_url).empty() &&
           std::none_of(job.image_urls.begin(), job.image_urls.end(),
                        [&](std::string const& url) { return m_access.locate(url).empty(); });
}

void Preflight::start() {
    if (m_prober == nullptr) {
        return;
    }
    // A resend goes out under a key that may already have made its task: judging its sources
    // now could only refuse a job that exists. Every other queued job gets a new key.
    for (std::size_t const i : m_run.table.queue()) {
        JobRecord& r = m_run.table[i];
        if (!r.resend_key.empty()) {
            continue;
        }
        if (!in_reach(*r.job)) {
            ++m_out_of_reach; // sent unprobed, at the most a task costs, as with probing off
            continue;
        }
        r.preflight = PreflightState::waiting;
        m_order.push_back(i);
    }
    for (std::size_t w = 0; w < std::min(m_at_once, m_order.size()); ++w) {
        m_run.children.spawn(work());
    }
}

asio::awaitable<void> Preflight::work() {
    while (m_next < m_order.size() && !m_run.submission_stopped && !m_run.done) {
        JobRecord& r = m_run.table[m_order[m_next++]];
        if (r.state() != JobState::queued) {
            continue;
        }
        r.preflight = PreflightState::probing;
        probe::JobProbe const result = co_await probe::probe_job(*m_prober, *r.job, m_access);
        co_await apply(r, result);
    }
}

asio::awaitable<void> Preflight::apply(JobRecord& r, probe::JobProbe const& result) {
    if (m_run.submission_stopped && result.usability == probe::JobUsability::unprobed) {
        co_return; // cut short by the stop (or failing anyway): nothing learned worth keeping
    }
    ++m_probed;
    for (probe::SourceResult const& s : result.sources) {
        if (s.reused) {
            ++m_reused; // the ledger has it already
            continue;
        }
        m_run.ledger.append(jobs::probed_event(s, r.job->id, r.digest)); // durable with the next group
    }
    std::string reasons;
    for (std::string const& reason : result.reasons) {
        reasons += reasons.empty() ? reason : "; " + reason;
    }
    if (result.usability == probe::JobUsability::rejected) {
        if (r.state() == JobState::queued) { // not stopped meanwhile: judged, so it ends here
            auto e = m_run.event(ledger::EventType::rejected, r);
            e.error = ledger::EventError{result.code, reasons};
            co_await m_run.record(std::move(e));
            m_run.set_state(r, JobState::rejected);
            m_run.view.note({r.job->id, "rejected", {}, fmt::format("{}: {}", result.code, reasons)});
        }
        co_return;
    }
    r.predicted_credits = result.credits;
    r.preflight = PreflightState::done;
    if (result.usability == probe::JobUsability::unprobed) {
        m_run.view.note({r.job->id, "unprobed", {}, reasons});
    } else if (result.warned()) {
        m_run.view.note({r.job->id, "warning", {}, reasons});
    }
    m_run.changed.notify_all(); // submit_all may be waiting for this job
}

} // namespace evobatch::sched::detail
