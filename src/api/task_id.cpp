#include "evobatch/api/task_id.hpp"

#include "evobatch/util/utf8.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>

namespace evobatch::api {

namespace {

// C0 controls, DEL, and the C1 controls U+0080..U+009F (encoded C2 80..C2 9F): the caller
// has checked that `id` is well-formed UTF-8, so a C2 byte always starts a two-byte sequence.
bool holds_control_character(std::string_view id) noexcept {
    for (std::size_t i = 0; i < id.size(); ++i) {
        auto const c = static_cast<unsigned char>(id[i]);
        if (c < 0x20 || c == 0x7F || (c == 0xC2 && static_cast<unsigned char>(id[i + 1]) < 0xA0)) {
            return true;
        }
    }
    return false;
}

} // namespace

std::optional<std::string_view> task_id_problem(std::string_view id) noexcept {
    if (id.empty()) {
        return "is empty";
    }
    if (id == "." || id == "..") {
        return "is a dot segment ('.' or '..'), which a URL path cannot carry";
    }
    if (id.size() > k_max_task_id_bytes) {
        return "is longer than 256 bytes";
    }
    if (util::find_invalid_utf8(id)) {
        return "is not well-formed UTF-8";
    }
    if (holds_control_character(id)) {
        return "holds a control character";
    }
    return std::nullopt;
}

std::string task_path_segment(std::string_view id) {
    return boost::urls::encode(id, boost::urls::unreserved_chars);
}

} // namespace evobatch::api
