#include "ledger_state.hpp"

#include "next_steps.hpp"
#include "report_diagnostics.hpp"

#include "evobatch/jobs/probe_record.hpp"

#include "evobatch/manifest/loader.hpp"
#include "evobatch/manifest/manifest.hpp"

#include <fmt/format.h>

namespace evobatch::cli {

std::optional<ledger::Replay> read_ledger(std::filesystem::path const& path) {
    try {
        return ledger::replay_file(path);
    } catch (ledger::ReplayError const& e) {
        // The message names the line (and byte) itself; the prefix makes it clickable.
        if (e.line() > 0) {
            fmt::print(stderr, "{}:{}: error: {}\n", path.string(), e.line(), e.what());
        } else {
            fmt::print(stderr, "{}: error: {}\n", path.string(), e.what());
        }
        return std::nullopt;
    }
}

std::optional<Batch> load_batch(std::string const& manifest_path, std::string const& ledger_override,
                                std::string const& program) {
    constexpr std::size_t k_warnings_in_full = 3;
    manifest::LoadResult loaded = manifest::load_manifest(manifest_path, {.offline = true});
    if (!loaded.ok() || loaded.diagnostics.size() <= k_warnings_in_full) {
        print_diagnostics(loaded.diagnostics, 100);
    } else {
        fmt::print(stderr, "{}: {} warnings (`{} validate {}` lists them)\n", manifest_path, loaded.diagnostics.size(),
                   shell_quote(program), shell_quote(manifest_path));
    }
    if (!loaded.ok()) {
        fmt::print(stderr, "{}: the manifest has errors\n", manifest_path);
        return std::nullopt;
    }
    std::filesystem::path ledger_path =
        ledger_override.empty() ? loaded.manifest->output.ledger : std::filesystem::path(ledger_override);
    std::error_code ec;
    if (!std::filesystem::exists(ledger_path, ec)) {
        if (!ledger_override.empty()) {
            // A ledger named on purpose that is not there: a typo, or another folder. An empty
            // batch would look like "nothing ran", which is not what happened.
            fmt::print(stderr, "evobatch: error: the ledger {} (--ledger) does not exist; check the path, or leave "
                               "--ledger out to read the manifest's own ({})\n",
                       ledger_path.string(), loaded.manifest->output.ledger.string());
            return std::nullopt;
        }
        fmt::print(stderr, "evobatch: notice: no ledger at {} (output.ledger) yet: no run has recorded anything, so "
                           "every job is new; a run that used --ledger is read with the same --ledger\n",
                   ledger_path.string());
    }
    auto replay = read_ledger(ledger_path);
    if (!replay) {
        return std::nullopt;
    }
    return Batch{std::move(*loaded.manifest), std::move(ledger_path), std::move(*replay)};
}

jobs::ResumeOptions resume_options(manifest::Manifest const& manifest) {
    return jobs::resume_options_of(manifest, ledger::now_ms());
}

plan::LedgerCounts ledger_counts(jobs::ResumePlan const& r) {
    plan::LedgerCounts c;
    c.resend = r.resend;
    c.poll = r.poll;
    c.retry = r.retry;
    c.done = r.done;
    c.failed = r.failed;
    c.uncertain = r.uncertain;
    c.changed = r.changed;
    c.hold = r.hold;
    c.reprobe = r.reprobe;
    c.rejected = r.rejected;
    c.rerun = r.rerun;
    c.download = r.download;
    c.expired = r.expired;
    c.expiring_soon = r.expiring_soon;
    c.credits_carried = r.credits_carried;
    return c;
}

bool sends(jobs::ResumeAction action) noexcept {
    using jobs::ResumeAction;
    return action == ResumeAction::submit || action == ResumeAction::resend || action == ResumeAction::retry;
}

std::optional<std::vector<plan::JobCost>> remembered_costs(manifest::Manifest const& m, jobs::ResumePlan const& r,
                                                           ledger::Replay const& replay) {
    if (!m.preflight.probe) {
        return std::nullopt;
    }
    std::vector<plan::JobCost> costs;
    bool any = false;
    for (std::size_t i = 0; i < m.jobs.size(); ++i) {
        jobs::ResumeDecision const& d = r.starts[i].decision;
        if (!sends(d.action)) {
            continue;
        }
        ledger::ProbeRecord const* record = replay.find_probe(m.jobs[i].video_url);
        auto const source = record != nullptr && d.action != jobs::ResumeAction::resend && !d.reprobe
                                ? jobs::remembered_source(*record, true)
                                : std::nullopt;
        bool const known = source && source->verdict.usability != probe::Usability::rejected && source->verdict.credits;
        costs.push_back(known ? plan::JobCost::exact(*source->verdict.credits) : plan::JobCost::unknown());
        any = any || known;
    }
    return any ? std::optional(std::move(costs)) : std::nullopt;
}

} // namespace evobatch::cli
