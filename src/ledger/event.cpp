#include "evobatch/ledger/event.hpp"

#include "evobatch/ledger/error.hpp"
#include "evobatch/util/utf8.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <limits>
#include <utility>

namespace evobatch::ledger {

namespace json = boost::json;
using boost::system::error_code;
using boost::system::result;

namespace {

constexpr std::array k_event_names{
    std::pair{EventType::batch, std::string_view("batch")},
    std::pair{EventType::submitting, std::string_view("submitting")},
    std::pair{EventType::submitted, std::string_view("submitted")},
    std::pair{EventType::progress, std::string_view("progress")},
    std::pair{EventType::completed, std::string_view("completed")},
    std::pair{EventType::failed, std::string_view("failed")},
    std::pair{EventType::uncertain, std::string_view("uncertain")},
    std::pair{EventType::downloaded, std::string_view("downloaded")},
};

// ---- writing -------------------------------------------------------------------------------

constexpr std::string_view k_replacement_char = "\xEF\xBF\xBD"; // U+FFFD

void append_escaped_valid(std::string_view text, std::string& out) {
    constexpr std::string_view k_hex = "0123456789abcdef";
    std::size_t run = 0; // start of the pending run of bytes that need no escape
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto const c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20U && c != '"' && c != '\\') {
            continue;
        }
        out.append(text.substr(run, i - run));
        run = i + 1;
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            out += "\\u00";
            out += k_hex[c >> 4U];
            out += k_hex[c & 0xFU];
        }
    }
    out.append(text.substr(run));
}

// A JSON string literal. Bytes that are not well-formed UTF-8 would make the whole line
// unparseable (Boost.JSON validates UTF-8), so each becomes U+FFFD.
void append_string(std::string_view text, std::string& out) {
    out += '"';
    while (!text.empty()) {
        auto const bad = util::find_invalid_utf8(text);
        if (!bad) {
            append_escaped_valid(text, out);
            break;
        }
        append_escaped_valid(text.substr(0, *bad), out);
        out += k_replacement_char;
        text.remove_prefix(*bad + 1);
    }
    out += '"';
}

