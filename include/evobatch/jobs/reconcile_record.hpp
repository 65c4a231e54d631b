#pragma once
// A Reconcile decision as the ledger keeps it, with its evidence (the pages read, the span, the
// candidates), so that a later replay, `status` and `report` show why: `adopted` (the task its
// create made), `unsent` (it made none: the next run sends a new attempt under a new key), or
// `uncertain` (its candidates, for a person: `run --adopt JOB=TASK`). Pure: no I/O.

#include "evobatch/api/types.hpp"
#include "evobatch/jobs/reconcile.hpp"
#include "evobatch/ledger/event.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::ledger {
struct JobHistory;
} // namespace evobatch::ledger

namespace evobatch::jobs {


// The event recording `decision` for the job's current attempt (`history`), at `t_ms`; none for
// a decision that decided nothing (not_available, unlisted). An adopted task's credits are its
// listed credits_used, else the most a task costs: it may be running still, and poll settles it.
std::optional<ledger::Event> reconcile_event(ReconcileDecision const& decision, ledger::JobHistory const& history,
                                             Listing const& listing, std::int64_t t_ms);

// Whether the ledger already holds this decision's evidence for the attempt (the same verdict,
// span and candidates): a later run that decides the same again writes nothing.
bool already_recorded(ledger::Event const& event, ledger::JobHistory const& history);

// `run --adopt JOB=TASK`: a person's decision that the job's current attempt made `task`, as
// GET /v1/tasks/{id} shows it now (its credits, estimate and progress: a task already over is
// polled at once for its results).
ledger::Event asked_adoption_event(ledger::JobHistory const& history, api::Task const& task, std::int64_t t_ms);

} // namespace evobatch::jobs
