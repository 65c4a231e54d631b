#include "evobatch/jobs/credits.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/ledger/replay.hpp"

#include <fmt/format.h>

namespace evobatch::jobs {

CreditTotals& CreditTotals::operator+=(CreditTotals const& other) noexcept {
    charged += other.charged;
    reserved += other.reserved;
    refunded += other.refunded;
    at_risk += other.at_risk;
    at_risk_count += other.at_risk_count;
    return *this;
}

CreditTotals credits_of(ledger::Attempt const& a) {
    using ledger::JobPhase;
    CreditTotals t;
    switch (a.phase) {
    case JobPhase::completed: t.charged = a.credits; break;
    case JobPhase::running: t.reserved = a.credits; break;
    case JobPhase::failed:
        if (a.error && a.error->code == "task_not_found") {
            // The server forgot a task it made: whether it was charged is unknown.
            t.at_risk = a.credits;
            t.at_risk_count = 1;
        } else {
            t.refunded = a.credits; // 0 when the create itself was refused
        }
        break;
    case JobPhase::submitting: // sent (or about to be) with no answer recorded
    case JobPhase::uncertain:
        t.at_risk = api::k_max_credits_per_task;
        t.at_risk_count = 1;
        break;
    case JobPhase::unsent:   // no task exists
    case JobPhase::rejected: // never sent
    case JobPhase::probed: break;
    }
    return t;
}

CreditTotals credits_of(ledger::JobHistory const& h) {
    CreditTotals t;
    for (ledger::Attempt const& a : h.earlier) {
        t += credits_of(a);
    }
    if (!h.key.empty() || !h.task.empty()) { // the current attempt went out
        t += credits_of(static_cast<ledger::Attempt const&>(h));
    }
    return t;
}

CreditTotals credits_of(ledger::Replay const& replay) {
    CreditTotals t;
    for (ledger::JobHistory const& h : replay.jobs) {
        t += credits_of(h);
    }
    return t;
}

std::string credits_text(CreditTotals const& t) {
    std::string text = fmt::format("{} charged, {} reserved now, {} refunded", t.charged, t.reserved, t.refunded);
    if (t.at_risk_count > 0) {
        text += fmt::format(", up to {} at risk ({} create{} or task{} of unknown outcome)", t.at_risk,
                            t.at_risk_count, t.at_risk_count == 1 ? "" : "s", t.at_risk_count == 1 ? "" : "s");
    }
    return text;
}

std::string usd_text(std::int64_t credits, double credits_per_usd) {
    if (credits_per_usd <= 0) {
        return {};
    }
    return fmt::format("~${:.2f}", static_cast<double>(credits) / credits_per_usd);
}

} // namespace evobatch::jobs
