#include "report_diagnostics.hpp"

#include <fmt/color.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

namespace evobatch::cli {

namespace {

bool use_color(std::FILE* stream) {
    char const* no_color = std::getenv("NO_COLOR");
    return (no_color == nullptr || *no_color == '\0') && isatty(fileno(stream)) != 0;
}

} // namespace

void print_diagnostics(std::vector<util::Diagnostic> const& diagnostics, std::size_t max_errors) {
    bool const color = use_color(stderr);
    std::size_t shown = 0;
    for (util::Diagnostic const& d : diagnostics) {
        if (max_errors != 0 && shown == max_errors) {
            fmt::print(stderr, "... and {} more (use --max-errors 0 to see them all)\n", diagnostics.size() - shown);
            break;
        }
        ++shown;
        if (color) {
            auto const style = d.severity == util::Severity::error ? fmt::fg(fmt::terminal_color::bright_red)
                                                                   : fmt::fg(fmt::terminal_color::bright_magenta);
            fmt::print(stderr, "{}: {}: {}", util::location(d),
                       fmt::styled(util::severity_name(d.severity), style | fmt::emphasis::bold), d.message);
        } else {
            std::fputs(util::format(d).c_str(), stderr);
        }
        std::fputc('\n', stderr);
    }
}

boost::json::array diagnostics_to_json(std::vector<util::Diagnostic> const& diagnostics) {
    boost::json::array out;
    out.reserve(diagnostics.size());
    for (util::Diagnostic const& d : diagnostics) {
        boost::json::object o;
        o["severity"] = util::severity_name(d.severity);
        o["file"] = d.file;
        o["line"] = d.line;
        o["column"] = d.column;
        o["message"] = d.message;
        out.push_back(std::move(o));
    }
    return out;
}

} // namespace evobatch::cli
