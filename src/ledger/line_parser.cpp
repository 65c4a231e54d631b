#include "line_parser.hpp"

#include "fast_line.hpp"
#include "field_lookup.hpp"
#include "fields.hpp"

#include "evobatch/ledger/error.hpp"

#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <array>
#include <charconv>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

namespace evobatch::ledger::detail {

namespace json = boost::json;
using boost::system::error_code;

namespace {

error_code fail(LedgerErrc e) {
    return make_error_code(e);
}

// What the line says about one scalar field. A JSON object keeps the last of duplicate keys,
// so each occurrence overwrites the one before; null reads as absent.
struct Scalar {
    enum class Kind : std::uint8_t { absent, string, int64, uint64, other };
    Kind kind = Kind::absent;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    std::string s; // reused from line to line: no allocation once it has grown

    // Integers only: our writer never writes 7.0 or "7", so those mean someone else wrote the line.
    template <class Int> error_code read(std::optional<Int>& out) const {
        if (kind == Kind::absent) {
            return {};
        }
        if (kind == Kind::int64 && std::in_range<Int>(i)) {
            out = static_cast<Int>(i);
            return {};
        }
        if (kind == Kind::uint64 && std::in_range<Int>(u)) {
            out = static_cast<Int>(u);
            return {};
        }
        return fail(kind == Kind::int64 || kind == Kind::uint64 ? LedgerErrc::out_of_range
                                                                : LedgerErrc::wrong_type);
    }

    error_code read(std::optional<std::string_view>& out) const {
        if (kind == Kind::absent) {
            return {};
        }
        if (kind != Kind::string) {
            return fail(LedgerErrc::wrong_type);
        }
        out = s;
        return {};
    }

    // A string that may be absent: then empty.
    error_code read_optional(std::string_view& out) const {
        std::optional<std::string_view> v;
        auto ec = read(v);
        out = v.value_or(std::string_view());
        return ec;
    }

    error_code read_required(std::string_view& out) const {
        std::optional<std::string_view> v;
        auto ec = read(v);
        if (!ec && !v) {
            ec = fail(LedgerErrc::missing_field);
        }
        out = v.value_or(std::string_view());
        return ec;
    }
};

// `results` and `error`: absent, of the wrong JSON type, or the container we expect.
enum class Shape : std::uint8_t { absent, wrong, container };

// Boost.JSON SAX handler (the interface of boost/json/basic_parser.hpp). It never stops the
// parse: like the JSON tree parse_json_line used to build, a line that is not JSON reports
// the JSON error even when a field before the damage has the wrong type.
class Handler {
public:
    // The limits of the tree parser (boost/json/detail/handler.hpp), for the same errors.
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    void reset() noexcept {
        m_depth = 0;
        m_top = Shape::absent;
        m_current = k_unknown_field;
        for (auto& f : m_fields) {
            f.kind = Scalar::Kind::absent;
        }
        m_results = Shape::absent;
        m_results_count = 0;
        m_results_bad = false;
        m_error = Shape::absent;
        for (auto& part : m_error_parts) {
            part.kind = Scalar::Kind::absent;
        }
        m_error_field = nullptr;
        m_part.clear();
    }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code&) { return begin(true); }
    bool on_object_end(std::size_t, error_code&) { return end(); }
    bool on_array_begin(error_code&) { return begin(false); }
    bool on_array_end(std::size_t, error_code&) { return end(); }
    bool on_key_part(json::string_view s, std::size_t, error_code&) { return part(s); }
    bool on_key(json::string_view s, std::size_t, error_code&) {
        key(whole(s));
        m_part.clear();
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, error_code&) { return part(s); }
    bool on_string(json::string_view s, std::size_t, error_code&) {
        scalar(Scalar::Kind::string, whole(s));
        m_part.clear();
        return true;
    }
    bool on_number_part(json::string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, error_code&) {
        return scalar(Scalar::Kind::int64, {}, i, 0);
    }
    bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
        return scalar(Scalar::Kind::uint64, {}, 0, u);
    }
    bool on_double(double, json::string_view, error_code&) { return scalar(Scalar::Kind::other); }
    bool on_bool(bool, error_code&) { return scalar(Scalar::Kind::other); }
    bool on_null(error_code&) { return scalar(Scalar::Kind::absent); }
    bool on_comment_part(json::string_view, error_code&) { return true; }
    bool on_comment(json::string_view, error_code&) { return true; }

