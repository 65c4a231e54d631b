#include "evobatch/plan/batch_plan.hpp"

#include "evobatch/api/pricing.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

namespace evobatch::plan {

namespace {

// The scheduler's polling targets (issue 4): about 1.2 requests per task with batch reads,
// creates included, and at most 4 with one GET per task.
constexpr double k_polls_per_task_batched = 0.2;
constexpr double k_polls_per_task_single = 3.0;

std::size_t ceil_times(std::size_t n, double factor) {
    return static_cast<std::size_t>(std::ceil(static_cast<double>(n) * factor));
}

// The credit figures of the jobs to submit, each at what it counts for, in manifest order.
void count_costs(BatchPlan& plan, std::span<JobCost const> costs, std::int64_t room) {
    bool fits = true;
    for (JobCost const& cost : costs) {
        switch (cost.kind) {
        case JobCost::Kind::exact:
            ++plan.jobs_exact;
            plan.credits_exact += cost.credits;
            break;
        case JobCost::Kind::rejected: ++plan.jobs_rejected; break;
        case JobCost::Kind::unknown: ++plan.jobs_unprobed; break;
        }
        plan.credits_expected += cost.counted();
        fits = fits && plan.credits_within_ceiling + cost.counted() <= room;
        if (fits) {
            ++plan.jobs_within_ceiling;
            plan.credits_within_ceiling += cost.counted();
        }
    }
}

} // namespace

std::int64_t JobCost::counted() const noexcept {
    switch (kind) {
    case Kind::exact: return credits;
    case Kind::rejected: return 0;
    case Kind::unknown: break;
    }
    return api::k_max_credits_per_task;
}

BatchPlan plan_batch(manifest::Manifest const& manifest, LedgerCounts const& ledger,
                     std::optional<std::span<JobCost const>> costs) {
    auto const& limits = manifest.limits;
    BatchPlan plan;
    plan.jobs = manifest.jobs.size();
    plan.ledger = ledger;
    std::size_t const settled =
        ledger.poll + ledger.done + ledger.failed + ledger.uncertain + ledger.hold + ledger.rejected;
    plan.to_submit = plan.jobs - std::min(plan.jobs, settled); // new jobs, resends and retries
    plan.to_poll = ledger.poll;
    if (costs && costs->size() != plan.to_submit) {
        throw std::invalid_argument("plan_batch: " + std::to_string(costs->size()) + " costs for " +
                                    std::to_string(plan.to_submit) + " jobs to submit");
    }

    plan.credits_carried = ledger.credits_carried;
    plan.credits_ceiling = limits.max_credits;
    std::int64_t const room = std::max<std::int64_t>(0, limits.max_credits - ledger.credits_carried);
    if (costs) {
        plan.probed = true;
        count_costs(plan, *costs, room);
    } else {
        std::vector<JobCost> const unknown(plan.to_submit, JobCost::unknown());
        count_costs(plan, unknown, room);
    }
    plan.create_requests = plan.to_submit - plan.jobs_rejected;
    plan.credits_worst_case = static_cast<std::int64_t>(plan.create_requests) * api::k_max_credits_per_task;
    plan.credits_at_most = std::min(plan.credits_expected, room);
    plan.credits_to_cover = ledger.credits_carried + plan.credits_expected;

    std::size_t const tracked = plan.create_requests + plan.to_poll;
    plan.status_reads_batched = ceil_times(tracked, k_polls_per_task_batched);
    plan.status_reads_single = ceil_times(tracked, k_polls_per_task_single);

    // Submitting is bound by the request rate (creates and batched polls share it); finishing is
    // bound by the in-flight cap: waves of max_in_flight tasks of the typical duration.
    double const requests = static_cast<double>(plan.create_requests + plan.status_reads_batched);
    double const rate_bound = requests / limits.requests_per_second;
    std::size_t const waves = (tracked + limits.max_in_flight - 1) / limits.max_in_flight;
    double const flight_bound = static_cast<double>(waves) * static_cast<double>(k_typical_task_time.count());
    plan.submit_time = std::chrono::seconds(
        static_cast<std::int64_t>(std::ceil(static_cast<double>(plan.create_requests) / limits.requests_per_second)));
    plan.estimated_time = std::chrono::seconds(static_cast<std::int64_t>(
        std::ceil(std::max(rate_bound + (tracked > 0 ? static_cast<double>(k_typical_task_time.count()) : 0.0),
                           flight_bound))));
    return plan;
}

} // namespace evobatch::plan
