#pragma once
// Text from elsewhere (server messages and codes, task ids, file names) made safe to show on a
// terminal: the one sanitizer for everything `run` and `status` print from the server. Pure.

#include <string>
#include <string_view>

namespace evobatch::util {

// `text` as one safe line: ill-formed UTF-8 bytes become '?', control characters (C0, DEL, C1:
// a terminal would act on ESC, or on U+009B, a one-character CSI) become spaces. Printable
// text, non-ASCII letters included, is kept as it is. JSON output needs none of this: it
// escapes control characters itself.
std::string clean_text(std::string_view text);

} // namespace evobatch::util
