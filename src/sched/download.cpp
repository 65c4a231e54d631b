// Downloading a completed job's results while the batch goes on; each file that is safely on
// disk gets a durable `downloaded` event (file, bytes, sha256).

#include "detail/run_state.hpp"

#include "evobatch/download/downloader.hpp"
#include "evobatch/download/result_file.hpp"
#include "evobatch/manifest/manifest.hpp"

#include <fmt/format.h>

namespace evobatch::sched::detail {

namespace asio = boost::asio;

void RunState::start_download(JobRecord& r) {
    if (downloader == nullptr || r.results.empty()) {
        return;
    }
    ++downloads_running;
    spawn(download_results(static_cast<std::size_t>(&r - records.data())));
}

asio::awaitable<void> RunState::download_results(std::size_t index) {
    JobRecord& r = records[index];
    for (std::size_t i = 0; i < r.results.size(); ++i) {
        std::string const& url = r.results[i];
        auto const target = download::path_inside(output_dir, download::result_file_name(r.job->id, url, i + 1, r.version));
        if (!target) {
            ++download_failed; // cannot happen with our job ids; never write outside output.dir
            view.note({r.job->id, "warning", r.task, "no safe file name for its result; not downloaded"});
            continue;
        }
        // A file already there from an earlier run is fetched again: its `downloaded` event may
        // have been lost with a crash, and a fresh copy is the cheap way to a known hash.
        auto const result = co_await downloader->fetch(r.task, url, *target);
        if (result.ok) {
            auto e = event(ledger::EventType::downloaded, r);
            e.file = result.file.string();
            e.bytes = result.bytes;
            e.sha256 = result.sha256;
            co_await record(std::move(e));
            ++files_downloaded;
        } else if (result.expired) {
            ++expired;
            view.note({r.job->id, "failed", r.task, "result not downloaded: " + result.error});
        } else {
            ++download_failed;
            view.note({r.job->id, "warning", r.task, "result not downloaded yet: " + result.error});
        }
    }
    --downloads_running;
    changed.notify_all();
}

asio::awaitable<void> RunState::verify_earlier_downloads() {
    // One job at a time: the batch's new downloads need the disk and the pool more.
    for (JobRecord& r : records) {
        if (r.files_to_verify.empty() || done) {
            continue;
        }
        bool all_intact = true;
        for (auto const& [file, sha256] : r.files_to_verify) {
            all_intact = all_intact && co_await downloader->intact(file, sha256);
        }
        if (!all_intact) {
            files_downloaded -= r.files_to_verify.size();
            view.note({r.job->id, "warning", r.task, "a result file changed on disk since it was downloaded; "
                                                     "downloading it again"});
            start_download(r);
        }
        r.files_to_verify.clear();
    }
    verifying = false;
    changed.notify_all();
}

} // namespace evobatch::sched::detail
