#include "part_file.hpp"

#include "evobatch/util/offload.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace evobatch::download::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t k_read_back_chunk = 1 << 20;
constexpr std::size_t k_max_small_file = 64 * 1024;

error_code last_errno() { return {errno, boost::system::system_category()}; }

} // namespace

Fd::Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) {
        reset();
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

void Fd::reset() noexcept {
    if (m_fd >= 0) {
        ::close(m_fd);
        m_fd = -1;
    }
}

std::uint64_t hash_from(int fd, std::uint64_t from, util::Sha256& hash) {
    std::vector<char> buffer(k_read_back_chunk);
    std::uint64_t offset = from;
    for (;;) {
        ssize_t const n = ::pread(fd, buffer.data(), buffer.size(), static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw std::system_error(errno, std::generic_category(), "read back");
        }
        if (n == 0) {
            return offset - from;
        }
        hash.update(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        offset += static_cast<std::uint64_t>(n);
    }
}

std::optional<std::string> not_a_regular_file(std::filesystem::path const& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) {
        return std::nullopt; // missing (or unreadable: opening it will say why)
    }
    if (S_ISLNK(st.st_mode)) {
        return fmt::format("{} is a symbolic link; evobatch never writes through one (remove it to go on)",
                           path.string());
    }
    return fmt::format("{} is not a regular file (remove it to go on)", path.string());
}

Fd open_regular(std::filesystem::path const& path, int flags, error_code& error) {
    // O_NONBLOCK: opening a planted FIFO must not wait for a peer; regular files ignore it.
    Fd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644));
    struct stat st {};
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) {
        error = last_errno();
        return Fd();
    }
    if (!S_ISREG(st.st_mode)) {
        error = make_error_code(boost::system::errc::invalid_argument);
        return Fd();
    }
    return fd;
}

std::optional<std::string> read_small_file(std::filesystem::path const& path) {
    error_code error;
    Fd const fd = open_regular(path, O_RDONLY, error);
    if (error) {
        return std::nullopt;
    }
    std::string text(k_max_small_file + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t const n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return std::nullopt;
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    if (got > k_max_small_file) {
        return std::nullopt;
    }
    text.resize(got);
    return text;
}

error_code write_small_file(std::filesystem::path const& path, std::string_view text) {
    error_code error;
    Fd const fd = open_regular(path, O_WRONLY | O_CREAT | O_TRUNC, error);
    while (!error && !text.empty()) {
        ssize_t const n = ::write(fd.get(), text.data(), text.size());
        if (n > 0) {
            text.remove_prefix(static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            error = n == 0 ? make_error_code(boost::system::errc::io_error) : last_errno();
        }
    }
    return error;
}

std::shared_ptr<PartFile> PartFile::open(std::filesystem::path const& path, asio::any_io_executor io,
                                         asio::thread_pool& pool, error_code& error) {
    Fd fd = open_regular(path, O_RDWR | O_CREAT, error);
    struct stat st {};
    if (error || ::fstat(fd.get(), &st) != 0) {
        error = error ? error : last_errno();
        return nullptr;
    }
    return std::make_shared<PartFile>(std::move(fd), static_cast<std::uint64_t>(st.st_size), st.st_dev, st.st_ino,
                                      std::move(io), pool);
}

PartFile::PartFile(Fd fd, std::uint64_t size, dev_t device, ino_t inode, asio::any_io_executor io,
                   asio::thread_pool& pool)
    : m_fd(std::move(fd)), m_size(size), m_device(device), m_inode(inode), m_io(io), m_pool(pool), m_settled(io),
      m_hash(std::make_unique<util::Sha256>()) {}

bool PartFile::is_at(std::filesystem::path const& path) const {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_dev == m_device && st.st_ino == m_inode;
}

asio::awaitable<error_code> PartFile::settle() {
    while (m_busy) {
        m_settled.expires_at(asio::steady_timer::time_point::max());
        co_await m_settled.async_wait(asio::as_tuple(asio::use_awaitable)); // on_written cancels it
    }
    co_return m_failure;
}

asio::awaitable<error_code> PartFile::append(std::vector<char>& buffer, std::size_t n) {
    if (auto const failed = co_await settle()) {
        co_return failed;
    }
    if (m_in_flight.size() < buffer.size()) {
        m_in_flight.resize(buffer.size());
    }
    std::swap(buffer, m_in_flight);
    m_busy = true;
    std::uint64_t const offset = m_size;
    m_size += n;
    asio::post(m_pool, [self = shared_from_this(), n, offset] { self->write_and_hash(n, offset); });
    co_return error_code{};
}

void PartFile::write_and_hash(std::size_t n, std::uint64_t offset) {
    error_code error;
    try {
        if (m_hashed < offset) { // bytes an earlier run left in the part come first
            m_hashed += hash_from(m_fd.get(), m_hashed, *m_hash);
        }
        char const* data = m_in_flight.data();
        std::size_t left = n;
        std::uint64_t at = offset;
        while (left > 0) {
            ssize_t const written = ::pwrite(m_fd.get(), data, left, static_cast<off_t>(at));
            if (written < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw std::system_error(errno, std::generic_category(), "write");
            }
            data += written;
            at += static_cast<std::uint64_t>(written);
            left -= static_cast<std::size_t>(written);
        }
        m_hash->update(std::string_view(m_in_flight.data(), n));
        m_hashed += n;
    } catch (std::system_error const& e) {
        error = error_code(e.code().value(), boost::system::system_category());
    }
    asio::post(m_io, [self = shared_from_this(), error] { self->on_written(error); });
}

void PartFile::on_written(error_code error) {
    m_busy = false;
    if (error && !m_failure) {
        m_failure = error;
    }
    m_settled.cancel();
}

error_code PartFile::truncate() {
    if (::ftruncate(m_fd.get(), 0) != 0) {
        return last_errno();
    }
    m_size = 0;
    m_hashed = 0;
    m_hash = std::make_unique<util::Sha256>();
    return {};
}

asio::awaitable<error_code> PartFile::sync() {
    int const fd = m_fd.get(); // the awaiting caller holds the PartFile (see seal)
    co_return co_await util::offload(m_pool, [fd] { return ::fsync(fd) == 0 ? error_code{} : last_errno(); });
}

asio::awaitable<PartFile::Sealed> PartFile::seal() {
    // `this` (not a shared_ptr) in the lambda: GCC 12 destroys class-type by-value arguments of
    // a coroutine called in a co_await expression twice, which would drop a reference too many.
    // The awaiting caller holds the PartFile until the offload completes.
    co_return co_await util::offload(m_pool, [self = this] {
        if (::fsync(self->m_fd.get()) != 0) {
            throw std::system_error(errno, std::generic_category(), "fsync");
        }
        self->m_hashed += hash_from(self->m_fd.get(), self->m_hashed, *self->m_hash);
        Sealed sealed{self->m_hash->hex_digest(), std::string(k_head_bytes, '\0')};
        // hex_digest() ended that hash: bytes appended after a refused seal (an empty part is
        // not truncated, so its next answer comes here) are hashed after the file's, read back.
        self->m_hash = std::make_unique<util::Sha256>();
        self->m_hashed = 0;
        ssize_t n = -1;
        do {
            n = ::pread(self->m_fd.get(), sealed.head.data(), sealed.head.size(), 0);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            throw std::system_error(errno, std::generic_category(), "read back");
        }
        sealed.head.resize(static_cast<std::size_t>(n));
        return sealed;
    });
}

} // namespace evobatch::download::detail
