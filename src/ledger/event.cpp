#include "evobatch/ledger/event.hpp"

#include "fields.hpp"
#include "line_parser.hpp"
#include "owned.hpp"

#include "evobatch/util/json_text.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace evobatch::ledger {

using boost::system::result;

namespace {

using detail::for_each_index;
using detail::k_error_field_count;
using detail::k_error_field_names;
using detail::k_error_fields;
using detail::k_field_count;
using detail::k_field_names;
using detail::k_fields;
using detail::Kind;
using detail::quoted_key;

constexpr std::array k_event_names{
    std::pair{EventType::batch, std::string_view("batch")},
    std::pair{EventType::submitting, std::string_view("submitting")},
    std::pair{EventType::submitted, std::string_view("submitted")},
    std::pair{EventType::progress, std::string_view("progress")},
    std::pair{EventType::completed, std::string_view("completed")},
    std::pair{EventType::failed, std::string_view("failed")},
    std::pair{EventType::uncertain, std::string_view("uncertain")},
    std::pair{EventType::unsent, std::string_view("unsent")},
    std::pair{EventType::downloaded, std::string_view("downloaded")},
    std::pair{EventType::probed, std::string_view("probed")},
    std::pair{EventType::rejected, std::string_view("rejected")},
    std::pair{EventType::adopted, std::string_view("adopted")},
};

// ---- writing -------------------------------------------------------------------------------

void append_string(std::string_view text, std::string& out) { util::append_json_string(text, out); }

template <class Int> void append_integer(Int value, std::string& out) {
    std::array<char, 24> digits{};
    auto const [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.append(digits.data(), end);
}

template <auto const& names, std::size_t I> void append_key(std::string& out) {
    out += quoted_key<names, I>(); // our keys are plain ASCII
}

void append_value(std::string_view text, std::string& out) { append_string(text, out); }
template <std::integral Int> void append_value(Int value, std::string& out) { append_integer(value, out); }

void append_value(std::vector<std::string> const& list, std::string& out) {
    out += '[';
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (i != 0) {
            out += ',';
        }
        append_string(list[i], out);
    }
    out += ']';
}

void append_value(EventError const& error, std::string& out) {
    for_each_index<k_error_field_count>([&](auto i) {
        append_key<k_error_field_names, i>(out);
        append_string(error.*std::get<i>(k_error_fields<EventError>).member, out);
    });
    out += '}';
}

// Whether the event carries field I: the writer leaves out what it does not.
template <std::size_t I> bool carries(Event const& event) {
    constexpr auto field = std::get<I>(k_fields<Event>);
    if constexpr (field.kind == Kind::job_text) {
        return event.type != EventType::batch;
    } else if constexpr (field.kind == Kind::text_list) {
        return !(event.*field.member).empty();
    } else if constexpr (detail::is_optional(field.kind)) {
        return (event.*field.member).has_value();
    } else {
        return true; // `v`, `t` and `ev` are on every line
    }
}

template <std::size_t I> void append_field(Event const& event, std::string& out) {
    constexpr auto field = std::get<I>(k_fields<Event>);
    if (!carries<I>(event)) {
        return;
    }
    append_key<k_field_names, I>(out);
    if constexpr (field.kind == Kind::version) {
        append_value(k_format_version, out);
    } else if constexpr (field.kind == Kind::event_type) {
        append_value(to_string(event.*field.member), out);
    } else if constexpr (detail::is_optional(field.kind)) {
        append_value(*(event.*field.member), out);
    } else {
        append_value(event.*field.member, out);
    }
}

} // namespace

std::string_view to_string(EventType type) noexcept {
    for (auto const& [t, name] : k_event_names) {
        if (t == type) {
            return name;
        }
    }
    return "unknown";
}

std::optional<EventType> parse_event_type(std::string_view name) noexcept {
    for (auto const& [t, n] : k_event_names) {
        if (n == name) {
            return t;
        }
    }
    return std::nullopt;
}

void append_json_line(Event const& event, std::string& out) {
    // Every field of the table, in its order; `v` first (the table asserts it): the writer
    // recognises a torn tail of its own by `{"v":`.
    for_each_index<k_field_count>([&](auto i) { append_field<i>(event, out); });
    out += "}\n";
}

std::string to_json_line(Event const& event) {
    std::string line;
    line.reserve(256);
    append_json_line(event, line);
    return line;
}

result<Event> parse_json_line(std::string_view line) {
    // The same parser replay reuses line after line; here it lives for one line.
    detail::LineParser parser;
    if (auto ec = parser.parse(line)) {
        return ec;
    }
    Event event;
    return detail::owned(parser.view());
}

std::int64_t now_ms() noexcept {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace evobatch::ledger
