#pragma once
// A problem found in an input file, reported compiler style: `file:line:col: error: message`.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace evobatch::util {

enum class Severity { error, warning };

struct Diagnostic {
    Severity severity = Severity::error;
    std::string file;       // as the user named it (never made absolute behind their back)
    std::uint32_t line = 0; // 1-based; 0 when the problem is the whole file
    std::uint32_t column = 0;
    std::string message; // says what is wrong and, where it can, what to do
};

// `file:line:col` (or `file` for a problem with the whole file).
std::string location(Diagnostic const& d);
// "error" or "warning".
char const* severity_name(Severity s) noexcept;
// `file:line:col: error: message` (or `file: error: message` without a position).
std::string format(Diagnostic const& d);

// Collects diagnostics in the order found; an input is accepted only when it holds no error.
class Diagnostics {
public:
    void add(Diagnostic d);
    void error(std::string file, std::uint32_t line, std::uint32_t column, std::string message);
    void warning(std::string file, std::uint32_t line, std::uint32_t column, std::string message);

    [[nodiscard]] bool has_errors() const noexcept { return m_errors != 0; }
    [[nodiscard]] std::size_t error_count() const noexcept { return m_errors; }
    [[nodiscard]] std::vector<Diagnostic> const& items() const noexcept { return m_items; }
    [[nodiscard]] std::vector<Diagnostic> take() && { return std::move(m_items); }

private:
    std::vector<Diagnostic> m_items;
    std::size_t m_errors = 0;
};

} // namespace evobatch::util
