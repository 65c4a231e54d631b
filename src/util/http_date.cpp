#include "evobatch/util/http_date.hpp"

#include <fmt/format.h>

#include <array>
#include <ctime>

namespace evobatch::util {

std::string http_date(std::int64_t unix_seconds) {
    constexpr std::array<std::string_view, 7> k_days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    constexpr std::array<std::string_view, 12> k_months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::time_t const t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{}, {:02} {} {} {:02}:{:02}:{:02} GMT", k_days[static_cast<std::size_t>(tm.tm_wday)],
                       tm.tm_mday, k_months[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour,
                       tm.tm_min, tm.tm_sec);
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
    std::tm tm{};
    std::string const copy(text); // strptime wants a terminated string
    char const* const end = strptime(copy.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0') {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(timegm(&tm));
}

} // namespace evobatch::util
