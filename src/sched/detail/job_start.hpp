#pragma once
// Where a job of the manifest enters a run: its record and state from what the ledger says
// (jobs::JobStart, from plan_resume). Pure. Internal to src/sched.

#include "job_record.hpp"

#include "evobatch/jobs/resume.hpp"

#include <chrono>

namespace evobatch::sched::detail {

struct PlacedJob {
    JobRecord record;
    JobState state = JobState::queued;
};

// `start`: null for a job the ledger does not know. `now`: the run's clock, before which the
// ledger's (UTC) times are placed; `idempotency_window`: api.idempotency_window, for how long a
// key sent before stays trusted.
PlacedJob place_job(manifest::Job const& job, jobs::JobStart const* start, TimePoint now,
                    std::chrono::seconds idempotency_window);

} // namespace evobatch::sched::detail
