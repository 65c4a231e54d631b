#pragma once
// The ledger file under its lock, and the one blocking write+fdatasync a group commit runs on
// the worker pool. Plain POSIX, no Asio: the writer's coroutine decides when, this does how.

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

namespace evobatch::ledger::detail {

// An open ledger: the descriptor (O_APPEND, O_CLOEXEC) holding an exclusive flock.
class LedgerFile {
public:
    // Creates parent folders, opens or creates `path`, takes the lock without blocking, repairs
    // a torn tail (see LedgerWriter's constructor) and fsyncs the folder so a new file's name
    // is durable too. Throws LedgerBusy when the lock is held, std::runtime_error otherwise.
    explicit LedgerFile(std::filesystem::path const& path);
    ~LedgerFile();
    LedgerFile(LedgerFile const&) = delete;
    LedgerFile& operator=(LedgerFile const&) = delete;

    [[nodiscard]] int fd() const noexcept { return m_fd; }
    [[nodiscard]] bool is_open() const noexcept { return m_fd >= 0; }
    [[nodiscard]] std::uint64_t dropped_tail_bytes() const noexcept { return m_dropped_tail_bytes; }

    // Closes the descriptor, which releases the lock. Idempotent.
    void close() noexcept;

private:
    void repair_tail(std::filesystem::path const& path);

    int m_fd = -1;
    std::uint64_t m_dropped_tail_bytes = 0;
};

struct WriteOutcome {
    boost::system::error_code ec; // errno of the failed write() or fdatasync()
    std::uint64_t writes = 0;     // write() calls that wrote something
    std::uint64_t bytes = 0;      // bytes written, even when a later write failed
    bool synced = false;          // fdatasync() succeeded
};

// Writes all of `data` (looping over short writes and EINTR), then fdatasync()s. Blocking:
// runs on the worker pool. Stops at the first error, which may leave part of `data` written.
WriteOutcome write_and_sync(int fd, std::string_view data) noexcept;

// Whether `path` still names the open file `fd` (same device and inode, and the file still has
// a name): a ledger deleted or replaced under a run would take every later event with it.
// Blocking (two stat calls).
bool still_named(int fd, std::filesystem::path const& path) noexcept;

// Copies everything `fd` holds to a new file beside `path` (`<path>.rescued-<unix s>`, never
// over an existing one), fsynced; returns its path, or nothing when that failed too. Blocking.
std::optional<std::filesystem::path> rescue_copy(int fd, std::filesystem::path const& path) noexcept;

} // namespace evobatch::ledger::detail
