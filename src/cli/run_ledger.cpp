#include "run_ledger.hpp"

#include "batch_options.hpp"
#include "ledger_state.hpp"

#include "evobatch/api/pricing.hpp"
#include "evobatch/cli/exit_code.hpp"
#include "evobatch/jobs/credits.hpp"
#include "evobatch/jobs/task_errors.hpp"
#include "evobatch/ledger/ledger_writer.hpp"
#include "evobatch/plan/batch_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <cstdio>

namespace evobatch::cli {

std::optional<Resume> read_resume(ledger::LedgerWriter const& writer, manifest::Manifest const& m,
                                  RunOptions const& o) {
    auto replay = read_ledger(writer.path());
    if (!replay) {
        return std::nullopt;
    }
    auto resume = std::make_optional<Resume>();
    resume->replay = std::move(*replay);
    if (auto const torn = writer.stats().dropped_tail_bytes; torn > 0) {
        fmt::print(stderr, "evobatch: notice: the ledger's last line was cut off ({} bytes, a write a crash "
                           "interrupted); it was never reported durable and is ignored\n",
                   torn);
    }
    auto const options = resume_options_for(m, o.batch);
    if (!options) {
        return std::nullopt;
    }
    resume->options = *options;
    resume->plan = jobs::plan_resume(m.jobs, resume->replay, *options);
    auto const& p = resume->plan;
    if (!resume->replay.jobs.empty()) {
        fmt::print(stderr, "resuming from {}: {} completed ({} with results to download), {} to poll, {} to send again "
                           "(same key), {} to retry, {} new, {} failed, {} uncertain, {} held (changed); ledger's "
                           "credits: {}\n",
                   writer.path().string(), p.done, p.download, p.poll, p.resend, p.retry, p.submit, p.failed,
                   p.uncertain, p.hold, jobs::credits_text(p.credits));
        if (p.expired > 0) {
            fmt::print(stderr, "evobatch: warning: {} completed job{} never downloaded and their result links are older "
                               "than 24 h: reported as expired\n",
                       p.expired, p.expired == 1 ? " was" : "s were");
        }
        if (p.changed > p.hold) {
            fmt::print(stderr, "evobatch: notice: {} job{} changed in the manifest since the ledger recorded them: "
                               "submitted as new requests{}\n",
                       p.changed - p.hold, p.changed - p.hold == 1 ? "" : "s",
                       p.rerun > 0 ? fmt::format(" ({} paid for again as --rerun-changed asks; earlier results kept)",
                                                 p.rerun)
                                   : std::string());
        }
        // The commands that list them, for this manifest and ledger.
        std::string const batch = shell_quote(o.batch.manifest) +
                                  (o.batch.ledger.empty() ? std::string() : " --ledger " + shell_quote(o.batch.ledger));
        if (!p.removed.empty()) {
            fmt::print(stderr, "evobatch: notice: {} job{} the manifest no longer has: {} paid task{} still running "
                               "(polled to the end), {} with results to download; nothing is sent for them\n",
                       p.removed.size(), p.removed.size() == 1 ? "" : "s", p.removed_running,
                       p.removed_running == 1 ? "" : "s", p.removed_to_download);
        }
        if (p.hold > 0) {
            fmt::print(stderr, "evobatch: warning: {} job{} changed in the manifest after an earlier request was paid "
                               "for: not sent (--rerun-changed pays for them again; `evobatch plan {}` lists them)\n",
                       p.hold, p.hold == 1 ? "" : "s", batch);
        }
        if (p.uncertain > 0) {
            fmt::print(stderr, "evobatch: warning: {} job{} uncertain (`evobatch status {} --state uncertain` lists "
                               "them and their candidate tasks); --adopt JOB=TASK settles one, --resubmit-uncertain "
                               "(all, or =ID,...) sends them again under the same key\n",
                       p.uncertain, p.uncertain == 1 ? " is" : "s are", batch);
        }
    }
    return resume;
}

Ending ending_of(progress::Summary run, manifest::Manifest const& m, jobs::ResumeOptions const& options,
                 std::chrono::seconds wall, std::filesystem::path const& ledger) {
    Ending out{std::move(run), {}};
    progress::Summary& s = out.summary;
    s.wall = wall;
    s.ledger = ledger.string();
    s.exit_code = exit_code_of(s);
    s.downloads = m.output.download;
    s.output_dir = m.output.dir.string();

    RunEnd& e = out.end;
    e.exit_code = s.exit_code;
    e.interrupted = s.interrupted;
    e.api_stopped = s.api_stopped;
    e.ceiling_reached = s.ceiling_reached;
    e.ceiling = m.limits.max_credits;
    e.failed = s.failed;
    e.uncertain = s.uncertain;
    e.rejected = s.rejected;
    e.unfinished = s.unsubmitted + s.running + s.download_failed;
    auto const replay = read_ledger(ledger);
    if (!replay) {
        return out;
    }
    // What a run would do by itself: the one-off selections (--retry-failed, --resubmit-uncertain,
    // --rerun-changed) are what the Next: lines offer, not what they assume.
    jobs::ResumeOptions next_options = options;
    next_options.now_ms = ledger::now_ms();
    next_options.retry_all_failed = false;
    next_options.retry_failed.clear();
    next_options.resubmit_all_uncertain = false;
    next_options.resubmit_uncertain.clear();
    next_options.rerun_all_changed = false;
    next_options.rerun_changed.clear();
    auto const next = jobs::plan_resume(m.jobs, *replay, next_options);
    plan::BatchPlan const batch = plan::plan_batch(m, ledger_counts(next), remembered_costs(m, next, *replay));
    s.credits = next.credits.charged;
    s.credits_reserved = next.credits.reserved;
    s.credits_refunded = next.credits.refunded;
    s.credits_at_risk = next.credits.at_risk;
    s.credits_text = fmt::format("{} ({} charged)", jobs::credits_text(next.credits),
                                 jobs::usd_text(next.credits.charged, m.api.credits_per_usd));
    s.downloaded = 0; // the ledger's files on disk, as `status` counts them, replace the run's count
    s.download_bytes = 0;
    for (std::size_t i = 0; i < m.jobs.size(); ++i) {
        ledger::JobHistory const* h = replay->find(m.jobs[i].id);
        if (h == nullptr) {
            continue;
        }
        if (h->phase == ledger::JobPhase::failed && !next.starts[i].decision.changed) {
            e.failed_fixable += h->error && !jobs::is_retryable_task_error(h->error->code) ? 0 : 1;
        }
        for (ledger::Download const* f : jobs::files_on_disk(*h, next.disk)) {
            ++s.downloaded;
            s.download_bytes += f->bytes;
        }
    }
    // What the next run would add: its sends at the most a task costs, on top of what the ledger's
    // tasks use; the held jobs' on top of that if they are paid for again.
    e.against_ceiling = batch.credits_carried;
    e.ceiling_to_cover = batch.credits_to_cover;
    e.held = next.hold;
    e.held_cost = static_cast<std::int64_t>(next.hold) * api::k_max_credits_per_task;
    e.pending_cost = batch.credits_expected; // at the exact cost earlier probes found, else the most
    // Rejected jobs are probed again by the next run, but only a fixed source makes them go.
    std::size_t const to_send = batch.to_submit - std::min(batch.to_submit, next.reprobe);
    e.unfinished += to_send > 0 && !s.ceiling_reached && !s.api_stopped && !s.interrupted ? to_send : 0;
    return out;
}

} // namespace evobatch::cli