template <class Int> void append_integer(Int value, std::string& out) {
    std::array<char, 24> digits{};
    auto const [end, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    out.append(digits.data(), end);
}

void append_key(std::string_view key, std::string& out) {
    out += ",\"";
    out += key; // our keys are plain ASCII
    out += "\":";
}

void append_field(std::string_view key, std::optional<std::string> const& v, std::string& out) {
    if (v) {
        append_key(key, out);
        append_string(*v, out);
    }
}

template <class Int> void append_field(std::string_view key, std::optional<Int> const& v, std::string& out) {
    if (v) {
        append_key(key, out);
        append_integer(*v, out);
    }
}

// ---- parsing -------------------------------------------------------------------------------

error_code fail(LedgerErrc e) {
    return make_error_code(e);
}

json::value const* find(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v == nullptr || v->is_null() ? nullptr : v;
}

// Integers only: our writer never writes 7.0 or "7", so those mean someone else wrote the line.
template <class Int> error_code read_integer(json::value const& v, Int& out) {
    if (auto const* i = v.if_int64()) {
        if (!std::in_range<Int>(*i)) {
            return fail(LedgerErrc::out_of_range);
        }
        out = static_cast<Int>(*i);
        return {};
    }
    if (auto const* u = v.if_uint64()) {
        if (!std::in_range<Int>(*u)) {
            return fail(LedgerErrc::out_of_range);
        }
        out = static_cast<Int>(*u);
        return {};
    }
    return fail(LedgerErrc::wrong_type);
}

template <class Int> error_code read(json::object const& o, std::string_view key, std::optional<Int>& out) {
    auto const* v = find(o, key);
    if (v == nullptr) {
        return {};
    }
    Int value{};
    if (auto ec = read_integer(*v, value)) {
        return ec;
    }
    out = value;
    return {};
}

error_code read_string(json::value const& v, std::string& out) {
    auto const* s = v.if_string();
    if (s == nullptr) {
        return fail(LedgerErrc::wrong_type);
    }
    out.assign(s->data(), s->size());
    return {};
}

error_code read(json::object const& o, std::string_view key, std::optional<std::string>& out) {
    auto const* v = find(o, key);
    if (v == nullptr) {
        return {};
    }
    return read_string(*v, out.emplace());
}

error_code read_required(json::object const& o, std::string_view key, std::string& out) {
    auto const* v = find(o, key);
    return v == nullptr ? fail(LedgerErrc::missing_field) : read_string(*v, out);
}

error_code read_optional_string(json::object const& o, std::string_view key, std::string& out) {
    auto const* v = find(o, key);
    return v == nullptr ? error_code() : read_string(*v, out);
}

error_code read_results(json::object const& o, std::vector<std::string>& out) {
    auto const* v = find(o, "results");
    if (v == nullptr) {
        return {};
    }
    auto const* a = v->if_array();
    if (a == nullptr) {
        return fail(LedgerErrc::wrong_type);
    }
    out.reserve(a->size());
    for (auto const& item : *a) {
        if (auto ec = read_string(item, out.emplace_back())) {
            return ec;
        }
    }
    return {};
}

error_code read_error(json::object const& o, std::optional<EventError>& out) {
    auto const* v = find(o, "error");
    if (v == nullptr) {
        return {};
    }
    auto const* e = v->if_object();
    if (e == nullptr) {
        return fail(LedgerErrc::wrong_type);
    }
    auto& error = out.emplace();
    for (auto const& [key, field] : {std::pair{"code", &error.code}, std::pair{"message", &error.message}}) {
        if (auto const* s = find(*e, key)) {
            if (auto ec = read_string(*s, *field)) {
                return ec;
            }
        }
    }
    return {};
}

// `v`, `t`, `ev` (and `job`, `req` for job events): what every consumer of a line relies on.
error_code read_header(json::object const& o, Event& event) {
    auto const* v = find(o, "v");
    if (v == nullptr) {
        return fail(LedgerErrc::missing_field);
    }
    int version = 0;
    if (auto ec = read_integer(*v, version)) {
        return ec == LedgerErrc::out_of_range ? fail(LedgerErrc::unsupported_version) : ec;
    }
    if (version != k_format_version) {
        return fail(LedgerErrc::unsupported_version);
    }
    auto const* t = find(o, "t");
    auto const* ev = find(o, "ev");
    if (t == nullptr || ev == nullptr) {
        return fail(LedgerErrc::missing_field);
    }
    if (auto ec = read_integer(*t, event.t_ms)) {
        return ec;
    }
    auto const* name = ev->if_string();
    if (name == nullptr) {
        return fail(LedgerErrc::wrong_type);
    }
    auto const type = parse_event_type(std::string_view(name->data(), name->size()));
    if (!type) {
        return fail(LedgerErrc::unknown_event);
    }
    event.type = *type;
    if (event.type == EventType::batch) {
        return {};
    }
    if (auto ec = read_required(o, "job", event.job)) {
        return ec;
    }
    return read_required(o, "req", event.req);
}

error_code read_event(json::object const& o, Event& event) {
    if (auto ec = read_header(o, event)) {
        return ec;
    }
    error_code ec;
    if (event.type == EventType::batch) {
        // A batch line has no job fields by contract, but reading them when present is harmless.
        ec = read_optional_string(o, "job", event.job);
        if (!ec) {
            ec = read_optional_string(o, "req", event.req);
        }
    }
    for (auto const& [key, field] :
         {std::pair{"task", &event.task}, std::pair{"key", &event.key}, std::pair{"rid", &event.rid},
          std::pair{"file", &event.file}, std::pair{"sha256", &event.sha256},
          std::pair{"manifest", &event.manifest}, std::pair{"digest", &event.digest}}) {
        if (!ec) {
            ec = read(o, key, *field);
        }
    }
    for (auto const& [key, field] :
         {std::pair{"attempt", &event.attempt}, std::pair{"progress", &event.progress},
          std::pair{"eta_s", &event.eta_s}}) {
        if (!ec) {
            ec = read(o, key, *field);
        }
    }
    if (!ec) {
        ec = read(o, "credits", event.credits);
    }
    if (!ec) {
        ec = read(o, "bytes", event.bytes);
    }
    if (!ec) {
        ec = read_results(o, event.results);
    }
    if (!ec) {
        ec = read_error(o, event.error);
    }
    return ec;
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
    // `v` comes first on purpose: the writer recognises a torn tail of its own by `{"v":`.
    out += "{\"v\":";
    append_integer(k_format_version, out);
    append_key("t", out);
    append_integer(event.t_ms, out);
    if (event.type != EventType::batch) {
        append_key("job", out);
        append_string(event.job, out);
        append_key("req", out);
        append_string(event.req, out);
    }
    append_key("ev", out);
    append_string(to_string(event.type), out);
    append_field("task", event.task, out);
    append_field("attempt", event.attempt, out);
    append_field("key", event.key, out);
    append_field("rid", event.rid, out);
    append_field("progress", event.progress, out);
    append_field("eta_s", event.eta_s, out);
    append_field("credits", event.credits, out);
    if (!event.results.empty()) {
        append_key("results", out);
        out += '[';
        for (std::size_t i = 0; i < event.results.size(); ++i) {
            if (i != 0) {
                out += ',';
            }
            append_string(event.results[i], out);
        }
        out += ']';
    }
    if (event.error) {
        append_key("error", out);
        out += "{\"code\":";
        append_string(event.error->code, out);
        out += ",\"message\":";
        append_string(event.error->message, out);
        out += '}';
    }
    append_field("file", event.file, out);
    append_field("bytes", event.bytes, out);
    append_field("sha256", event.sha256, out);
    append_field("manifest", event.manifest, out);
    append_field("digest", event.digest, out);
    out += "}\n";
}

std::string to_json_line(Event const& event) {
    std::string line;
    line.reserve(256);
    append_json_line(event, line);
    return line;
}

result<Event> parse_json_line(std::string_view line) {
    // The parsed tree lives only until it is converted: a stack arena avoids a heap allocation
    // per node, which matters when replay reads a ledger of a million lines.
    alignas(std::max_align_t) unsigned char buffer[4096];
    json::monotonic_resource arena(buffer, sizeof buffer);
    error_code ec;
    json::value const v = json::parse(line, ec, json::storage_ptr(&arena));
    if (ec) {
        return ec;
    }
    auto const* o = v.if_object();
    if (o == nullptr) {
        return fail(LedgerErrc::not_an_object);
    }
    Event event;
    if (auto read_ec = read_event(*o, event)) {
        return read_ec;
    }
    return event;
}

std::int64_t now_ms() noexcept {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace evobatch::ledger
