#pragma once
// A simulator's state file (SimOptions::state_file; the line format is in state_lines.hpp),
// open and locked for the simulator's lifetime: read once at start, then one line appended per
// task, with a single write(2), before the task's create is answered. No fsync: a process
// killed with SIGKILL keeps what it wrote, which is what a resumed batch needs; a machine that
// loses power may lose the last lines, as it loses the simulator's answers with them.

#include "state_lines.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace evobatch::sim {

class StateFile {
public:
    // Creates the parent folders, opens or creates `path` (0644: it never holds the API key),
    // locks it without waiting and reads it. A torn last line (a write a crash interrupted: its
    // create was never answered) is cut off. Throws std::runtime_error naming the file, the
    // line and what to do when it is locked, unreadable, or not a state file of this version.
    explicit StateFile(std::filesystem::path path);
    ~StateFile();
    StateFile(StateFile const&) = delete;
    StateFile& operator=(StateFile const&) = delete;

    [[nodiscard]] std::filesystem::path const& path() const noexcept { return m_path; }
    // The port the last simulator on this file listened on; nothing for a new file.
    [[nodiscard]] std::optional<std::uint16_t> port() const noexcept { return m_loaded.port; }
    // How many simulators started on this file before this one.
    [[nodiscard]] std::uint64_t starts() const noexcept { return m_loaded.starts; }
    // The tasks the file held, handed over once (`start` unset).
    std::vector<TaskRecord> take_tasks() { return std::move(m_loaded.tasks); }

    // Appends a start line. Throws std::runtime_error.
    void record_start(std::uint16_t port, std::int64_t unix_ms);
    // Appends the task's line. False (with the reason on stderr) when it could not be written
    // whole; then the file is as it was, so the caller must not make the task.
    bool record_task(TaskRecord const& task);

private:
    int append(std::string const& line); // 0, or the errno of a failed write (the file cut back)

    std::filesystem::path m_path;
    int m_fd = -1;
    std::uint64_t m_size = 0; // bytes of whole lines: where a failed write is cut back to
    StateContents m_loaded;
};

} // namespace evobatch::sim
