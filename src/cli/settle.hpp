#pragma once
// Settling the jobs whose create may have made a task nobody recorded, before `run` sends
// anything and in `status --reconcile`: a person's `--adopt JOB=TASK` decisions first, then the
// account's task list read (sched/list_read.hpp) and matched (jobs/reconcile.hpp), each decision
// written to the ledger with its evidence (jobs/reconcile_record.hpp) and said in one line.
// Internal to src/cli.

#include "evobatch/jobs/resume.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/manifest.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace evobatch::api {
class ApiClient;
} // namespace evobatch::api
namespace evobatch::ledger {
class LedgerWriter;
} // namespace evobatch::ledger

namespace evobatch::cli {

struct SettleOptions {
    int max_list_pages = 100;       // --max-list-pages
    std::vector<std::string> adopt; // --adopt JOB=TASK, as typed
};

struct Settled {
    std::size_t to_settle = 0; // jobs the rules call uncertain before anything was decided
    std::size_t adopted = 0, unsent = 0, ambiguous = 0, undecided = 0;
    std::size_t asked = 0; // adopted by --adopt
    int list_requests = 0;
    bool key_refused = false; // the API refused the key: stop
    bool bad_input = false;   // an --adopt that cannot be: said, nothing written for it
    [[nodiscard]] bool wrote() const noexcept { return adopted + unsent + ambiguous + asked > 0; }
};

// Reads, decides and writes; prints what it did on stderr. `replay` is the ledger as it stands
// (the writer holds its lock); a caller replays it again afterwards to see the decisions.
boost::asio::awaitable<Settled> settle_uncertain(api::ApiClient& api, ledger::LedgerWriter& ledger,
                                                 manifest::Manifest const& manifest, ledger::Replay const& replay,
                                                 jobs::ResumeOptions const& resume, SettleOptions const& options);

// `status --reconcile`: the same on an io_context of its own, under the ledger's lock (refused
// while a run holds it: that run settles its jobs itself). An exit code: 0 done, else what
// went wrong was printed.
int settle_standalone(manifest::Manifest const& manifest, std::filesystem::path const& ledger,
                      SettleOptions const& options);

} // namespace evobatch::cli
