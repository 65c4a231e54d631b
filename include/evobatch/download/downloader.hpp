#pragma once
// Result downloads (issue "Results"): each file streams to `<target>.part`, beside a record of
// the task and URL it belongs to and the validator its first answer gave
// (src/download/part_record.hpp); an interrupted one continues with a Range request carrying
// If-Range, only under a record of the same task and URL, and never without a validator. What
// the host declares is checked (type, length, digests: response_checks.hpp) and the file must
// start like its kind of video; the bytes are hashed as they are written (on the worker pool)
// and fsync'ed, and only then renamed into place. A symbolic link (or any other file that is
// not a regular one) where the part, its record or the result goes is refused, never followed.
// Requests go to the media host with our User-Agent and never an Authorization header; their
// own concurrency limit keeps them out of the API's rate limit. Coroutines on the io thread;
// writes, hashing and fsync run on the worker pool.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace boost::asio {
class thread_pool;
} // namespace boost::asio
namespace evobatch::net {
class TlsContext;
} // namespace evobatch::net

namespace evobatch::download {

struct DownloadOptions {
    std::size_t concurrency = 4;                       // files at once, whatever their hosts
    std::uint64_t max_bytes = std::uint64_t{4} << 30; // per file; more is refused
    std::chrono::milliseconds idle_timeout{30'000};    // no byte for this long: the attempt failed
    int max_attempts = 5;                              // per file: network failures, 5xx, 429
    int max_redirects = 5;                             // followed only to https (http only to loopback)
    std::chrono::milliseconds first_backoff{500};      // doubles per failed attempt, at most 10 s
    std::string user_agent = "evobatch";
};

struct DownloadResult {
    bool ok = false;
    bool expired = false; // the host says the file is gone (403, 404, 410): links last about 24 h
    std::filesystem::path file;
    std::uint64_t bytes = 0;
    std::string sha256;   // of the bytes written to disk, lowercase hex
    bool resumed = false; // continued an earlier .part with a Range request (206)
    std::string error;    // for people, when not ok (after retries: the last attempt's reason)
};

struct DownloadStats {
    std::uint64_t files = 0;    // completed
    std::uint64_t bytes = 0;    // body bytes received, all attempts
    std::uint64_t resumes = 0;  // 206 answers to a Range request
    std::uint64_t attempts = 0; // GET requests sent, redirects included
    std::uint64_t rejected = 0; // answers refused by a check (type, length, range, validator, digest, first bytes)
};

class Downloader {
public:
    // `tls` and `pool` must outlive the downloader; runs on `executor` (single-threaded).
    Downloader(boost::asio::any_io_executor executor, net::TlsContext& tls, boost::asio::thread_pool& pool,
               DownloadOptions options);
    ~Downloader();
    Downloader(Downloader const&) = delete;
    Downloader& operator=(Downloader const&) = delete;

    // Downloads `url`, a result of the task `task_id`, to `target` (its folder is created).
    // Waits for a free slot first. A part only this task and URL left is continued; parts of
    // the same target left by other tasks or URLs are removed once the result is in place.
    // Never throws for network, HTTP or file errors: they are in the result.
    boost::asio::awaitable<DownloadResult> fetch(std::string task_id, std::string url, std::filesystem::path target);

    // Whether `file` holds exactly the bytes whose SHA-256 is `sha256` (hashed on the worker
    // pool): a result downloaded by an earlier run is kept only when it is still intact. A
    // symbolic link (or another file that is not a regular one) is never intact.
    boost::asio::awaitable<bool> intact(std::filesystem::path file, std::string sha256);

    // Ends every fetch soon (within one piece of a body) and refuses new ones: an interrupted
    // run must not wait for large files. Their .part files stay for the next run.
    void stop();

    [[nodiscard]] DownloadStats stats() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace evobatch::download
