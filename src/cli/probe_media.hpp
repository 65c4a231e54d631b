#pragma once
// Probing jobs' media from the command line, as `probe` and `plan --probe` both do: the
// --max-probes flag, and the jobs probed on an io_context of their own (the TLS context the
// manifest's api.ca_file trusts), with a progress line on stderr when it is a terminal.

#include "evobatch/manifest/manifest.hpp"
#include "evobatch/probe/job_probe.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}
namespace evobatch::ledger {
struct Replay;
} // namespace evobatch::ledger

namespace evobatch::cli {

// A job's verdict in one word, as `probe` and `plan --probe` print it: usable, warned,
// rejected or unprobed.
char const* verdict_name(probe::JobProbe const& probe);

// A job's reasons in one line, "; " between them, made safe for a terminal (they hold what
// the media hosts answered).
std::string reasons_text(probe::JobProbe const& probe);

// The duration of a job's source video, when its host answered and its header holds one.
std::optional<std::chrono::milliseconds> video_duration(probe::JobProbe const& probe);

// `--max-probes N` (1..256) into `max_probes`; 0, its default, means limits.max_probes.
void add_max_probes_option(CLI::App& command, std::size_t& max_probes);

// Probes `jobs` (some or all of `manifest`'s) with `max_probes` at once (0: limits.max_probes)
// and returns their results in order; a source `earlier` (a replayed ledger, may be null) has a
// probe of is revalidated and reused when its host says it is unchanged. The progress line is
// shown only when `progress` is set, stderr is a terminal and there is more than one job; it
// is erased at the end.
std::vector<probe::JobProbe> probe_media(manifest::Manifest const& manifest, std::vector<manifest::Job> const& jobs,
                                         std::size_t max_probes, bool progress, ledger::Replay const* earlier = nullptr);

} // namespace evobatch::cli
