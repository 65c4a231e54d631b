#pragma once
// A fresh directory under the system temp folder, removed with everything in it at scope end.

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace evobatch::test {

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        m_path = std::filesystem::temp_directory_path() / ("evobatch-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(m_path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TempDir(TempDir const&) = delete;
    TempDir& operator=(TempDir const&) = delete;

    [[nodiscard]] std::filesystem::path const& path() const noexcept { return m_path; }

    std::filesystem::path write(std::string const& name, std::string_view content) const {
        auto const file = m_path / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << content;
        return file;
    }

private:
    std::filesystem::path m_path;
};

} // namespace evobatch::test
