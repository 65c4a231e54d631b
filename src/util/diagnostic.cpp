#include "evobatch/util/diagnostic.hpp"

#include <fmt/format.h>

namespace evobatch::util {

std::string location(Diagnostic const& d) {
    return d.line == 0 ? d.file : fmt::format("{}:{}:{}", d.file, d.line, d.column);
}

char const* severity_name(Severity s) noexcept { return s == Severity::error ? "error" : "warning"; }

std::string format(Diagnostic const& d) {
    return fmt::format("{}: {}: {}", location(d), severity_name(d.severity), d.message);
}

void Diagnostics::add(Diagnostic d) {
    if (d.severity == Severity::error) {
        ++m_errors;
    }
    m_items.push_back(std::move(d));
}

void Diagnostics::error(std::string file, std::uint32_t line, std::uint32_t column, std::string message) {
    add({Severity::error, std::move(file), line, column, std::move(message)});
}

void Diagnostics::warning(std::string file, std::uint32_t line, std::uint32_t column, std::string message) {
    add({Severity::warning, std::move(file), line, column, std::move(message)});
}

} // namespace evobatch::util
