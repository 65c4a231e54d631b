#pragma once
// `--log FILE`: one JSON line per created task, appended and flushed at once, so a test or a
// script can count the tasks made for each job even if the simulator is killed.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string_view>

namespace evobatch::sim {

class TaskLog {
public:
    // Opens `path` for appending; no path: logs nothing. Throws std::runtime_error.
    explicit TaskLog(std::optional<std::filesystem::path> const& path);
    ~TaskLog();
    TaskLog(TaskLog const&) = delete;
    TaskLog& operator=(TaskLog const&) = delete;

    // {"t":<ms since epoch>,"task":..,"video":..,"key":<idempotency key or null>,"digest":<sha256 of the
    // body>}
    void record(std::int64_t unix_ms, std::string_view task, std::string_view video,
                std::optional<std::string_view> key, std::string_view digest);

private:
    std::FILE* m_file = nullptr;
};

} // namespace evobatch::sim
