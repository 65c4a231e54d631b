#include "detail/job_start.hpp"

#include "evobatch/jobs/idempotency.hpp"
#include "evobatch/jobs/request_of.hpp"
#include "evobatch/ledger/replay.hpp"

#include <algorithm>

namespace evobatch::sched::detail {

PlacedJob place_job(manifest::Job const& job, jobs::JobStart const* start, TimePoint now,
                    std::chrono::seconds idempotency_window) {
    PlacedJob placed;
    JobRecord& r = placed.record;
    r.job = &job;
    r.request = jobs::request_of(job);
    r.digest = jobs::request_digest(r.request);
    if (start == nullptr) {
        return placed;
    }
    jobs::ResumeDecision const& d = start->decision;
    ledger::JobHistory const* h = start->history;
    r.attempt = d.attempt;
    r.version = start->version;
    r.removed = start->removed;
    if (h == nullptr) {
        return placed; // a new job (or a changed one sent as new): queued for its first attempt
    }
    r.digest = h->req; // the ledger's request: a changed job's earlier task is polled under its own
    r.earlier_request = d.changed;
    // Ledger times are UTC; the run's clock is steady: place the past events before `now`.
    auto const ago = [now](std::int64_t t_ms) {
        auto const age = std::chrono::milliseconds(std::max<std::int64_t>(0, ledger::now_ms() - t_ms));
        return now - std::chrono::duration_cast<Clock::duration>(age);
    };
    switch (d.action) {
    case jobs::ResumeAction::submit:
    case jobs::ResumeAction::retry: break;
    case jobs::ResumeAction::resend:
        r.resend_key = h->key;
        r.key_may_have_task = h->phase != ledger::JobPhase::unsent;
        if (r.key_may_have_task && !d.forced) {
            r.key_trusted_until = ago(h->key_first_sent_t_ms) + jobs::key_trust_span(idempotency_window);
        }
        break;
    case jobs::ResumeAction::poll: // its next poll is the poller's to plan
        placed.state = JobState::running;
        r.task = h->task;
        r.key = h->key;
        r.credits = h->credits;
        r.estimate = std::chrono::seconds(h->eta_s.value_or(0));
        r.submitted_at = ago(h->submitted_t_ms);
        r.progress = h->progress;
        r.progress_seen_at = ago(h->last_t_ms);
        break;
    case jobs::ResumeAction::done:
    case jobs::ResumeAction::hold: // its earlier request's results are kept (and fetched) all the same
        placed.state = d.action == jobs::ResumeAction::done ? JobState::completed : JobState::held;
        if (h->phase != ledger::JobPhase::completed) {
            break;
        }
        r.task = h->task;
        r.results = h->results;
        r.completed_ms = h->finished_t_ms;
        r.needs_download = d.download;
        if (d.expired) {
            r.expired_results = h->results.size();
        } else if (!d.download) {
            for (ledger::Download const* f : jobs::recorded_files(*h, h->job)) {
                r.files_to_verify.emplace_back(f->file, f->sha256); // on disk until a hash says otherwise
            }
        }
        break;
    case jobs::ResumeAction::failed: placed.state = JobState::failed; break;
    case jobs::ResumeAction::uncertain: placed.state = JobState::uncertain; break; // its worst case is carried
    case jobs::ResumeAction::rejected: placed.state = JobState::rejected; break; // probing is off: judged before
    }
    return placed;
}

} // namespace evobatch::sched::detail
