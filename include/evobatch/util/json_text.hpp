#pragma once
// JSON string literals for the lines we write by hand (ledger events, --json progress): every
// control character escaped, and each byte that is not well-formed UTF-8 replaced by U+FFFD,
// so a server message cut mid-character never makes a line unparseable (Boost.JSON validates
// UTF-8). One writer for both, so they cannot drift apart.

#include <string>
#include <string_view>

namespace evobatch::util {

// Appends `"text"` as a JSON string literal.
void append_json_string(std::string_view text, std::string& out);

} // namespace evobatch::util
