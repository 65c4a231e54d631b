#include "ledger_state.hpp"

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

sched::ResumeOptions resume_options(manifest::Manifest const& manifest) {
    sched::ResumeOptions o;
    o.idempotency_window = manifest.api.idempotency_window;
    o.max_attempts = static_cast<int>(manifest.limits.max_attempts);
    o.now_ms = ledger::now_ms();
    o.downloads = manifest.output.download;
    o.output_dir = manifest.output.dir;
    return o;
}

} // namespace evobatch::cli
