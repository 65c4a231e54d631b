#include "ledger_state.hpp"

#include "report_diagnostics.hpp"

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

std::optional<Batch> load_batch(std::string const& manifest_path, std::string const& ledger_override) {
    manifest::LoadResult loaded = manifest::load_manifest(manifest_path);
    print_diagnostics(loaded.diagnostics, 100); // errors, or warnings worth seeing
    if (!loaded.ok()) {
        fmt::print(stderr, "{}: the manifest has errors\n", manifest_path);
        return std::nullopt;
    }
    std::filesystem::path ledger_path =
        ledger_override.empty() ? loaded.manifest->output.ledger : std::filesystem::path(ledger_override);
    auto replay = read_ledger(ledger_path);
    if (!replay) {
        return std::nullopt;
    }
    return Batch{std::move(*loaded.manifest), std::move(ledger_path), std::move(*replay)};
}

sched::ResumeOptions resume_options(manifest::Manifest const& manifest) {
    sched::ResumeOptions o;
    o.idempotency_window = manifest.api.idempotency_window;
    o.max_attempts = static_cast<int>(manifest.limits.max_attempts);
    o.now_ms = ledger::now_ms();
    o.downloads = manifest.output.download;
    o.output_dir = manifest.output.dir;
    return o;
}

plan::LedgerCounts ledger_counts(sched::ResumePlan const& r) {
    return {r.resend,  r.poll,     r.retry,   r.done,          r.failed,          r.uncertain,
            r.changed, r.download, r.expired, r.expiring_soon, r.credits_reserved};
}

} // namespace evobatch::cli
