#pragma once
// The run's result downloads: a completed job's files are fetched while the batch goes on, and
// the files earlier runs fetched are hashed again. Internal to src/sched.

#include "run_context.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <deque>
#include <filesystem>
#include <utility>

namespace evobatch::download {
class Downloader;
} // namespace evobatch::download

namespace evobatch::sched::detail {

class ResultDownloads {
public:
    // Counts what the table's jobs carry from earlier runs (files on disk, expired links).
    explicit ResultDownloads(RunContext& run);

    // Downloads into `dir` from now on (else output.download is off).
    void download_to(download::Downloader& downloader, std::filesystem::path dir);
    [[nodiscard]] bool enabled() const noexcept { return m_downloader != nullptr; }
    // Spawns the download of `r`'s results (when downloads are on and it has any).
    void start(JobRecord& r);
    // Starts the downloads earlier runs left missing, and the check of the files they kept.
    void start_earlier();
    // Ctrl-C: downloads in flight end, their .part files kept for the next run.
    void stop();

    [[nodiscard]] bool busy() const noexcept { return m_running > 0 || m_verifying; }
    [[nodiscard]] std::size_t running() const noexcept { return m_running; }
    [[nodiscard]] std::size_t files_downloaded() const noexcept { return m_files_downloaded; }
    [[nodiscard]] std::size_t failed() const noexcept { return m_failed; }
    [[nodiscard]] std::size_t expired() const noexcept { return m_expired; }
    [[nodiscard]] std::uint64_t bytes() const;
    // Bytes per second over the last k_rate_window, sampled at each call.
    [[nodiscard]] double rate(TimePoint now);

private:
    boost::asio::awaitable<void> download_results(std::size_t index);
    // Hashes the files earlier runs downloaded; a job whose file changed is downloaded again.
    boost::asio::awaitable<void> verify_earlier_downloads();

    RunContext& m_run;
    download::Downloader* m_downloader = nullptr;
    std::filesystem::path m_output_dir;
    std::size_t m_running = 0;          // jobs whose files are being fetched
    bool m_verifying = false;           // verify_earlier_downloads() is at work
    std::size_t m_files_downloaded = 0; // this run and earlier ones (resumed jobs whose files are there)
    std::size_t m_failed = 0;
    std::size_t m_expired = 0;
    std::deque<std::pair<TimePoint, std::uint64_t>> m_recent_bytes;
};

} // namespace evobatch::sched::detail
