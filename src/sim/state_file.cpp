#include "state_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace evobatch::sim {

namespace {

// Said after every problem with the file's contents: what the user can do about it.
constexpr std::string_view k_what_to_do =
    "move the file away (or name another) to start a simulator that knows none of its tasks; a ledger "
    "that names those tasks must then start afresh too";

[[noreturn]] void fail_errno(int err, std::string_view what, std::filesystem::path const& path) {
    throw std::runtime_error(
        fmt::format("cannot {} the simulator state {}: {}", what, path.string(), std::strerror(err)));
}

// Read through its own stream: the descriptor is for the lock and the appends.
std::string read_all(std::filesystem::path const& path) {
    if (!std::filesystem::is_regular_file(path)) {
        throw std::runtime_error(fmt::format("the simulator state {} is not a regular file", path.string()));
    }
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.is_open() || in.bad()) {
        throw std::runtime_error(fmt::format("cannot read the simulator state {}", path.string()));
    }
    return text;
}

int truncate_to(int fd, std::uint64_t size) {
    int rc = 0;
    do {
        rc = ::ftruncate(fd, static_cast<off_t>(size));
    } while (rc != 0 && errno == EINTR);
    return rc == 0 ? 0 : errno;
}

} // namespace

StateFile::StateFile(std::filesystem::path path) : m_path(std::move(path)) {
    if (m_path.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(m_path.parent_path(), ec);
        if (ec) {
            throw std::runtime_error(fmt::format("cannot create the folder of the simulator state {}: {}",
                                                 m_path.string(), ec.message()));
        }
    }
    do {
        m_fd = ::open(m_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    } while (m_fd < 0 && errno == EINTR);
    if (m_fd < 0) {
        fail_errno(errno, "open", m_path);
    }
    try {
        // Two simulators appending to one file would each miss the other's tasks.
        if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) {
                throw std::runtime_error(
                    fmt::format("the simulator state {} is in use by another simulator (a "
                                "run --simulate on the same ledger, or a sim --state); wait "
                                "for it to end or use another file",
                                m_path.string()));
            }
            fail_errno(errno, "lock", m_path);
        }
        std::string text = read_all(m_path);
        if (!text.empty() && text.back() != '\n') {
            auto const newline = text.rfind('\n');
            std::size_t const keep = newline == std::string::npos ? 0 : newline + 1;
            if (!could_be_state_line(std::string_view(text).substr(keep))) {
                throw std::runtime_error(
                    fmt::format("{}:{}: the last line is not a simulator state line; {}", m_path.string(),
                                std::count(text.begin(), text.end(), '\n') + 1, k_what_to_do));
            }
            // Only a create that was never answered can be cut short: its line is written first.
            std::fprintf(
                stderr,
                "evobatch sim: notice: %s ended in a torn line (%zu bytes, an unanswered create); cut off\n",
                m_path.c_str(), text.size() - keep);
            if (int const err = truncate_to(m_fd, keep); err != 0) {
                fail_errno(err, "repair", m_path);
            }
            text.resize(keep);
        }
        try {
            m_loaded = parse_state(text);
        } catch (StateLineError const& e) {
            throw std::runtime_error(
                fmt::format("{}:{}: {}: not a simulator state this evobatch can reload; {}", m_path.string(),
                            e.line(), e.what(), k_what_to_do));
        }
        m_size = text.size();
    } catch (...) {
        ::close(m_fd);
        throw;
    }
}

StateFile::~StateFile() {
    ::close(m_fd); // releases the lock
}

void StateFile::record_start(std::uint16_t port, std::int64_t unix_ms) {
    if (int const err = append(state_start_line(port, unix_ms)); err != 0) {
        fail_errno(err, "write", m_path);
    }
}

bool StateFile::record_task(TaskRecord const& task) {
    int const err = append(state_task_line(task));
    if (err != 0) {
        std::fprintf(stderr,
                     "evobatch sim: cannot write the simulator state %s: %s; the create is answered 503\n",
                     m_path.c_str(), std::strerror(err));
    }
    return err == 0;
}

int StateFile::append(std::string const& line) {
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t const n = ::write(m_fd, rest.data(), std::min<std::size_t>(rest.size(), SSIZE_MAX));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int const err = n < 0 ? errno : EIO;
            // A part of a line (the disk filled up) would make the next line unreadable.
            truncate_to(m_fd, m_size);
            return err;
        }
        rest.remove_prefix(static_cast<std::size_t>(n));
    }
    m_size += line.size();
    return 0;
}

} // namespace evobatch::sim
