#include "ledger_file.hpp"
#include "torn_tail.hpp"

#include "evobatch/ledger/error.hpp"
#include "evobatch/ledger/event.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <ctime>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace evobatch::ledger::detail {

namespace {


[[noreturn]] void throw_errno(int err, std::string_view what, std::filesystem::path const& path) {
    throw std::runtime_error(fmt::format("{} {}: {}", what, path.string(), std::strerror(err)));
}

int open_ledger(std::filesystem::path const& path) {
    // 0644 before the umask: the ledger holds result links but never the API key.
    int fd = -1;
    do {
        fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        throw_errno(errno, "cannot open ledger", path);
    }
    return fd;
}

void lock_ledger(int fd, std::filesystem::path const& path) {
    int rc = 0;
    do {
        rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
        return;
    }
    int const err = errno;
    if (err == EWOULDBLOCK) {
        throw LedgerBusy(fmt::format("ledger {} is in use: another evobatch run holds its lock (wait for it "
                                     "to finish, or give this run another ledger)",
                                     path.string()));
    }
    throw_errno(err, "cannot lock ledger", path);
}

// Full pread, looping over short reads. Returns the bytes read (fewer only at end of file).
std::size_t read_at(int fd, char* out, std::size_t size, off_t offset, std::filesystem::path const& path) {
    std::size_t done = 0;
    while (done < size) {
        ssize_t const n = ::pread(fd, out + done, size - done, offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw_errno(errno, "cannot read ledger", path);
        }
        if (n == 0) {
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    return done;
}

// So that a newly created ledger's name survives a crash too (fsync(2): syncing the file does
// not sync its directory entry). Filesystems that cannot sync a folder say EINVAL: nothing to do.
void sync_parent(std::filesystem::path const& path) {
    auto const parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    int const dir = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        throw_errno(errno, "cannot open the folder of ledger", path);
    }
    int const rc = ::fsync(dir);
    int const err = errno;
    ::close(dir);
    if (rc != 0 && err != EINVAL && err != EROFS) {
        throw_errno(err, "cannot sync the folder of ledger", path);
    }
}

} // namespace

LedgerFile::LedgerFile(std::filesystem::path const& path) {
    if (path.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) {
            throw std::runtime_error(
                fmt::format("cannot create the folder of ledger {}: {}", path.string(), ec.message()));
        }
    }
    m_fd = open_ledger(path);
    try {
        lock_ledger(m_fd, path);
        // Only under the lock: the tail of a ledger another run is writing is not torn.
        repair_tail(path);
        sync_parent(path);
    } catch (...) {
        close();
        throw;
    }
}

LedgerFile::~LedgerFile() {
    close();
}

void LedgerFile::close() noexcept {
    if (m_fd >= 0) {
        ::close(m_fd); // releases the flock; nothing is pending: every write was synced or failed
        m_fd = -1;
    }
}

void LedgerFile::repair_tail(std::filesystem::path const& path) {
    struct stat st {};
    if (::fstat(m_fd, &st) != 0) {
        throw_errno(errno, "cannot stat ledger", path);
    }
    if (!S_ISREG(st.st_mode)) {
        throw std::runtime_error(fmt::format("ledger {} is not a regular file", path.string()));
    }
    auto const size = static_cast<std::size_t>(st.st_size);
    if (size == 0) {
        return;
    }
    std::size_t const window = std::min(size, k_max_torn_tail + 1);
    std::vector<char> buffer(window);
    auto const window_start = static_cast<off_t>(size - window);
    if (read_at(m_fd, buffer.data(), window, window_start, path) != window) {
        throw std::runtime_error(fmt::format("ledger {} changed size while being opened", path.string()));
    }
    if (buffer.back() == '\n') {
        return;
    }
    std::string_view const text(buffer.data(), buffer.size());
    auto const newline = text.rfind('\n');
    if (newline == std::string_view::npos && window < size) {
        throw std::runtime_error(fmt::format("ledger {} ends in a line of over {} bytes without a newline: "
                                             "not an evobatch ledger; refusing to "
                                             "append to it",
                                             path.string(), k_max_torn_tail));
    }
    std::size_t const tail_offset = newline == std::string_view::npos ? 0 : newline + 1;
    std::string_view const tail = text.substr(tail_offset);
    if (!could_be_our_line(tail)) {
        throw std::runtime_error(fmt::format(
            "ledger {} ends in a line that is not a ledger event: not an evobatch ledger; refusing to "
            "append to it",
            path.string()));
    }
    if (parse_json_line(tail)) {
        // The whole event is there; only its '\n' was lost. Keep it: replay may already have read it.
        if (auto const outcome = write_and_sync(m_fd, "\n"); outcome.ec) {
            throw_errno(outcome.ec.value(), "cannot repair the last line of ledger", path);
        }
        return;
    }
    // A torn line was never reported durable (its fdatasync never returned), so no job relied on it.
    auto const keep = static_cast<off_t>(size - tail.size());
    int rc = 0;
    do {
        rc = ::ftruncate(m_fd, keep);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0 || ::fdatasync(m_fd) != 0) {
        throw_errno(errno, "cannot cut the torn last line of ledger", path);
    }
    m_dropped_tail_bytes = tail.size();
}

WriteOutcome write_and_sync(int fd, std::string_view data) noexcept {
    WriteOutcome outcome;
    while (!data.empty()) {
        ssize_t const n = ::write(fd, data.data(), std::min<std::size_t>(data.size(), SSIZE_MAX));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            outcome.ec.assign(errno, boost::system::system_category());
            return outcome;
        }
        if (n == 0) {
            // write(2) to a regular file never does this for a non-empty buffer; do not spin on it.
            outcome.ec.assign(EIO, boost::system::system_category());
            return outcome;
        }
        ++outcome.writes;
        outcome.bytes += static_cast<std::uint64_t>(n);
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    int rc = 0;
    do {
        rc = ::fdatasync(fd);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        outcome.ec.assign(errno, boost::system::system_category());
        return outcome;
    }
    outcome.synced = true;
    return outcome;
}

bool still_named(int fd, std::filesystem::path const& path) noexcept {
    struct stat open_file {};
    struct stat named {};
    if (::fstat(fd, &open_file) != 0 || open_file.st_nlink == 0) {
        return false; // unlinked: its events vanish with the descriptor
    }
    if (::stat(path.c_str(), &named) != 0) {
        return false;
    }
    return named.st_dev == open_file.st_dev && named.st_ino == open_file.st_ino;
}

std::optional<std::filesystem::path> rescue_copy(int fd, std::filesystem::path const& path) noexcept {
    try {
        std::filesystem::path const rescued = path.string() + ".rescued-" + std::to_string(::time(nullptr));
        int const out = ::open(rescued.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (out < 0) {
            return std::nullopt;
        }
        std::string buffer(std::size_t{1} << 20U, '\0');
        off_t offset = 0;
        bool ok = true;
        for (;;) {
            ssize_t const n = ::pread(fd, buffer.data(), buffer.size(), offset);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                ok = n == 0;
                break;
            }
            if (write_and_sync(out, std::string_view(buffer.data(), static_cast<std::size_t>(n))).ec) {
                ok = false;
                break;
            }
            offset += n;
        }
        ::close(out);
        if (!ok) {
            return std::nullopt;
        }
        try {
            sync_parent(rescued);
        } catch (std::exception const&) {
            // The copy itself is synced; only its name might not survive a crash.
        }
        return rescued;
    } catch (...) {
        return std::nullopt; // a path we cannot even build: say the events are lost
    }
}

} // namespace evobatch::ledger::detail
