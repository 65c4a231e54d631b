#include "evobatch/jobs/reconcile_record.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/ledger/replay.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::jobs {

namespace {

// The job's current attempt as every event about it names it.
ledger::Event attempt_event(ledger::EventType type, ledger::JobHistory const& h, std::int64_t t_ms) {
    ledger::Event e;
    e.type = type;
    e.t_ms = t_ms;
    e.job = h.job;
    e.req = h.req;
    e.attempt = h.attempt;
    e.key = h.key;
    return e;
}

} // namespace

std::optional<ledger::Event> reconcile_event(ReconcileDecision const& d, ledger::JobHistory const& h,
                                             Listing const& listing, std::int64_t t_ms) {
    ledger::Event e;
    switch (d.verdict) {
    case ReconcileVerdict::not_available:
    case ReconcileVerdict::unlisted: return std::nullopt;
    case ReconcileVerdict::adopt: {
        e = attempt_event(ledger::EventType::adopted, h, t_ms);
        e.task = d.task;
        auto const listed = std::find_if(listing.tasks.begin(), listing.tasks.end(),
                                         [&](api::ListedTask const& t) { return t.id == d.task; });
        bool const found = listed != listing.tasks.end();
        e.credits = found && listed->credits_used ? *listed->credits_used : api::k_max_credits_per_task;
        // As far as the list saw it: a task already over is polled at once for its results.
        e.progress = found ? (api::is_terminal(listed->status) ? 100 : listed->progress) : 0;
        break;
    }
    case ReconcileVerdict::unsent:
        e = attempt_event(ledger::EventType::unsent, h, t_ms);
        e.error = ledger::EventError{"no_task_listed", d.why};
        break;
    case ReconcileVerdict::ambiguous:
        e = attempt_event(ledger::EventType::uncertain, h, t_ms);
        e.error = ledger::EventError{"ambiguous", d.why};
        break;
    }
    e.verdict = "listed";
    e.pages = static_cast<std::int64_t>(d.pages);
    e.span_from = d.span.from;
    e.span_to = d.span.to;
    if (!d.candidates.empty()) {
        e.candidates = ledger::candidates_text(d.candidates);
    }
    return e;
}

bool already_recorded(ledger::Event const& e, ledger::JobHistory const& h) {
    if (e.type != ledger::EventType::uncertain || h.phase != ledger::JobPhase::uncertain || !h.listed) {
        return false; // adopted and unsent move the job: never the same twice
    }
    ledger::ListEvidence const& l = *h.listed;
    return l.span_from == e.span_from.value_or(0) && l.span_to == e.span_to.value_or(0) &&
           l.candidates == ledger::parse_candidates(e.candidates.value_or(""));
}

ledger::Event asked_adoption_event(ledger::JobHistory const& h, api::Task const& task, std::int64_t t_ms) {
    ledger::Event e = attempt_event(ledger::EventType::adopted, h, t_ms);
    e.task = task.id;
    e.credits = task.credits_used.value_or(task.credits_reserved.value_or(api::k_max_credits_per_task));
    e.eta_s = task.estimated_time;
    e.progress = api::is_terminal(task.status) ? 100 : task.progress;
    e.verdict = "asked";
    return e;
}

} // namespace evobatch::jobs
