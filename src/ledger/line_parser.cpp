#include "line_parser.hpp"

#include "fast_line.hpp"

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

enum class Field : std::uint8_t {
    v,
    t,
    ev,
    job,
    req,
    task,
    key,
    rid,
    file,
    sha256,
    manifest,
    digest,
    attempt,
    progress,
    eta_s,
    credits,
    bytes,
    results, // the first field that is not a scalar
    error,
    unknown,
};

constexpr std::array<std::string_view, static_cast<std::size_t>(Field::unknown)> k_field_names{
    "v",        "t",      "ev",      "job",      "req",   "task",    "key",   "rid",     "file",  "sha256",
    "manifest", "digest", "attempt", "progress", "eta_s", "credits", "bytes", "results", "error",
};
constexpr auto k_scalar_fields = static_cast<std::size_t>(Field::results);

// Called for every key of every line: the size and a letter or two pick the one name to compare.
Field field_of(std::string_view key) noexcept {
    auto candidate = Field::unknown;
    char const c = key.empty() ? '\0' : key[0];
    switch (key.size()) {
    case 1:
        candidate = c == 'v' ? Field::v : Field::t;
        break;
    case 2:
        candidate = Field::ev;
        break;
    case 3:
        candidate = c == 'j' ? Field::job : c == 'k' ? Field::key : key[2] == 'q' ? Field::req : Field::rid;
        break;
    case 4:
        candidate = c == 't' ? Field::task : Field::file;
        break;
    case 5:
        candidate = c == 'b' ? Field::bytes : key[1] == 't' ? Field::eta_s : Field::error;
        break;
    case 6:
        candidate = c == 's' ? Field::sha256 : Field::digest;
        break;
    case 7:
        candidate = c == 'a' ? Field::attempt : c == 'c' ? Field::credits : Field::results;
        break;
    case 8:
        candidate = c == 'm' ? Field::manifest : Field::progress;
        break;
    default:
        return Field::unknown;
    }
    return k_field_names[static_cast<std::size_t>(candidate)] == key ? candidate : Field::unknown;
}

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
        m_current = Field::unknown;
        for (auto& f : m_fields) {
            f.kind = Scalar::Kind::absent;
        }
        m_results = Shape::absent;
        m_results_count = 0;
        m_results_bad = false;
        m_error = Shape::absent;
        m_code.kind = Scalar::Kind::absent;
        m_message.kind = Scalar::Kind::absent;
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
        std::optional<int> version;
        if (field(Field::v).kind == Scalar::Kind::absent) {
            return fail(LedgerErrc::missing_field);
        }
        if (auto ec = field(Field::v).read(version)) {
            return ec == LedgerErrc::out_of_range ? fail(LedgerErrc::unsupported_version) : ec;
        }
        if (version != k_format_version) {
            return fail(LedgerErrc::unsupported_version);
        }
        if (field(Field::t).kind == Scalar::Kind::absent || field(Field::ev).kind == Scalar::Kind::absent) {
            return fail(LedgerErrc::missing_field);
        }
        std::optional<std::int64_t> t;
        if (auto ec = field(Field::t).read(t)) {
            return ec;
        }
        out.t_ms = *t;
        if (field(Field::ev).kind != Scalar::Kind::string) {
            return fail(LedgerErrc::wrong_type);
        }
        auto const type = parse_event_type(field(Field::ev).s);
        if (!type) {
            return fail(LedgerErrc::unknown_event);
        }
        out.type = *type;
        error_code ec;
        if (out.type == EventType::batch) {
            // A batch line has no job fields by contract, but reading them when present is harmless.
            std::optional<std::string_view> job, req;
            ec = field(Field::job).read(job);
            if (!ec) {
                ec = field(Field::req).read(req);
            }
            out.job = job.value_or(std::string_view());
            out.req = req.value_or(std::string_view());
        } else {
            ec = field(Field::job).read_required(out.job);
            if (!ec) {
                ec = field(Field::req).read_required(out.req);
            }
        }
        for (auto const& [f, dest] :
             {std::pair{Field::task, &out.task}, std::pair{Field::key, &out.key},
              std::pair{Field::rid, &out.rid}, std::pair{Field::file, &out.file},
              std::pair{Field::sha256, &out.sha256}, std::pair{Field::manifest, &out.manifest},
              std::pair{Field::digest, &out.digest}}) {
            if (!ec) {
                ec = field(f).read(*dest);
            }
        }
        for (auto const& [f, dest] :
             {std::pair{Field::attempt, &out.attempt}, std::pair{Field::progress, &out.progress},
              std::pair{Field::eta_s, &out.eta_s}}) {
            if (!ec) {
                ec = field(f).read(*dest);
            }
        }
        if (!ec) {
            ec = field(Field::credits).read(out.credits);
        }
        if (!ec) {
            ec = field(Field::bytes).read(out.bytes);
        }
        if (!ec && (m_results == Shape::wrong || m_results_bad)) {
            ec = fail(LedgerErrc::wrong_type);
        }
        if (!ec && m_results == Shape::container) {
            results.assign(m_results_list.begin(),
                           m_results_list.begin() + static_cast<std::ptrdiff_t>(m_results_count));
            out.results = results;
        }
        if (!ec && m_error != Shape::absent) {
            ec = read_error(out);
        }
        return ec;
    }

