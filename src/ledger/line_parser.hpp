#pragma once
// Parses ledger lines into views, with no JSON tree and no allocation once its buffers have
// grown: replay reads over a million lines a second with it. A line exactly as our writer
// writes it is read by hand; any other goes through Boost.JSON's SAX parser, which decides
// what every line that is not ours means. parse_json_line (event.hpp) is this plus a copy
// into an Event, so both accept and refuse exactly the same lines, for the same reasons.

#include "evobatch/ledger/event.hpp"

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace evobatch::ledger::detail {

// One line's event. The views point into the line or into the LineParser: valid while the line
// is, until the parser's next parse().
struct EventView {
    EventType type = EventType::progress;
    std::int64_t t_ms = 0;
    std::string_view job, req; // empty for `batch`
    std::optional<std::string_view> task, key, rid, file, sha256, manifest, digest;
    std::optional<int> attempt, progress, eta_s;
    std::optional<std::int64_t> credits;
    std::optional<std::uint64_t> bytes;
    std::span<std::string_view const> results;
    bool has_error = false;
    std::string_view error_code, error_message; // meaningful when has_error
};

class LineParser {
public:
    LineParser();
    ~LineParser();
    LineParser(LineParser const&) = delete;
    LineParser& operator=(LineParser const&) = delete;

    // Parses one line (with or without its '\n'), with parse_json_line's rules and errors;
    // on success view() holds the event. Never throws but for std::bad_alloc.
    boost::system::error_code parse(std::string_view line);
    // The same through the SAX parser alone: the reference the fast path is fuzzed against.
    boost::system::error_code parse_without_fast_path(std::string_view line);
    [[nodiscard]] EventView const& view() const noexcept;

private:
    class Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace evobatch::ledger::detail
