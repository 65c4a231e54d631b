#include "fast_line.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

namespace evobatch::ledger::detail {

namespace {

// Lines exactly as append_json_line writes them: its fields in its order, no spaces, strings
// with neither escapes nor bytes beyond ASCII (so no UTF-8 to check), integers in range. Read
// by hand, such a line costs a third of the SAX parse, and replay reads little else. Anything
// else, valid or not, is left to the SAX parser, which has the last word on every line.
class FastLine {
public:
    explicit FastLine(std::string_view line) : m_rest(line) {
        if (m_rest.ends_with('\n')) {
            m_rest.remove_suffix(1);
        }
    }

    // True when the line is in our exact form: `out` is then what the SAX parser would say.
    bool read(EventView& out, std::vector<std::string_view>& results) {
        if (!plain(m_rest)) {
            return false;
        }
        out = EventView{};
        if (!skip("{\"v\":1,\"t\":") || !integer(out.t_ms)) {
            return false;
        }
        bool const has_job = skip(",\"job\":");
        if (has_job && (!string(out.job) || !skip(",\"req\":") || !string(out.req))) {
            return false;
        }
        std::string_view ev;
        if (!skip(",\"ev\":") || !string(ev)) {
            return false;
        }
        auto const type = parse_event_type(ev);
        if (!type || (*type == EventType::batch) == has_job) {
            return false;
        }
        out.type = *type;
        if (!field(",\"task\":", out.task) || !field(",\"attempt\":", out.attempt) ||
            !field(",\"key\":", out.key) || !field(",\"rid\":", out.rid) ||
            !field(",\"progress\":", out.progress) || !field(",\"eta_s\":", out.eta_s) ||
            !field(",\"credits\":", out.credits)) {
            return false;
        }
        if (skip(",\"results\":[")) {
            results.clear();
            do {
                if (!string(results.emplace_back())) {
                    return false;
                }
            } while (skip(","));
            if (!skip("]")) {
                return false;
            }
            out.results = results;
        }
        if (skip(",\"error\":{\"code\":")) {
            if (!string(out.error_code) || !skip(",\"message\":") || !string(out.error_message) ||
                !skip("}")) {
                return false;
            }
            out.has_error = true;
        }
        if (!field(",\"file\":", out.file) || !field(",\"bytes\":", out.bytes) ||
            !field(",\"sha256\":", out.sha256) || !field(",\"manifest\":", out.manifest) ||
            !field(",\"digest\":", out.digest)) {
            return false;
        }
        return skip("}") && m_rest.empty();
    }

private:
    // No control character, backslash or byte beyond ASCII: then every string in the line is
    // its own JSON text, and valid UTF-8. Eight bytes at a time (the classic bit tricks: a
    // byte below 0x20 borrows into its top bit, one equal to '\\' becomes 0 and borrows).
    static bool plain(std::string_view line) {
        constexpr std::uint64_t k_ones = 0x0101010101010101U;
        constexpr std::uint64_t k_tops = 0x8080808080808080U;
        std::uint64_t odd = 0;
        std::size_t i = 0;
        for (; i + 8 <= line.size(); i += 8) {
            std::uint64_t word = 0;
            std::memcpy(&word, line.data() + i, 8);
            std::uint64_t const backslash = word ^ (k_ones * '\\');
            odd |= word | (word - k_ones * 0x20U) | ((backslash - k_ones) & ~backslash);
        }
        for (; i < line.size(); ++i) {
            auto const c = static_cast<unsigned char>(line[i]);
            odd |= c < 0x20U || c == '\\' ? 0x80U : c;
        }
        // A borrow only crosses into the next byte from a byte already found odd.
        return (odd & k_tops) == 0;
    }

    bool skip(std::string_view text) {
        if (!m_rest.starts_with(text)) {
            return false;
        }
        m_rest.remove_prefix(text.size());
        return true;
    }

    bool string(std::string_view& out) {
        if (!skip("\"")) {
            return false;
        }
        auto const end = m_rest.find('"');
        if (end == std::string_view::npos) {
            return false;
        }
        out = m_rest.substr(0, end);
        m_rest.remove_prefix(end + 1);
        return true;
    }

    // JSON's integers only (no leading zeros, no "-0", no fraction or exponent), in range.
    template <class Int> bool integer(Int& out) {
        char const* const first = m_rest.data();
        char const* const last = first + m_rest.size();
        char const* const digit = first != last && *first == '-' ? first + 1 : first;
        if (digit == last || *digit < '0' || *digit > '9' ||
            (*digit == '0' &&
             (digit != first || (digit + 1 != last && digit[1] >= '0' && digit[1] <= '9')))) {
            return false;
        }
        auto const [end, ec] = std::from_chars(first, last, out);
        if (ec != std::errc() || end == last || (*end != ',' && *end != '}')) {
            return false;
        }
        m_rest.remove_prefix(static_cast<std::size_t>(end - first));
        return true;
    }

    template <class T> bool field(std::string_view key, std::optional<T>& out) {
        if (!skip(key)) {
            return true;
        }
        T value{};
        if constexpr (std::is_same_v<T, std::string_view>) {
            if (!string(value)) {
                return false;
            }
        } else if (!integer(value)) {
            return false;
        }
        out = value;
        return true;
    }

    std::string_view m_rest;
};

} // namespace

bool read_fast_line(std::string_view line, EventView& out, std::vector<std::string_view>& results) {
    return FastLine(line).read(out, results);
}

} // namespace evobatch::ledger::detail
