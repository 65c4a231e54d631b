#include "evobatch/cli/exit_code.hpp"

#include "evobatch/progress/summary.hpp"

namespace evobatch::cli {

ExitCode exit_code_of(progress::Summary const& o) noexcept {
    if (o.api_stopped) {
        return exit_api_stopped;
    }
    if (o.interrupted || o.unsubmitted > 0 || o.running > 0 || o.download_failed > 0) {
        return exit_interrupted;
    }
    bool const owed = o.failed > 0 || o.uncertain > 0 || o.expired > 0 || o.held > 0 || o.rejected > 0;
    return owed ? exit_jobs_failed : exit_ok;
}

} // namespace evobatch::cli
