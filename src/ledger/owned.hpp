#pragma once
// A parsed line's views copied into text of its own: the whole Event (parse_json_line) or one
// value of it (replay keeps only what it needs). Field by field over the table, so a new field
// is copied without a line here. Internal to src/ledger.

#include "fields.hpp"

#include <concepts>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::ledger::detail {

// What is the same type in both (numbers, the event type) is copied as it is.
template <class T> void own(T const& from, T& to) { to = from; }
inline void own(std::string_view from, std::string& to) { to.assign(from); }
inline void own(std::span<std::string_view const> from, std::vector<std::string>& to) {
    to.assign(from.begin(), from.end());
}

inline void own(EventErrorView const& from, EventError& to) {
    for_each_index<k_error_field_count>([&](auto i) {
        own(from.*std::get<i>(k_error_fields<EventErrorView>).member,
            to.*std::get<i>(k_error_fields<EventError>).member);
    });
}

template <class View, class Owned>
    requires(!std::same_as<View, Owned>)
void own(std::optional<View> const& from, std::optional<Owned>& to) {
    if (from) {
        own(*from, to.emplace());
    } else {
        to.reset();
    }
}

inline Event owned(EventView const& view) {
    Event event;
    for_each_index<k_field_count>([&](auto i) {
        constexpr auto field = std::get<i>(k_fields<Event>);
        if constexpr (field.kind != Kind::version) {
            own(view.*std::get<i>(k_fields<EventView>).member, event.*field.member);
        }
    });
    return event;
}

} // namespace evobatch::ledger::detail
