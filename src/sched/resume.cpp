#include "evobatch/sched/resume.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/download/result_file.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/sched/idempotency.hpp"
#include "evobatch/sched/request_of.hpp"
#include "evobatch/sched/task_errors.hpp"
#include "evobatch/util/duration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

namespace evobatch::sched {

namespace {

// A resend the user asked for (--resubmit-uncertain): sent however old its key.
ResumeDecision forced_resend(int attempt) {
    ResumeDecision d{ResumeAction::resend, attempt, false, "asked with --resubmit-uncertain"};
    d.forced = true;
    return d;
}

// Failure codes that no new attempt of the same request can fix, beyond the task's own codes.
bool worth_a_new_attempt(std::string_view code) {
    return code != "task_not_found" && code != "cancelled" && is_retryable_task_error(code);
}

// Every result URL has a `downloaded` event naming its file, and that file is there with the
// recorded size. (Cheap enough for `plan` and `status`; `run` also checks each file's hash in the
// background and downloads a changed one again.)
bool all_results_on_disk(ledger::JobHistory const& h, std::filesystem::path const& dir) {
    for (std::size_t i = 0; i < h.results.size(); ++i) {
        auto const path = download::path_inside(dir, download::result_file_name(h.job, h.results[i], i + 1));
        if (!path) {
            return false;
        }
        auto const recorded = std::find_if(h.downloads.begin(), h.downloads.end(),
                                           [&](ledger::Download const& d) { return d.file == path->string(); });
        std::error_code ec;
        if (recorded == h.downloads.end() || std::filesystem::file_size(*path, ec) != recorded->bytes || ec) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string_view to_string(ResumeAction action) noexcept {
    switch (action) {
    case ResumeAction::submit: return "submit";
    case ResumeAction::resend: return "resend";
    case ResumeAction::poll: return "poll";
    case ResumeAction::retry: return "retry";
    case ResumeAction::done: return "done";
    case ResumeAction::failed: return "failed";
    case ResumeAction::uncertain: return "uncertain";
    }
    return "?";
}

ResumeDecision decide_resume(ledger::JobHistory const* h, std::string_view job_id, std::string_view request_digest,
                             ResumeOptions const& options) {
    using ledger::JobPhase;
    if (h == nullptr) {
        return {};
    }
    if (h->req != request_digest) {
        return {ResumeAction::submit, 1, true, "the manifest entry changed since the ledger recorded it"};
    }
    bool const resubmit_asked =
        options.resubmit_all_uncertain || options.resubmit_uncertain.count(std::string(job_id)) > 0;
    // From the key's first use: each resend writes a new `submitting`, but a server forgets a
    // key counting from when it first saw it.
    auto const key_age = std::chrono::milliseconds(options.now_ms - h->key_first_sent_t_ms);
    // Less a margin, as the run itself trusts the key (key_trust_span): plan and run agree.
    bool const key_remembered =
        h->key_first_sent_t_ms > 0 && key_age < key_trust_span(options.idempotency_window);
    switch (h->phase) {
    case JobPhase::completed: {
        ResumeDecision d{ResumeAction::done, h->attempt, false, {}};
        if (options.downloads && !all_results_on_disk(*h, options.output_dir)) {
            auto const age = std::chrono::milliseconds(options.now_ms - h->finished_t_ms);
            d.expired = age > k_result_validity;
            d.download = !d.expired;
            d.expiring_soon = d.download && age > k_result_validity - k_expiry_warning;
            d.why = d.expired ? "its result links are older than 24 h" : "its result files are not all on disk";
        }
        return d;
    }
    case JobPhase::running: return {ResumeAction::poll, h->attempt, false, {}};
    case JobPhase::unsent: return {ResumeAction::resend, h->attempt, false, "its create made no task"};
    case JobPhase::submitting: {
        if (key_remembered) {
            return {ResumeAction::resend, h->attempt, false, "its create got no answer; the server still knows the key"};
        }
        if (resubmit_asked) {
            return forced_resend(h->attempt);
        }
        return {
            ResumeAction::uncertain, h->attempt, false,
            fmt::format(
                "its create got no answer {} ago, too close to api.idempotency_window ({}) or past it: the "
                "server may have forgotten the key",
                util::format_duration(std::chrono::duration_cast<std::chrono::seconds>(key_age)),
                util::format_duration(options.idempotency_window))};
    }
    case JobPhase::uncertain:
        if (resubmit_asked) {
            return forced_resend(h->attempt);
        }
        // An earlier run gave up on the answer (twice lost, or a 5xx with no window), but
        // inside the window the same key still finds the task if it was made.
        if (key_remembered) {
            return {ResumeAction::resend, h->attempt, false,
                    "its create got no answer in an earlier run; the server still knows the key"};
        }
        return {ResumeAction::uncertain, h->attempt, false,
                h->error ? h->error->message : std::string("the create got no answer")};
    case JobPhase::failed: {
        std::string const code = h->error ? h->error->code : std::string();
        std::string const why = h->error ? code + ": " + h->error->message : std::string("failed");
        if (options.retry_failed) {
            return {ResumeAction::retry, h->attempt + 1, false, why};
        }
        if (worth_a_new_attempt(code) && h->attempt < options.max_attempts) {
            return {ResumeAction::retry, h->attempt + 1, false, why};
        }
        return {ResumeAction::failed, h->attempt, false, why};
    }
    }
    return {};
}

ResumePlan plan_resume(std::vector<manifest::Job> const& jobs, ledger::Replay const& replay,
                       ResumeOptions const& options) {
    ResumePlan plan;
    plan.starts.reserve(jobs.size());
    std::unordered_set<std::string_view> in_manifest;
    for (manifest::Job const& job : jobs) {
        in_manifest.insert(job.id);
        ledger::JobHistory const* h = replay.find(job.id);
        ResumeDecision d = decide_resume(h, job.id, request_digest(request_of(job)), options);
        plan.changed += d.changed ? 1 : 0;
        switch (d.action) {
        case ResumeAction::submit: ++plan.submit; break;
        case ResumeAction::resend: ++plan.resend; break;
        case ResumeAction::poll:
            ++plan.poll;
            plan.credits_reserved += h->credits;
            break;
        case ResumeAction::retry: ++plan.retry; break;
        case ResumeAction::done:
            ++plan.done;
            plan.credits_reserved += h->credits;
            plan.download += d.download ? 1 : 0;
            plan.expired += d.expired ? 1 : 0;
            plan.expiring_soon += d.expiring_soon ? 1 : 0;
            break;
        case ResumeAction::failed: ++plan.failed; break;
        case ResumeAction::uncertain:
            ++plan.uncertain;
            plan.credits_reserved += api::k_max_credits_per_task;
            break;
        }
        ledger::JobHistory const* known = d.changed ? nullptr : h;
        plan.starts.push_back({std::move(d), known});
    }
    for (ledger::JobHistory const& h : replay.jobs) {
        plan.not_in_manifest += in_manifest.count(h.job) == 0 ? 1 : 0;
    }
    return plan;
}

} // namespace evobatch::sched
