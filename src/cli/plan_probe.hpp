#pragma once
// `plan --probe`: the jobs `run` would submit, each with what probing its media found and what
// it is therefore counted at (plan::JobCost); its table and its JSON.

#include "evobatch/jobs/resume.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/plan/batch_plan.hpp"
#include "evobatch/probe/job_probe.hpp"

#include <boost/json/array.hpp>

#include <cstddef>
#include <optional>
#include <vector>

namespace evobatch::ledger {
struct Replay;
} // namespace evobatch::ledger

namespace evobatch::cli {

// `plan --probe`: each job to submit, in manifest order, with what probing its media found.
struct ProbedJob {
    std::size_t index = 0; // in the manifest
    jobs::ResumeAction action = jobs::ResumeAction::submit;
    std::optional<probe::JobProbe> probe; // nothing: sent again under its same key, not probed
    plan::JobCost cost;
};

// Probes the media of every job `r` sends (not a resend, whose task may exist), `max_probes` at
// once (0: limits.max_probes), reusing what `replay` remembers; in manifest order.
std::vector<ProbedJob> probe_to_submit(manifest::Manifest const& m, jobs::ResumePlan const& r,
                                       ledger::Replay const& replay, std::size_t max_probes, bool progress);

// Their costs, as plan::plan_batch takes them.
std::vector<plan::JobCost> costs_of(std::vector<ProbedJob> const& probed);

boost::json::array probed_to_json(manifest::Manifest const& m, std::vector<ProbedJob> const& probed);
void print_probed(manifest::Manifest const& m, std::vector<ProbedJob> const& probed);

} // namespace evobatch::cli
