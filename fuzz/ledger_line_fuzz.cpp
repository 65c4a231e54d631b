// libFuzzer target: the ledger line parser. Three properties on any bytes:
//  - it answers or refuses, never crashes;
//  - a line the hand-written fast path reads means exactly what Boost.JSON's SAX parser says
//    it means (the fast path is only a shortcut);
//  - an event it accepts is written back (to_json_line) as a line that reads as the same event;
//  - the bytes read as a reconcile's candidates text are written back (candidates_text) as text
//    that reads as the same candidates.
// Replaying the bytes as a whole ledger exercises the torn-tail and bad-line rules.

#include "evobatch/ledger/event.hpp"
#include "evobatch/ledger/replay.hpp"
#include "ledger/fields.hpp"
#include "ledger/line_parser.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using evobatch::ledger::detail::EventView;

// Field by field, over the table (EventView's results, a span, have no ==).
bool same(EventView const& a, EventView const& b) {
    using namespace evobatch::ledger::detail;
    bool equal = true;
    for_each_index<k_field_count>([&](auto i) {
        constexpr auto field = std::get<i>(k_fields<EventView>);
        if constexpr (field.kind == Kind::text_list) {
            equal = equal && std::ranges::equal(a.*field.member, b.*field.member);
        } else if constexpr (field.kind != Kind::version) {
            equal = equal && a.*field.member == b.*field.member;
        }
    });
    return equal;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    std::string_view const text(reinterpret_cast<char const*>(data), size);
    using namespace evobatch::ledger;

    detail::LineParser fast;
    detail::LineParser sax;
    bool const fast_ok = !fast.parse(text);
    bool const sax_ok = !sax.parse_without_fast_path(text);
    if (fast_ok != sax_ok || (fast_ok && !same(fast.view(), sax.view()))) {
        std::abort(); // the shortcut disagrees with the reference
    }

    if (auto const event = parse_json_line(text)) {
        std::string const line = to_json_line(*event);
        auto const again = parse_json_line(line);
        if (!again || to_json_line(*again) != line) {
            std::abort();
        }
    }

    auto const candidates = parse_candidates(text);
    if (parse_candidates(candidates_text(candidates)) != candidates) {
        std::abort();
    }

    try {
        static_cast<void>(replay_text(text));
    } catch (ReplayError const& e) {
        if (e.line() == 0 || std::string_view(e.what()).empty()) {
            std::abort(); // a bad line is always named
        }
    }
    return 0;
}