    // The checks parse_json_line has always made, in its order, so that a line with several
    // problems reports the same one.
    error_code finish(EventView& out, std::vector<std::string_view>& results) const {
        if (m_top != Shape::container) {
            return fail(LedgerErrc::not_an_object);
        }
        out = EventView{};
        if (auto ec = check_version()) {
            return ec;
        }
        error_code ec;
        // Every required field present before any is read: a line without `ev` is missing a
        // field even when its `t` is of the wrong type.
        each_field<Kind::time, Kind::event_type>([&](auto i) {
            if (!ec && m_fields[i].kind == Scalar::Kind::absent) {
                ec = fail(LedgerErrc::missing_field);
            }
        });
        // Then kind by kind: strings (which can only be of the wrong type) before numbers (also
        // out of range), so a line with several problems reports the one it always has.
        read_each<Kind::time>(out, results, ec);
        read_each<Kind::event_type>(out, results, ec);
        read_each<Kind::job_text>(out, results, ec);
        read_each<Kind::text>(out, results, ec);
        read_each<Kind::integer>(out, results, ec);
        read_each<Kind::text_list>(out, results, ec);
        read_each<Kind::error>(out, results, ec);
        return ec;
    }

private:
    // Calls visit(std::integral_constant<std::size_t, I>) for each field I of the given kinds.
    template <Kind... kinds, class Visit> static void each_field(Visit&& visit) {
        for_each_index<k_field_count>([&](auto i) {
            if constexpr (((k_field_kinds[i] == kinds) || ...)) {
                visit(i);
            }
        });
    }

    // Reads each field of the kind into its member, until the first error.
    template <Kind kind>
    void read_each(EventView& out, std::vector<std::string_view>& results, error_code& ec) const {
        each_field<kind>([&](auto i) {
            if (!ec) {
                ec = read_field<kind>(m_fields[i], out.*std::get<i>(k_fields<EventView>).member, out.type,
                                      results);
            }
        });
    }

    error_code check_version() const {
        Scalar const& v = m_fields[0]; // the table asserts `v` comes first
        std::optional<int> version;
        if (v.kind == Scalar::Kind::absent) {
            return fail(LedgerErrc::missing_field);
        }
        if (auto ec = v.read(version)) {
            return ec == LedgerErrc::out_of_range ? fail(LedgerErrc::unsupported_version) : ec;
        }
        return version == k_format_version ? error_code() : fail(LedgerErrc::unsupported_version);
    }

    // One field's value, by its kind, into its member.
    template <Kind kind, class Member>
    error_code read_field(Scalar const& scalar, Member& member, EventType type,
                          std::vector<std::string_view>& results) const {
        if constexpr (kind == Kind::time) {
            std::optional<Member> value;
            auto ec = scalar.read(value);
            member = value.value_or(Member{});
            return ec;
        } else if constexpr (kind == Kind::event_type) {
            if (scalar.kind != Scalar::Kind::string) {
                return fail(LedgerErrc::wrong_type);
            }
            auto const parsed = parse_event_type(scalar.s);
            member = parsed.value_or(EventType::progress);
            return parsed ? error_code() : fail(LedgerErrc::unknown_event);
        } else if constexpr (kind == Kind::job_text) {
            // A batch line has no job fields by contract, but reading them when present is harmless.
            return type == EventType::batch ? scalar.read_optional(member) : scalar.read_required(member);
        } else if constexpr (kind == Kind::text_list) {
            return read_results(member, results);
        } else if constexpr (kind == Kind::error) {
            return read_error(member);
        } else {
            return scalar.read(member);
        }
    }

    error_code read_results(std::span<std::string_view const>& out,
                            std::vector<std::string_view>& results) const {
        if (m_results == Shape::wrong || m_results_bad) {
            return fail(LedgerErrc::wrong_type);
        }
        if (m_results == Shape::container) {
            results.assign(m_results_list.begin(),
                           m_results_list.begin() + static_cast<std::ptrdiff_t>(m_results_count));
            out = results;
        }
        return {};
    }

    error_code read_error(std::optional<EventErrorView>& out) const {
        if (m_error == Shape::absent) {
            return {};
        }
        if (m_error == Shape::wrong) {
            return fail(LedgerErrc::wrong_type);
        }
        auto& error = out.emplace();
        error_code ec;
        for_each_index<k_error_field_count>([&](auto i) {
            if (!ec) {
                auto& part = error.*std::get<i>(k_error_fields<EventErrorView>).member;
                ec = m_error_parts[i].read_optional(part);
            }
        });
        if (ec) {
            out.reset();
        }
        return ec;
    }

    [[nodiscard]] bool current_is(Kind kind) const {
        return m_current != k_unknown_field && k_field_kinds[m_current] == kind;
    }

    bool part(json::string_view s) {
        m_part.append(s.data(), s.size());
        return true;
    }

    // A key or string that came in parts (escapes, or a long one) is whole in m_part.
    std::string_view whole(json::string_view s) {
        if (m_part.empty()) {
            return {s.data(), s.size()};
        }
        m_part.append(s.data(), s.size());
        return m_part;
    }

