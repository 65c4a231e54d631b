#include "evobatch/report/report_model.hpp"

#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/jobs/request_of.hpp"
#include "evobatch/jobs/resume.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <unordered_set>

namespace evobatch::report {

namespace {


TaskRun run_of(ledger::Attempt const& a, bool current) {
    TaskRun run;
    run.version = a.version;
    run.attempt = a.attempt;
    run.task = a.task;
    run.phase = std::string(ledger::to_string(a.phase));
    run.submitting_t_ms = a.submitting_t_ms;
    run.estimated_s = a.eta_s;
    if (!a.task.empty()) {
        run.submitted_t_ms = a.submitted_t_ms;
        bool const finished = a.phase == ledger::JobPhase::completed || a.phase == ledger::JobPhase::failed;
        if (finished && a.finished_t_ms >= a.submitted_t_ms && a.submitted_t_ms > 0) {
            run.finished_t_ms = a.finished_t_ms;
            run.actual_s = static_cast<double>(a.finished_t_ms - a.submitted_t_ms) / 1000.0;
        }
    }
    jobs::CreditTotals const c = jobs::credits_of(a);
    run.credits = c.charged + c.reserved;
    run.refunded = c.refunded;
    run.error = a.error;
    run.current = current;
    return run;
}

// The attempt's result files as every command counts them (jobs::recorded_files: the latest
// record per result), each marked with whether it is still on disk.
void add_files(Row& row, ledger::Attempt const& a, std::string_view job, jobs::DiskSnapshot const& disk) {
    for (ledger::Download const* d : jobs::recorded_files(a, job)) {
        row.files.push_back(ResultFile{d->file, d->bytes, d->sha256, a.version, disk.holds(*d)});
    }
}

// Where a completed job's result files stand, as `run` would see them.
void set_files_note(Row& row, jobs::ResumeDecision const& d, bool downloads) {
    row.to_download = d.download;
    row.expiring_soon = d.expiring_soon;
    row.expired = d.expired;
    row.files_note = !downloads       ? "not downloaded (output.download: false)"
                     : d.expired      ? "expired: links older than 24 h"
                     : d.expiring_soon ? "to download: links expire within 2 h"
                     : d.download     ? "to download"
                                      : "downloaded";
}

std::string changed_note(jobs::ResumeDecision const& d) {
    return d.action == jobs::ResumeAction::hold   ? "held: " + d.why
           : d.action == jobs::ResumeAction::poll ? d.why
                                                   : std::string("the next run sends the new request");
}

// A job the manifest no longer has: what the next run still owes it (ResumePlan::removed).
std::string removed_note(jobs::JobStart const* owed) {
    if (owed == nullptr) {
        return "no longer in the manifest; nothing left to do";
    }
    return owed->decision.action == jobs::ResumeAction::poll
               ? "no longer in the manifest; its task runs: the next run polls it to the end"
               : "no longer in the manifest; the next run downloads its results";
}

Row row_of(manifest::Job const& job, ledger::JobHistory const* h, jobs::ResumeDecision const& d,
           jobs::DiskSnapshot const& disk, std::int64_t now_ms) {
    Row row;
    row.id = job.id;
    row.state = std::string(jobs::state_name(h, d));
    api::CreateRequest const request = jobs::request_of(job);
    row.prompt = request.prompt;
    row.video = request.video_urls.empty() ? std::string() : request.video_urls.front();
    if (h == nullptr) {
        return row;
    }
    if (d.changed) {
        row.note = changed_note(d);
        row.next_run = std::string(jobs::to_string(d.action));
        row.why = d.why;
    } else if (h->phase == ledger::JobPhase::rejected) {
        row.note = d.action == jobs::ResumeAction::rejected
                       ? "rejected by its probe; not sent while probing is off"
                       : "rejected by its probe; the next run probes it again and sends it only if usable";
    }
    for (ledger::Attempt const& a : h->earlier) {
        row.runs.push_back(run_of(a, false));
        add_files(row, a, job.id, disk);
    }
    if (!h->key.empty() || !h->task.empty()) {
        row.runs.push_back(run_of(*h, true));
    }
    add_files(row, *h, job.id, disk);
    jobs::CreditTotals const c = jobs::credits_of(*h);
    row.credits = c.charged + c.reserved;
    row.refunded = c.refunded;
    row.task = h->task;
    row.attempts = h->attempt;
    row.progress = h->progress;
    row.last_t_ms = h->last_t_ms;
    row.result_urls = h->results;
    if (h->phase == ledger::JobPhase::running && h->eta_s && *h->eta_s > 0) {
        row.stale = static_cast<double>(now_ms - h->submitted_t_ms) > k_stale_factor * *h->eta_s * 1000.0;
    }
    if (!row.runs.empty() && row.runs.back().current) {
        TaskRun const& now = row.runs.back();
        row.submitted_t_ms = now.submitted_t_ms;
        row.finished_t_ms = now.finished_t_ms;
        row.actual_s = now.actual_s;
    }
    row.estimated_s = h->eta_s;
    row.error = h->error;
    if (row.state == "uncertain" && h->listed) {
        row.candidates = h->listed->candidates;
    }
    return row;
}

} // namespace

Report build_report(manifest::Manifest const& manifest, ledger::Replay const& replay,
                    std::filesystem::path const& ledger_path, std::int64_t now_ms) {
    Report report;
    report.manifest = manifest.path.string();
    report.ledger = ledger_path.string();
    report.generated_t_ms = now_ms;
    report.events = replay.events;
    report.rows.reserve(manifest.jobs.size());

    jobs::ResumeOptions const options = jobs::resume_options_of(manifest, now_ms);
    jobs::ResumePlan const resume = jobs::plan_resume(manifest.jobs, replay, options);
    Totals& t = report.totals;
    t.credits = resume.credits;
    t.credits_per_usd = manifest.api.credits_per_usd;
    std::map<std::string, std::size_t, std::less<>> states;
    std::map<std::string, std::vector<std::string>> reasons;
    auto add_row = [&](Row row) {
        ++states[row.state];
        for (TaskRun const& run : row.runs) {
            t.tasks += run.task.empty() ? 0 : 1;
        }
        for (ResultFile const& f : row.files) {
            t.files += f.on_disk ? 1 : 0;
            t.bytes += f.on_disk ? f.bytes : 0;
        }
        if ((row.state == "failed" || row.state == "uncertain" || row.state == "rejected") && row.error) {
            reasons[row.error->code].push_back(row.id);
        }
        report.rows.push_back(std::move(row));
    };
    for (std::size_t i = 0; i < manifest.jobs.size(); ++i) {
        manifest::Job const& job = manifest.jobs[i];
        jobs::ResumeDecision const& d = resume.starts[i].decision;
        Row row = row_of(job, replay.find(job.id), d, resume.disk, now_ms);
        if (d.action == jobs::ResumeAction::done) {
            set_files_note(row, d, options.downloads);
        }
        add_row(std::move(row));
    }
    // Jobs the manifest no longer has: their tasks were paid for all the same (after the
    // manifest's rows, in the ledger's order; no prompt or video: the manifest held them).
    std::unordered_set<std::string_view> in_manifest;
    for (manifest::Job const& job : manifest.jobs) {
        in_manifest.insert(job.id);
    }
    for (ledger::JobHistory const& h : replay.jobs) {
        if (in_manifest.count(h.job) > 0) {
            continue;
        }
        manifest::Job gone;
        gone.id = h.job;
        Row row = row_of(gone, &h, jobs::ResumeDecision{}, resume.disk, now_ms);
        row.state = "removed";
        auto const owed = std::find_if(resume.removed.begin(), resume.removed.end(),
                                       [&](jobs::JobStart const& s) { return s.history == &h; });
        row.note = removed_note(owed == resume.removed.end() ? nullptr : &*owed);
        row.to_download = owed != resume.removed.end() && owed->decision.download;
        add_row(std::move(row));
    }
    t.jobs = manifest.jobs.size(); // the manifest's; removed rows are extra
    for (std::string_view s : k_state_names) {
        if (auto it = states.find(s); it != states.end()) {
            t.states.emplace_back(it->first, it->second);
        }
    }
    for (auto& [code, jobs] : reasons) {
        t.failure_reasons.push_back(FailureReason{code, std::move(jobs)});
    }
    std::stable_sort(t.failure_reasons.begin(), t.failure_reasons.end(),
                     [](FailureReason const& a, FailureReason const& b) { return a.jobs.size() > b.jobs.size(); });

    // The whole ledger's span, jobs outside the manifest included: the wall time the batch took.
    auto see = [&t](std::int64_t ms) {
        if (ms <= 0) {
            return;
        }
        t.first_t_ms = t.first_t_ms == 0 ? ms : std::min(t.first_t_ms, ms);
        t.last_t_ms = std::max(t.last_t_ms, ms);
    };
    for (ledger::BatchStart const& b : replay.batches) {
        see(b.t_ms);
    }
    for (ledger::JobHistory const& h : replay.jobs) {
        see(h.first_t_ms);
        see(h.last_t_ms);
        for (ledger::Attempt const& a : h.earlier) {
            see(a.submitting_t_ms);
        }
    }
    t.wall_s = static_cast<double>(t.last_t_ms - t.first_t_ms) / 1000.0;
    return report;
}

std::string iso8601_utc(std::int64_t t_ms) {
    using namespace std::chrono;
    sys_time<milliseconds> const tp{milliseconds(t_ms)};
    sys_days const day = floor<days>(tp);
    year_month_day const ymd{day};
    hh_mm_ss<milliseconds> const time{tp - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       time.hours().count(), time.minutes().count(), time.seconds().count(),
                       time.subseconds().count());
}

std::string iso8601_utc_s(std::int64_t unix_s) {
    constexpr std::int64_t k_year_10000 = 253'402'300'800; // 10000-01-01T00:00:00Z
    if (unix_s < 0 || unix_s >= k_year_10000) {
        return std::to_string(unix_s);
    }
    std::string text = iso8601_utc(unix_s * 1000);
    text.erase(text.size() - 5, 4); // ".000" of "...:00.000Z"
    return text;
}

std::string candidate_detail(ledger::ListedCandidate const& c) {
    std::string text = "created " + iso8601_utc_s(c.created_at);
    if (c.duration) {
        text += fmt::format(", {} s", *c.duration);
    }
    if (!c.fits_length) {
        text += ": not its clip's length";
    }
    return text;
}

bool task_span(TaskRun const& run, Totals const& totals, std::int64_t& start_ms, std::int64_t& end_ms) {
    if (run.task.empty() || run.submitted_t_ms <= 0) {
        return false;
    }
    start_ms = run.submitted_t_ms;
    end_ms = run.finished_t_ms > 0 ? run.finished_t_ms : std::max(totals.last_t_ms, run.submitted_t_ms);
    return true;
}

} // namespace evobatch::report
