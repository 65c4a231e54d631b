#pragma once
// The ledger's fields, listed once: each field's JSON name, its member of an event and its kind.
// The writer (event.cpp), the fast reader (fast_line.cpp), the SAX dispatch (line_parser.cpp)
// and the copy of a parsed line into an Event all walk this table, so a new field is one line
// here plus its member in BasicEvent (event.hpp). Internal to src/ledger.

#include "evobatch/ledger/event.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>

namespace evobatch::ledger::detail {

// What the parser sees of a line: the views point into the line or into the LineParser.
using EventView = BasicEvent<std::string_view, std::span<std::string_view const>>;
using EventErrorView = BasicEventError<std::string_view>;

// How a field is written and read.
enum class Kind : std::uint8_t {
    version,    // `v`: always k_format_version, first on the line; no member
    time,       // a required integer
    event_type, // `ev`: required, the spelling of an EventType
    job_text,   // a required string on every event but `batch`, which has none
    text,       // an optional string
    integer,    // an optional integer; its range is its member's
    text_list,  // an array of strings, left out when empty
    error,      // an object of k_error_fields, left out when absent
};

// The kinds a line may leave out, whose members are std::optional.
constexpr bool is_optional(Kind kind) {
    return kind == Kind::text || kind == Kind::integer || kind == Kind::error;
}

template <class Member> struct Field {
    std::string_view name;
    Member member;
    Kind kind;
};
template <class Member> Field(char const*, Member, Kind) -> Field<Member>;

// In the writer's order, which is the only order the fast reader takes. E is Event (the writer,
// the copy) or EventView (the readers): one table, its member pointers into either.
template <class E>
inline constexpr std::tuple k_fields{
    Field{"v", nullptr, Kind::version},
    Field{"t", &E::t_ms, Kind::time},
    Field{"job", &E::job, Kind::job_text},
    Field{"req", &E::req, Kind::job_text},
    Field{"ev", &E::type, Kind::event_type},
    Field{"task", &E::task, Kind::text},
    Field{"attempt", &E::attempt, Kind::integer},
    Field{"key", &E::key, Kind::text},
    Field{"rid", &E::rid, Kind::text},
    Field{"progress", &E::progress, Kind::integer},
    Field{"eta_s", &E::eta_s, Kind::integer},
    Field{"credits", &E::credits, Kind::integer},
    Field{"results", &E::results, Kind::text_list},
    Field{"error", &E::error, Kind::error},
    Field{"file", &E::file, Kind::text},
    Field{"bytes", &E::bytes, Kind::integer},
    Field{"sha256", &E::sha256, Kind::text},
    Field{"manifest", &E::manifest, Kind::text},
    Field{"digest", &E::digest, Kind::text},
    Field{"url", &E::url, Kind::text},
    Field{"duration_ms", &E::duration_ms, Kind::integer},
    Field{"format", &E::format, Kind::text},
    Field{"etag", &E::etag, Kind::text},
    Field{"last_modified", &E::last_modified, Kind::text},
    Field{"verdict", &E::verdict, Kind::text},
    Field{"pages", &E::pages, Kind::integer},
    Field{"span_from", &E::span_from, Kind::integer},
    Field{"span_to", &E::span_to, Kind::integer},
    Field{"candidates", &E::candidates, Kind::text},
};

// The members of `error`, in the writer's order: both always written, either may be absent
// from a line someone else wrote (then empty).
template <class Error>
inline constexpr std::tuple k_error_fields{
    Field{"code", &Error::code, Kind::text},
    Field{"message", &Error::message, Kind::text},
};

inline constexpr std::size_t k_field_count = std::tuple_size_v<decltype(k_fields<Event>)>;
inline constexpr std::size_t k_error_field_count = std::tuple_size_v<decltype(k_error_fields<EventError>)>;

// Calls visit(std::integral_constant<std::size_t, I>) for each I below N, in order.
template <std::size_t N, class Visit> constexpr void for_each_index(Visit&& visit) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (visit(std::integral_constant<std::size_t, I>{}), ...);
    }(std::make_index_sequence<N>{});
}

// The names and kinds alone, by position: what a runtime key lookup needs.
template <auto const& fields> constexpr auto names_of() {
    return std::apply([](auto const&... f) { return std::array{f.name...}; }, fields);
}
inline constexpr auto k_field_names = names_of<k_fields<Event>>();
inline constexpr auto k_error_field_names = names_of<k_error_fields<EventError>>();
inline constexpr auto k_field_kinds =
    std::apply([](auto const&... f) { return std::array{f.kind...}; }, k_fields<Event>);

constexpr std::size_t count_of(Kind kind) {
    std::size_t n = 0;
    for (Kind const k : k_field_kinds) {
        n += k == kind ? 1 : 0;
    }
    return n;
}
static_assert(k_field_kinds[0] == Kind::version && count_of(Kind::version) == 1,
              "`v` comes first: the writer recognises a torn tail of its own by `{\"v\":`");
static_assert(count_of(Kind::text_list) <= 1 && count_of(Kind::error) <= 1,
              "the SAX handler keeps the state of one list and one error object");

// The key as the writer writes it before a value: `{"v":` for the line's first field,
// `,"name":` for the others (and the same for the members of `error`).
template <auto const& names, std::size_t I> inline constexpr auto k_quoted_key = [] {
    constexpr std::string_view name = names[I];
    std::array<char, name.size() + 4> text{};
    text[0] = I == 0 ? '{' : ',';
    text[1] = '"';
    for (std::size_t c = 0; c < name.size(); ++c) {
        text[c + 2] = name[c];
    }
    text[name.size() + 2] = '"';
    text[name.size() + 3] = ':';
    return text;
}();

template <auto const& names, std::size_t I> constexpr std::string_view quoted_key() {
    auto const& text = k_quoted_key<names, I>;
    return {text.data(), text.size()};
}

} // namespace evobatch::ledger::detail