    void key(std::string_view k) {
        if (m_top != Shape::container) {
            return;
        }
        if (m_depth == 1) {
            m_current = field_index(k);
        } else if (m_depth == 2 && current_is(Kind::error) && m_error == Shape::container) {
            m_error_field = nullptr;
            for (std::size_t i = 0; i < k_error_field_count; ++i) {
                if (k_error_field_names[i] == k) {
                    m_error_field = &m_error_parts[i];
                }
            }
        }
    }

    // Depth counts the containers open: 1 inside the line's object, 2 inside a field's value.
    bool begin(bool object) {
        if (m_depth == 0) {
            m_top = object ? Shape::container : Shape::wrong;
        } else if (m_top == Shape::container && m_depth == 1) {
            if (current_is(Kind::text_list)) {
                m_results = object ? Shape::wrong : Shape::container;
                m_results_count = 0;
                m_results_bad = false;
            } else if (current_is(Kind::error)) {
                m_error = object ? Shape::container : Shape::wrong;
                for (auto& part : m_error_parts) {
                    part.kind = Scalar::Kind::absent;
                }
                m_error_field = nullptr;
            } else if (m_current != k_unknown_field) {
                m_fields[m_current].kind = Scalar::Kind::other;
            }
        } else if (m_top == Shape::container && m_depth == 2) {
            if (current_is(Kind::text_list) && m_results == Shape::container) {
                m_results_bad = true;
            } else if (current_is(Kind::error) && m_error == Shape::container && m_error_field != nullptr) {
                m_error_field->kind = Scalar::Kind::other;
            }
        }
        ++m_depth;
        return true;
    }

    bool end() {
        --m_depth;
        return true;
    }

    bool scalar(Scalar::Kind kind, std::string_view s = {}, std::int64_t i = 0, std::uint64_t u = 0) {
        Scalar* target = nullptr;
        if (m_depth == 0) {
            m_top = Shape::wrong;
        } else if (m_top != Shape::container) {
            // Inside a line that is not an object: nothing to read.
        } else if (m_depth == 1) {
            if (current_is(Kind::text_list)) {
                m_results = kind == Scalar::Kind::absent ? Shape::absent : Shape::wrong;
            } else if (current_is(Kind::error)) {
                m_error = kind == Scalar::Kind::absent ? Shape::absent : Shape::wrong;
            } else if (m_current != k_unknown_field) {
                target = &m_fields[m_current];
            }
        } else if (m_depth == 2 && current_is(Kind::text_list) && m_results == Shape::container) {
            if (kind != Scalar::Kind::string) {
                m_results_bad = true; // null too: a result is a URL
            } else if (m_results_count < m_results_list.size()) {
                m_results_list[m_results_count++].assign(s);
            } else {
                m_results_list.emplace_back(s);
                ++m_results_count;
            }
        } else if (m_depth == 2 && current_is(Kind::error) && m_error == Shape::container) {
            target = m_error_field;
        }
        if (target != nullptr) {
            target->kind = kind;
            target->i = i;
            target->u = u;
            if (kind == Scalar::Kind::string) {
                target->s.assign(s);
            }
        }
        return true;
    }

    int m_depth = 0;
    Shape m_top = Shape::absent;             // container: the line is a JSON object
    std::size_t m_current = k_unknown_field; // the line's field whose value is being read
    std::array<Scalar, k_field_count> m_fields; // by position in k_fields; scalars only
    Shape m_results = Shape::absent;
    std::vector<std::string> m_results_list; // the first m_results_count are this line's
    std::size_t m_results_count = 0;
    bool m_results_bad = false; // an element is not a string
    Shape m_error = Shape::absent;
    std::array<Scalar, k_error_field_count> m_error_parts; // by position in k_error_fields
    Scalar* m_error_field = nullptr; // the part being read, or nullptr for another key
    std::string m_part;
};

} // namespace

class LineParser::Impl {
public:
    json::basic_parser<Handler> parser{json::parse_options()};
    EventView view;
    std::vector<std::string_view> results; // what view.results shows
};

LineParser::LineParser() : m_impl(std::make_unique<Impl>()) {}
LineParser::~LineParser() = default;

error_code LineParser::parse(std::string_view line) {
    if (read_fast_line(line, m_impl->view, m_impl->results)) {
        return {};
    }
    return parse_without_fast_path(line);
}

error_code LineParser::parse_without_fast_path(std::string_view line) {
    auto& parser = m_impl->parser;
    parser.reset();
    parser.handler().reset();
    error_code ec;
    std::size_t const used = parser.write_some(false, line.data(), line.size(), ec);
    if (ec) {
        return ec;
    }
    if (used < line.size()) {
        return json::error::extra_data; // as boost::json::parse says of "{} {}"
    }
    return parser.handler().finish(m_impl->view, m_impl->results);
}

EventView const& LineParser::view() const noexcept {
    return m_impl->view;
}

} // namespace evobatch::ledger::detail
