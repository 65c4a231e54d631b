#pragma once
// Parses ledger lines into views, with no JSON tree and no allocation once its buffers have
// grown: replay reads over a million lines a second with it. A line exactly as our writer
// writes it is read by hand; any other goes through Boost.JSON's SAX parser, which decides
// what every line that is not ours means. parse_json_line (event.hpp) is this plus a copy
// into an Event, so both accept and refuse exactly the same lines, for the same reasons.

#include "fields.hpp"

#include <boost/system/error_code.hpp>

#include <memory>
#include <string_view>

namespace evobatch::ledger::detail {

// view() is one line's EventView (fields.hpp): its views point into the line or into the
// LineParser, valid while the line is, until the parser's next parse().
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
