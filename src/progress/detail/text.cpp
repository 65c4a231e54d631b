#include "text.hpp"

#include "evobatch/util/json_text.hpp"
#include "evobatch/util/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::progress::detail {

namespace {

bool is_continuation(unsigned char c) noexcept {
    return (c & 0xC0) == 0x80;
}

} // namespace

std::string format_duration(std::chrono::seconds d) {
    auto const s = std::max<std::int64_t>(d.count(), 0);
    if (s < 60) {
        return fmt::format("{}s", s);
    }
    if (s < 3600) {
        return fmt::format("{}m{:02}s", s / 60, s % 60);
    }
    if (s < 86400) {
        return fmt::format("{}h{:02}m", s / 3600, s % 3600 / 60);
    }
    return fmt::format("{}d{:02}h", s / 86400, s % 86400 / 3600);
}

std::size_t columns_of(std::string_view clean) noexcept {
    return util::count_code_points(clean);
}

std::string cut_to_columns(std::string_view clean, std::size_t columns) {
    if (columns_of(clean) <= columns) {
        return std::string(clean);
    }
    if (columns < 3) {
        return std::string(columns, '.');
    }
    std::size_t keep = columns - 3;
    std::size_t end = 0;
    while (end < clean.size() && keep > 0) {
        ++end;
        while (end < clean.size() && is_continuation(static_cast<unsigned char>(clean[end]))) {
            ++end;
        }
        --keep;
    }
    return std::string(clean.substr(0, end)) + "...";
}

std::string json_quote(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 2);
    util::append_json_string(text, out);
    return out;
}

} // namespace evobatch::progress::detail
