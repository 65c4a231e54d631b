// Downloading a completed job's results while the batch goes on; each file that is safely on
// disk gets a durable `downloaded` event (file, bytes, sha256).

#include "detail/result_downloads.hpp"

#include "evobatch/download/downloader.hpp"
#include "evobatch/download/result_file.hpp"
#include "evobatch/manifest/manifest.hpp"

#include <fmt/format.h>

namespace evobatch::sched::detail {

namespace asio = boost::asio;

ResultDownloads::ResultDownloads(RunContext& run) : m_run(run) {
    for (JobRecord const& r : run.table.records()) {
        m_files_downloaded += r.files_to_verify.size(); // until a hash says otherwise
        m_expired += r.expired_results;
    }
}

void ResultDownloads::download_to(download::Downloader& downloader, std::filesystem::path dir) {
    m_downloader = &downloader;
    m_output_dir = std::move(dir);
}

void ResultDownloads::start(JobRecord& r) {
    if (m_downloader == nullptr || r.results.empty()) {
        return;
    }
    ++m_running;
    m_run.children.spawn(download_results(m_run.table.index_of(r)));
}

void ResultDownloads::start_earlier() {
    for (JobRecord& r : m_run.table.records()) {
        if (r.needs_download) {
            start(r); // completed in an earlier run, files still missing
        }
    }
    if (m_downloader != nullptr) {
        m_verifying = true;
        m_run.children.spawn(verify_earlier_downloads());
    }
}

void ResultDownloads::stop() {
    if (m_downloader != nullptr) {
        m_downloader->stop();
    }
}

std::uint64_t ResultDownloads::bytes() const { return m_downloader != nullptr ? m_downloader->stats().bytes : 0; }

double ResultDownloads::rate(TimePoint now) {
    std::uint64_t const total = bytes();
    m_recent_bytes.emplace_back(now, total);
    while (m_recent_bytes.size() > 1 && now - m_recent_bytes.front().first > k_rate_window) {
        m_recent_bytes.pop_front();
    }
    double const span = std::chrono::duration<double>(now - m_recent_bytes.front().first).count();
    return span > 0.5 ? static_cast<double>(total - m_recent_bytes.front().second) / span : 0.0;
}

asio::awaitable<void> ResultDownloads::download_results(std::size_t index) {
    JobRecord& r = m_run.table[index];
    for (std::size_t i = 0; i < r.results.size(); ++i) {
        std::string const& url = r.results[i];
        auto const target = download::path_inside(m_output_dir, download::result_file_name(r.job->id, url, i + 1, r.version));
        if (!target) {
            ++m_failed; // cannot happen with our job ids; never write outside output.dir
            m_run.view.note({r.job->id, "warning", r.task, "no safe file name for its result; not downloaded"});
            continue;
        }
        // A file already there from an earlier run is fetched again: its `downloaded` event may
        // have been lost with a crash, and a fresh copy is the cheap way to a known hash.
        auto const result = co_await m_downloader->fetch(r.task, url, *target);
        if (result.ok) {
            auto e = m_run.event(ledger::EventType::downloaded, r);
            e.file = result.file.string();
            e.bytes = result.bytes;
            e.sha256 = result.sha256;
            co_await m_run.record(std::move(e));
            ++m_files_downloaded;
        } else if (result.expired) {
            ++m_expired;
            m_run.view.note({r.job->id, "failed", r.task, "result not downloaded: " + result.error});
        } else {
            ++m_failed;
            m_run.view.note({r.job->id, "warning", r.task, "result not downloaded yet: " + result.error});
        }
    }
    --m_running;
    m_run.changed.notify_all();
}

asio::awaitable<void> ResultDownloads::verify_earlier_downloads() {
    // One job at a time: the batch's new downloads need the disk and the pool more.
    for (JobRecord& r : m_run.table.records()) {
        if (r.files_to_verify.empty() || m_run.done) {
            continue;
        }
        bool all_intact = true;
        for (auto const& [file, sha256] : r.files_to_verify) {
            all_intact = all_intact && co_await m_downloader->intact(file, sha256);
        }
        if (!all_intact) {
            m_files_downloaded -= r.files_to_verify.size();
            m_run.view.note({r.job->id, "warning", r.task, "a result file changed on disk since it was downloaded; "
                                                     "downloading it again"});
            start(r);
        }
        r.files_to_verify.clear();
    }
    m_verifying = false;
    m_run.changed.notify_all();
}

} // namespace evobatch::sched::detail
