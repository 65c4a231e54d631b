#include "fast_line.hpp"

#include "fields.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <type_traits>

namespace evobatch::ledger::detail {

namespace {

// Lines exactly as append_json_line writes them: the fields of k_fields in its order, each
// read by its kind (fields.hpp), no spaces, strings with neither escapes nor bytes beyond ASCII
// (so no UTF-8 to check), integers in range. Read by hand, such a line costs a third of the
// SAX parse, and replay reads little else. Anything else, valid or not, is left to the SAX
// parser, which has the last word on every line.
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
        m_job_fields = 0;
        bool ok = true;
        for_each_index<k_field_count>([&](auto i) { ok = ok && read_field<i>(out, results); });
        // Our writer writes every job field on a job event and none on `batch`.
        std::size_t const job_fields = out.type == EventType::batch ? 0 : count_of(Kind::job_text);
        return ok && m_job_fields == job_fields && skip("}") && m_rest.empty();
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

    // The table's field I, where our writer would write it: true when it is there and read,
    // or absent and optional.
    template <std::size_t I> bool read_field(EventView& out, std::vector<std::string_view>& results) {
        constexpr auto field = std::get<I>(k_fields<EventView>);
        bool const present = skip(quoted_key<k_field_names, I>());
        if constexpr (field.kind == Kind::version) {
            int version = 0;
            return present && integer(version) && version == k_format_version;
        } else if constexpr (field.kind == Kind::time) {
            return present && integer(out.*field.member);
        } else if constexpr (field.kind == Kind::event_type) {
            std::string_view name;
            auto const type = present && string(name) ? parse_event_type(name) : std::nullopt;
            out.*field.member = type.value_or(EventType::progress);
            return type.has_value();
        } else if (!present) {
            return true;
        } else if constexpr (field.kind == Kind::job_text) {
            ++m_job_fields;
            return string(out.*field.member);
        } else if constexpr (field.kind == Kind::text_list) {
            return list(results) && (out.*field.member = results, true);
        } else if constexpr (field.kind == Kind::error) {
            return error(out.*field.member);
        } else {
            return value(out.*field.member);
        }
    }

    // A text or integer field's value.
    template <class T> bool value(std::optional<T>& out) {
        T v{};
        if constexpr (std::is_same_v<T, std::string_view>) {
            if (!string(v)) {
                return false;
            }
        } else if (!integer(v)) {
            return false;
        }
        out = v;
        return true;
    }

    // A non-empty array of strings: our writer leaves an empty list out.
    bool list(std::vector<std::string_view>& results) {
        results.clear();
        if (!skip("[")) {
            return false;
        }
        do {
            if (!string(results.emplace_back())) {
                return false;
            }
        } while (skip(","));
        return skip("]");
    }

    template <class Error> bool error(std::optional<Error>& out) {
        Error& e = out.emplace();
        bool ok = true;
        for_each_index<k_error_field_count>([&](auto i) {
            ok = ok && skip(quoted_key<k_error_field_names, i>()) &&
                 string(e.*std::get<i>(k_error_fields<Error>).member);
        });
        return ok && skip("}");
    }

    std::size_t m_job_fields = 0; // the job fields on the line
    std::string_view m_rest;
};

} // namespace

bool read_fast_line(std::string_view line, EventView& out, std::vector<std::string_view>& results) {
    return FastLine(line).read(out, results);
}

} // namespace evobatch::ledger::detail
