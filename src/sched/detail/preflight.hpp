#pragma once
// Probing each job's sources before its create (issue 17, design.md "Preflight"): a few probes
// at once, in the queue's order and ahead of submission, so the first create leaves as soon as
// its own job is probed and the API's rate limit stays the only bottleneck. The probes go to the
// media hosts through the run's Prober (its own client: no API key, no rate-limit tokens). Each
// probe is written to the ledger (`probed`, one per source); a job whose sources the rules
// refuse is written `rejected` and moves queued -> rejected, never sent. A usable job carries
// its exact cost to the budget; an unprobed one goes at the most a task costs. Internal to
// src/sched.

#include "run_context.hpp"

#include "evobatch/probe/job_probe.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace evobatch::ledger {
struct Replay;
} // namespace evobatch::ledger

namespace evobatch::sched::detail {

class Preflight {
public:
    explicit Preflight(RunContext& run) : m_run(run) {}

    // Probe with `prober`, `at_once` jobs at a time; `earlier` (the ledger's probes, may be
    // null) lets a source the host says is unchanged be reused; `locate` (may be empty) says
    // where a URL is fetched from, an empty answer meaning it cannot be (the job goes unprobed,
    // silently: `run --simulate` reaches only its simulator). Before start(); all outlive the run.
    void probe_with(probe::Prober& prober, std::size_t at_once, ledger::Replay const* earlier,
                    std::function<std::string(std::string const&)> locate);

    // Marks the queued jobs that go out under a new key as waiting for their probe, in the
    // queue's order, and starts the probes. Nothing when probe_with() was not called.
    void start();

    // The run is stopping: probes in flight end without retrying, and no job is probed after them.
    void stop();

    // Probes that ended by the rules (for the summary).
    [[nodiscard]] std::size_t probed() const noexcept { return m_probed; }
    [[nodiscard]] std::size_t reused() const noexcept { return m_reused; }
    // Jobs not probed because their sources cannot be reached from here (`locate`).
    [[nodiscard]] std::size_t out_of_reach() const noexcept { return m_out_of_reach; }

private:
    [[nodiscard]] bool in_reach(manifest::Job const& job) const;
    boost::asio::awaitable<void> work();
    // Writes the job's probes and applies the verdict: rejected, or ready with its cost.
    boost::asio::awaitable<void> apply(JobRecord& r, probe::JobProbe const& result);

    RunContext& m_run;
    probe::Prober* m_prober = nullptr;
    std::size_t m_at_once = 0;
    probe::SourceAccess m_access;
    std::vector<std::size_t> m_order; // the jobs to probe, in the queue's order
    std::size_t m_next = 0;
    std::size_t m_probed = 0, m_reused = 0, m_out_of_reach = 0;
};

} // namespace evobatch::sched::detail
