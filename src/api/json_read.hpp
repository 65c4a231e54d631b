#pragma once
// The field readers the API's JSON conversions share (json.cpp, task_list.cpp): absent or null
// fields leave `out` alone; a field of the wrong type is an error, never a guess.

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::api::detail {

boost::system::error_code mismatch();
boost::system::error_code read(boost::json::object const& o, std::string_view key, std::string& out);
// Integers may arrive as 7, 7.0 or (rarely) "7".
boost::system::error_code read(boost::json::object const& o, std::string_view key, std::optional<std::int64_t>& out);
boost::system::error_code read(boost::json::object const& o, std::string_view key, std::optional<int>& out);
boost::system::error_code read(boost::json::object const& o, std::string_view key, std::optional<double>& out);
boost::system::error_code read(boost::json::object const& o, std::string_view key, std::optional<bool>& out);
// The object at `key`, or null when it is absent or not an object.
boost::json::object const* child(boost::json::object const& o, std::string_view key);

// Response bodies are parsed into a stack buffer first: the parsed tree lives only until it is
// converted, and per-node heap allocations were a tenth of the client's CPU per request.
// The parser's own working stack gets a stack buffer too.
class ParseArena {
public:
    boost::json::value parse(std::string_view body, boost::system::error_code& ec);

private:
    alignas(std::max_align_t) unsigned char m_parser_stack[2048];
    alignas(std::max_align_t) unsigned char m_buffer[8192];
    boost::json::monotonic_resource m_resource{m_buffer, sizeof m_buffer};
};

} // namespace evobatch::api::detail