private:
    Scalar const& field(Field f) const { return m_fields[static_cast<std::size_t>(f)]; }

    error_code read_error(EventView& out) const {
        if (m_error == Shape::wrong) {
            return fail(LedgerErrc::wrong_type);
        }
        std::optional<std::string_view> code, message;
        if (auto ec = m_code.read(code)) {
            return ec;
        }
        if (auto ec = m_message.read(message)) {
            return ec;
        }
        out.has_error = true;
        out.error_code = code.value_or(std::string_view());
        out.error_message = message.value_or(std::string_view());
        return {};
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
            m_current = field_of(k);
        } else if (m_depth == 2 && m_current == Field::error && m_error == Shape::container) {
            m_error_field = k == "code" ? &m_code : k == "message" ? &m_message : nullptr;
        }
    }

    // Depth counts the containers open: 1 inside the line's object, 2 inside a field's value.
    bool begin(bool object) {
        if (m_depth == 0) {
            m_top = object ? Shape::container : Shape::wrong;
        } else if (m_top == Shape::container && m_depth == 1) {
            if (m_current == Field::results) {
                m_results = object ? Shape::wrong : Shape::container;
                m_results_count = 0;
                m_results_bad = false;
            } else if (m_current == Field::error) {
                m_error = object ? Shape::container : Shape::wrong;
                m_code.kind = Scalar::Kind::absent;
                m_message.kind = Scalar::Kind::absent;
                m_error_field = nullptr;
            } else if (m_current != Field::unknown) {
                m_fields[static_cast<std::size_t>(m_current)].kind = Scalar::Kind::other;
            }
        } else if (m_top == Shape::container && m_depth == 2) {
            if (m_current == Field::results && m_results == Shape::container) {
                m_results_bad = true;
            } else if (m_current == Field::error && m_error == Shape::container && m_error_field != nullptr) {
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
            if (m_current == Field::results) {
                m_results = kind == Scalar::Kind::absent ? Shape::absent : Shape::wrong;
            } else if (m_current == Field::error) {
                m_error = kind == Scalar::Kind::absent ? Shape::absent : Shape::wrong;
            } else if (m_current != Field::unknown) {
                target = &m_fields[static_cast<std::size_t>(m_current)];
            }
        } else if (m_depth == 2 && m_current == Field::results && m_results == Shape::container) {
            if (kind != Scalar::Kind::string) {
                m_results_bad = true; // null too: a result is a URL
            } else if (m_results_count < m_results_list.size()) {
                m_results_list[m_results_count++].assign(s);
            } else {
                m_results_list.emplace_back(s);
                ++m_results_count;
            }
        } else if (m_depth == 2 && m_current == Field::error && m_error == Shape::container) {
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
    Shape m_top = Shape::absent;      // container: the line is a JSON object
    Field m_current = Field::unknown; // the line's field whose value is being read
    std::array<Scalar, k_scalar_fields> m_fields;
    Shape m_results = Shape::absent;
    std::vector<std::string> m_results_list; // the first m_results_count are this line's
    std::size_t m_results_count = 0;
    bool m_results_bad = false; // an element is not a string
    Shape m_error = Shape::absent;
    Scalar m_code, m_message;
    Scalar* m_error_field = nullptr; // &m_code, &m_message, or nullptr for another key
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
