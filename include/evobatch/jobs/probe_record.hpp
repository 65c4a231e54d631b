#pragma once
// A source's probe as the ledger keeps it (`probed` events), and back: what `run` writes after
// each probe, and what a later `run` or `plan` reuses while the host's validators still match
// (design.md "Ledger"). Pure: no I/O.

#include "evobatch/ledger/event.hpp"
#include "evobatch/probe/job_probe.hpp"

#include <optional>
#include <string_view>

namespace evobatch::ledger {
struct ProbeRecord;
struct Replay;
} // namespace evobatch::ledger

namespace evobatch::jobs {

// The `probed` event of one source of `job` (whose request digest is `req`).
ledger::Event probed_event(probe::SourceResult const& source, std::string_view job, std::string_view req);

// The source as `record` left it, for a probe that the host confirms unchanged: only a probe
// that got the host's facts and validators to check them by is worth reusing (nothing else).
// `is_video`: the manifest's word on what the URL is for.
std::optional<probe::SourceResult> remembered_source(ledger::ProbeRecord const& record, bool is_video);

// probe::SourceAccess::recall over a replayed ledger's probes (`replay` outlives its use):
// what `run` and `plan --probe` offer the host to confirm.
decltype(probe::SourceAccess::recall) recall_from(ledger::Replay const& replay);

} // namespace evobatch::jobs
