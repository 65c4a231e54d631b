#pragma once
// The `.part` file of one download and the SHA-256 of its bytes so far. Pieces of the body are
// written and hashed on the worker pool, one piece at a time, while the io thread receives the
// next one: the io thread only decrypts. (Writing on the io thread and hashing each file from
// disk after its last byte saturated the io thread, and the hashing of 16 files finishing
// together was a tail after the transfers: 316-337 MB/s in bench_download, 372-388 now.)
// Memory: two pieces per download (1 MiB each, HttpsClient's stream reads).
//
// Shared with the pool job in flight, so that a download abandoned at shutdown never leaves a
// job writing through a closed (or reused) descriptor. Used from the io thread only.

#include "evobatch/util/sha256.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace boost::asio {
class thread_pool;
} // namespace boost::asio

namespace evobatch::download::detail {

// An open file descriptor, closed once.
class Fd {
public:
    explicit Fd(int fd = -1) noexcept : m_fd(fd) {}
    ~Fd() { reset(); }
    Fd(Fd&& other) noexcept;
    Fd& operator=(Fd&& other) noexcept;
    [[nodiscard]] int get() const noexcept { return m_fd; }
    void reset() noexcept;

private:
    int m_fd;
};

// SHA-256 of the bytes [from, end of file) of `fd`, added to `hash`; returns the bytes read.
// Blocking: pool threads only.
std::uint64_t hash_from(int fd, std::uint64_t from, util::Sha256& hash);

// Why nothing may be written at `path`: it is a symbolic link (never followed: a planted link
// would make us write into, or vouch for, a file elsewhere) or another kind of file that is not
// a regular one. Nothing when `path` is a regular file or does not exist. lstat only.
std::optional<std::string> not_a_regular_file(std::filesystem::path const& path);

// Opens `path` for `flags` (O_CREAT allowed, mode 0644) without following a symbolic link at it,
// and only when it is a regular file: errc::too_many_symbolic_link_levels for a link,
// errc::invalid_argument for any other kind of file (a FIFO does not block the open).
Fd open_regular(std::filesystem::path const& path, int flags, boost::system::error_code& error);

// A small file's whole text (a part's record), read through open_regular; nothing when it
// is missing, not a regular file or larger than 64 KiB.
std::optional<std::string> read_small_file(std::filesystem::path const& path);

// Replaces the text of a small file, through open_regular. Not fsync'ed: see PartFile.
boost::system::error_code write_small_file(std::filesystem::path const& path, std::string_view text);

class PartFile : public std::enable_shared_from_this<PartFile> {
public:
    // Opens (or creates) `path` through open_regular (never through a symbolic link); what it
    // already holds is kept and counts as written. Null and `error` set when it cannot be opened.
    static std::shared_ptr<PartFile> open(std::filesystem::path const& path, boost::asio::any_io_executor io,
                                          boost::asio::thread_pool& pool, boost::system::error_code& error);

    // `device` and `inode` name the open file (fstat), for is_at().
    PartFile(Fd fd, std::uint64_t size, dev_t device, ino_t inode, boost::asio::any_io_executor io,
             boost::asio::thread_pool& pool);

    // What seal() found: the hash of every byte, and the first k_head_bytes of them.
    struct Sealed {
        std::string sha256;
        std::string head;
    };
    static constexpr std::size_t k_head_bytes = 16;

    // Bytes written, and queued to be written.
    [[nodiscard]] std::uint64_t size() const noexcept { return m_size; }

    // Appends the first `n` bytes of `buffer`: waits for the piece before it, then takes the
    // buffer for the pool job and leaves a spare one of at least the same size in its place.
    // The error of an earlier piece stops it.
    boost::asio::awaitable<boost::system::error_code> append(std::vector<char>& buffer, std::size_t n);

    // Waits until the piece in flight is written; its error, if it failed.
    boost::asio::awaitable<boost::system::error_code> settle();

    // Empties the file (the server sent the whole file again, or not where the part ends).
    // Only when settled.
    boost::system::error_code truncate();

    // fsync on the worker pool (after truncate(): the emptied part is on disk before anything
    // that says what it now holds). Only when settled.
    boost::asio::awaitable<boost::system::error_code> sync();

    // fsync, then the SHA-256 of all the bytes: the running hash of this run's pieces, after
    // the bytes an earlier run left, which are read back from disk; and the file's first bytes.
    // Only when settled; throws std::system_error. Bytes appended afterwards (the next answer,
    // when this one was refused and the part was empty, so not truncated) are hashed after
    // the file's, read back from disk.
    boost::asio::awaitable<Sealed> seal();

    // Whether `path` is this very file (lstat, not followed): the name we rename into place must
    // still be the file we wrote and checked. Blocking (one lstat); any thread.
    [[nodiscard]] bool is_at(std::filesystem::path const& path) const;

    // Closes the descriptor (after seal, before the rename).
    void close() noexcept { m_fd.reset(); }

private:
    void write_and_hash(std::size_t n, std::uint64_t offset); // pool thread
    void on_written(boost::system::error_code error);          // io thread

    Fd m_fd;
    std::uint64_t m_size;
    dev_t const m_device;
    ino_t const m_inode;
    boost::asio::any_io_executor m_io;
    boost::asio::thread_pool& m_pool;
    boost::asio::steady_timer m_settled; // cancelled when the piece in flight is written
    bool m_busy = false;
    boost::system::error_code m_failure;
    std::vector<char> m_in_flight;          // the piece the pool job writes
    std::unique_ptr<util::Sha256> m_hash;   // touched by the pool job while busy, else by the io thread
    std::uint64_t m_hashed = 0;             // bytes from the file's start in m_hash
};

} // namespace evobatch::download::detail
