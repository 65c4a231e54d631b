// libFuzzer target: the ledger line parser. Three properties on any bytes:
//  - it answers or refuses, never crashes;
//  - a line the hand-written fast path reads means exactly what Boost.JSON's SAX parser says
//    it means (the fast path is only a shortcut);
//  - an event it accepts is written back (to_json_line) as a line that reads as the same event.
// Replaying the bytes as a whole ledger exercises the torn-tail and bad-line rules.

#include "evobatch/ledger/event.hpp"
#include "evobatch/ledger/replay.hpp"
#include "ledger/line_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using evobatch::ledger::detail::EventView;

bool same(EventView const& a, EventView const& b) {
    bool results_equal = a.results.size() == b.results.size();
    for (std::size_t i = 0; results_equal && i < a.results.size(); ++i) {
        results_equal = a.results[i] == b.results[i];
    }
    return results_equal && a.type == b.type && a.t_ms == b.t_ms && a.job == b.job && a.req == b.req &&
           a.task == b.task && a.key == b.key && a.rid == b.rid && a.file == b.file && a.sha256 == b.sha256 &&
           a.manifest == b.manifest && a.digest == b.digest && a.attempt == b.attempt &&
           a.progress == b.progress && a.eta_s == b.eta_s && a.credits == b.credits && a.bytes == b.bytes &&
           a.has_error == b.has_error &&
           (!a.has_error || (a.error_code == b.error_code && a.error_message == b.error_message));
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

    try {
        static_cast<void>(replay_text(text));
    } catch (ReplayError const& e) {
        if (e.line() == 0 || std::string_view(e.what()).empty()) {
            std::abort(); // a bad line is always named
        }
    }
    return 0;
}
