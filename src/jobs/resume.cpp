#include "evobatch/jobs/resume.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/download/result_file.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/jobs/idempotency.hpp"
#include "evobatch/jobs/request_of.hpp"
#include "evobatch/jobs/task_errors.hpp"
#include "evobatch/util/duration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <unordered_set>

namespace evobatch::jobs {

namespace {

// A resend the user asked for (--resubmit-uncertain): sent however old its key. It is a new
// attempt under the same key: a server that forgot the key makes a second task, so the first
// create stays in the ledger as an attempt of its own, still at risk (replay keeps an attempt
// whose number changes, as one whose key does).
ResumeDecision forced_resend(int attempt) {
    ResumeDecision d{ResumeAction::resend, attempt + 1, false, "asked with --resubmit-uncertain"};
    d.forced = true;
    return d;
}

// Failure codes that no new attempt of the same request can fix, beyond the task's own codes.
bool worth_a_new_attempt(std::string_view code) {
    return code != "task_not_found" && code != "cancelled" && is_retryable_task_error(code);
}

// Whether a completed attempt's result files still need downloading (or can no longer be), as
// `d.download`/`d.expired`/`d.expiring_soon` with the reason in `d.why`. Only with downloads on.
void check_results(ledger::Attempt const& a, std::string_view job, ResumeOptions const& options,
                   DiskSnapshot const& disk, ResumeDecision& d) {
    if (!options.downloads || files_on_disk(a, job, disk).size() == a.results.size()) {
        return;
    }
    auto const age = std::chrono::milliseconds(options.now_ms - a.finished_t_ms);
    d.expired = age > k_result_validity;
    d.download = !d.expired;
    d.expiring_soon = d.download && age > k_result_validity - k_expiry_warning;
    d.why = d.expired ? "its result links are older than 24 h" : "its result files are not all on disk";
}

// Whether an attempt was, or may have been, paid for: a task made (running, completed) or a
// create whose answer was lost. Failed tasks are refunded; an unsent create made nothing.
bool maybe_paid(ledger::Attempt const& a) {
    using ledger::JobPhase;
    return a.phase == JobPhase::completed || a.phase == JobPhase::running || a.phase == JobPhase::submitting ||
           a.phase == JobPhase::uncertain;
}

// A job whose manifest entry changed since the ledger recorded it. Its earlier request's task
// is never dropped: still running, it is polled to the end (with its own request's events and
// file names) before the new request may be paid for. When any earlier request was, or may have
// been, paid for, the new one is sent only when asked (--rerun-changed), and not before the
// latest earlier request's results are on disk: a later run could no longer fetch them.
ResumeDecision decide_changed(ledger::JobHistory const& h, std::string_view job_id, ResumeOptions const& options,
                              DiskSnapshot const& disk) {
    using ledger::JobPhase;
    ResumeDecision d{ResumeAction::submit, 1, true, "the manifest entry changed since the ledger recorded it"};
    if (h.phase == JobPhase::running) {
        d.action = ResumeAction::poll;
        d.attempt = h.attempt;
        d.why = "the manifest entry changed while its earlier request's task runs: that task is polled to the "
                "end first (its result kept); the new request waits for a later run with --rerun-changed";
        return d;
    }
    bool const paid = maybe_paid(h) || std::any_of(h.earlier.begin(), h.earlier.end(), maybe_paid);
    if (!paid) {
        return d; // nothing was paid for: the new request goes out as a new job
    }
    bool const asked = options.rerun_all_changed || options.rerun_changed.count(std::string(job_id)) > 0;
    if (h.phase == JobPhase::completed) {
        check_results(h, job_id, options, disk, d);
    }
    if (asked && !d.download) {
        d.rerun = true;
        return d;
    }
    d.action = ResumeAction::hold;
    d.attempt = h.attempt;
    if (d.download) {
        d.why = "the manifest entry changed; its earlier request's results are downloaded first, then "
                "--rerun-changed pays for the new one (both results are kept)";
    } else if (h.phase == JobPhase::completed || d.expired) {
        d.why = "the manifest entry changed since an earlier request of it was paid for: --rerun-changed pays "
                "for the new one; both results are kept";
    } else {
        d.why = "the manifest entry changed since an earlier request of it was, or may have been, paid for (a "
                "create that got no answer may have made a task): --rerun-changed pays for the new one";
    }
    return d;
}

// A job the manifest no longer has: its paid task is still polled to the end and its results
// downloaded (a removed line in a manifest must not lose a result), but nothing is sent for it.
std::optional<JobStart> removed_start(ledger::JobHistory const& h, ResumeOptions const& options,
                                      DiskSnapshot const& disk) {
    ResumeDecision d{ResumeAction::hold, h.attempt, true, "no longer in the manifest"};
    if (h.phase == ledger::JobPhase::running) {
        d.action = ResumeAction::poll;
        d.why = "no longer in the manifest, its task still running: polled to the end, its result kept";
        return JobStart{std::move(d), &h, h.version, true};
    }
    if (h.phase == ledger::JobPhase::completed) {
        check_results(h, h.job, options, disk, d);
        if (d.download) {
            d.why = "no longer in the manifest, its results not on disk yet: downloaded";
            return JobStart{std::move(d), &h, h.version, true};
        }
    }
    return std::nullopt;
}

} // namespace

std::vector<ledger::Download const*> recorded_files(ledger::Attempt const& a, std::string_view job) {
    std::vector<ledger::Download const*> files;
    for (std::size_t i = 0; i < a.results.size(); ++i) {
        std::string const name = download::result_file_name(job, a.results[i], i + 1, a.version);
        auto const recorded = std::find_if(a.downloads.rbegin(), a.downloads.rend(), [&](ledger::Download const& d) {
            return std::filesystem::path(d.file).filename() == name;
        });
        if (recorded != a.downloads.rend()) {
            files.push_back(&*recorded);
        }
    }
    return files;
}

ResumeOptions resume_options_of(manifest::Manifest const& manifest, std::int64_t now_ms) {
    ResumeOptions o;
    o.idempotency_window = manifest.api.idempotency_window;
    o.max_attempts = static_cast<int>(manifest.limits.max_attempts);
    o.now_ms = now_ms;
    o.probe = manifest.preflight.probe;
    o.downloads = manifest.output.download;
    o.output_dir = manifest.output.dir;
    return o;
}

DiskSnapshot DiskSnapshot::of(ledger::Replay const& replay) {
    DiskSnapshot disk;
    auto const look = [&](ledger::Attempt const& a) {
        for (ledger::Download const& d : a.downloads) {
            if (disk.m_bytes.count(d.file) == 0) {
                std::error_code ec;
                auto const bytes = std::filesystem::file_size(d.file, ec);
                if (!ec) {
                    disk.m_bytes.emplace(d.file, bytes);
                }
            }
        }
    };
    for (ledger::JobHistory const& h : replay.jobs) {
        std::for_each(h.earlier.begin(), h.earlier.end(), look);
        look(h);
    }
    return disk;
}

void DiskSnapshot::put(std::string path, std::uintmax_t bytes) { m_bytes.insert_or_assign(std::move(path), bytes); }

bool DiskSnapshot::holds(ledger::Download const& file) const {
    auto const it = m_bytes.find(file.file);
    return it != m_bytes.end() && it->second == file.bytes;
}

std::vector<ledger::Download const*> files_on_disk(ledger::Attempt const& a, std::string_view job,
                                                   DiskSnapshot const& disk) {
    std::vector<ledger::Download const*> files = recorded_files(a, job);
    std::erase_if(files, [&](ledger::Download const* f) { return !disk.holds(*f); });
    return files;
}

std::vector<ledger::Download const*> files_on_disk(ledger::JobHistory const& h, DiskSnapshot const& disk) {
    std::vector<ledger::Download const*> files;
    for (ledger::Attempt const& a : h.earlier) {
        auto const more = files_on_disk(a, h.job, disk);
        files.insert(files.end(), more.begin(), more.end());
    }
    auto const current = files_on_disk(h, h.job, disk);
    files.insert(files.end(), current.begin(), current.end());
    return files;
}

std::string_view state_name(ledger::JobHistory const* h, ResumeDecision const& d) noexcept {
    if (h == nullptr || h->phase == ledger::JobPhase::probed) {
        return "new"; // probed alone, nothing sent
    }
    return d.changed ? "changed" : ledger::to_string(h->phase);
}

std::string_view to_string(ResumeAction action) noexcept {
    switch (action) {
    case ResumeAction::submit: return "submit";
    case ResumeAction::resend: return "resend";
    case ResumeAction::poll: return "poll";
    case ResumeAction::retry: return "retry";
    case ResumeAction::done: return "done";
    case ResumeAction::failed: return "failed";
    case ResumeAction::uncertain: return "uncertain";
    case ResumeAction::hold: return "hold";
    case ResumeAction::rejected: return "rejected";
    }
    return "?";
}

ResumeDecision decide_resume(ledger::JobHistory const* h, std::string_view job_id, std::string_view request_digest,
                             ResumeOptions const& options, DiskSnapshot const& disk) {
    using ledger::JobPhase;
    if (h == nullptr) {
        return {};
    }
    if (h->req != request_digest) {
        return decide_changed(*h, job_id, options, disk);
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
        check_results(*h, h->job, options, disk, d);
        return d;
    }
    case JobPhase::running: return {ResumeAction::poll, h->attempt, false, {}};
    case JobPhase::probed: return {ResumeAction::submit, h->attempt, false, {}};
    case JobPhase::rejected: {
        std::string const why = h->error ? h->error->code + ": " + h->error->message : std::string("rejected");
        if (!options.probe) {
            return {ResumeAction::rejected, h->attempt, false,
                    why + " (rejected by an earlier probe; not sent while probing is off)"};
        }
        ResumeDecision d{ResumeAction::submit, h->attempt, false, why + " (rejected earlier: probed again)"};
        d.reprobe = true;
        return d;
    }
    case JobPhase::unsent:
        // No task exists. While the server still keeps the key, the same key goes out again;
        // past that (a reconcile settles only creates whose key is no longer trusted) the key
        // is not reused: a new attempt, whose key derives from its number.
        if (key_remembered) {
            return {ResumeAction::resend, h->attempt, false, "its create made no task"};
        }
        return {ResumeAction::retry, h->attempt + 1, false,
                h->listed ? "its create made no task (the account's task list shows none); a new attempt under a "
                            "new key"
                          : "its create made no task; its key is too old to trust: a new attempt under a new key"};
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
        // Named by id: whatever the error (the user changed something we cannot see, say the
        // source file). `all`: not the input errors, which the same request meets again.
        bool const named = options.retry_failed.count(std::string(job_id)) > 0;
        if (named || (options.retry_all_failed && is_retryable_task_error(code))) {
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
                       ResumeOptions const& options, DiskSnapshot const* disk) {
    ResumePlan plan;
    plan.disk = disk != nullptr ? *disk : DiskSnapshot::of(replay);
    plan.starts.reserve(jobs.size());
    plan.credits = credits_of(replay);
    plan.credits_carried = plan.credits.against_ceiling();
    std::unordered_set<std::string_view> in_manifest;
    for (manifest::Job const& job : jobs) {
        in_manifest.insert(job.id);
        ledger::JobHistory const* h = replay.find(job.id);
        ResumeDecision d = decide_resume(h, job.id, request_digest(request_of(job)), options, plan.disk);
        plan.changed += d.changed ? 1 : 0;
        switch (d.action) {
        case ResumeAction::submit:
            ++plan.submit;
            plan.rerun += d.rerun ? 1 : 0;
            plan.reprobe += d.reprobe ? 1 : 0;
            break;
        case ResumeAction::rejected: ++plan.rejected; break;
        case ResumeAction::resend:
            ++plan.resend;
            // Sent again under a key the server still knows, it reserves its worst case itself:
            // the ledger's at-risk figure for this create must not count twice. A forced resend
            // may make a second task: both stay counted.
            if (!d.forced) {
                plan.credits_carried -= credits_of(static_cast<ledger::Attempt const&>(*h)).at_risk;
            }
            break;
        case ResumeAction::poll: ++plan.poll; break;
        case ResumeAction::retry: ++plan.retry; break;
        case ResumeAction::done:
            ++plan.done;
            plan.download += d.download ? 1 : 0;
            plan.expired += d.expired ? 1 : 0;
            plan.expiring_soon += d.expiring_soon ? 1 : 0;
            break;
        case ResumeAction::failed: ++plan.failed; break;
        case ResumeAction::uncertain: ++plan.uncertain; break;
        case ResumeAction::hold:
            ++plan.hold;
            plan.download += d.download ? 1 : 0; // its earlier request's results
            plan.expired += d.expired ? 1 : 0;
            plan.expiring_soon += d.expiring_soon ? 1 : 0;
            break;
        }
        // A changed job sent as new starts from nothing; one held or polled keeps its history.
        bool const fresh = d.changed && d.action == ResumeAction::submit;
        int const version = h == nullptr ? 1 : fresh ? h->version + 1 : h->version;
        plan.starts.push_back({std::move(d), fresh ? nullptr : h, version});
    }
    for (ledger::JobHistory const& h : replay.jobs) {
        if (in_manifest.count(h.job) > 0) {
            continue;
        }
        ++plan.not_in_manifest;
        if (auto start = removed_start(h, options, plan.disk)) {
            plan.removed_running += start->decision.action == ResumeAction::poll ? 1 : 0;
            plan.removed_to_download += start->decision.download ? 1 : 0;
            plan.removed.push_back(std::move(*start));
        }
    }
    return plan;
}

} // namespace evobatch::jobs
