#include "task_log.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace evobatch::sim {

TaskLog::TaskLog(std::optional<std::filesystem::path> const& path) {
    if (!path) {
        return;
    }
    m_file = std::fopen(path->c_str(), "ae");
    if (m_file == nullptr) {
        throw std::runtime_error("cannot open the task log " + path->string() + ": " + std::strerror(errno));
    }
}

TaskLog::~TaskLog() {
    if (m_file != nullptr) {
        std::fclose(m_file);
    }
}

void TaskLog::record(std::int64_t unix_ms, std::string_view task, std::string_view video,
                     std::optional<std::string_view> key, std::string_view digest) {
    if (m_file == nullptr) {
        return;
    }
    boost::json::value key_value = key ? boost::json::value(*key) : boost::json::value(nullptr);
    boost::json::object const line{
        {"t", unix_ms}, {"task", task}, {"video", video}, {"key", std::move(key_value)}, {"digest", digest}};
    std::string const text = boost::json::serialize(line) + '\n';
    // A lost line would make a test miscount tasks; the simulator keeps serving either way.
    if (std::fwrite(text.data(), 1, text.size(), m_file) != text.size() || std::fflush(m_file) != 0) {
        std::fprintf(stderr, "evobatch sim: cannot write the task log: %s\n", std::strerror(errno));
    }
}

} // namespace evobatch::sim
