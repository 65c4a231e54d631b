#include "evobatch/ledger/event.hpp"

#include "line_parser.hpp"

#include "evobatch/util/json_text.hpp"

#include <array>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <utility>

namespace evobatch::ledger {

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
    std::pair{EventType::unsent, std::string_view("unsent")},
    std::pair{EventType::downloaded, std::string_view("downloaded")},
};

// ---- writing -------------------------------------------------------------------------------

void append_string(std::string_view text, std::string& out) { util::append_json_string(text, out); }

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
    // The same parser replay reuses line after line; here it lives for one line.
    detail::LineParser parser;
    if (auto ec = parser.parse(line)) {
        return ec;
    }
    detail::EventView const& v = parser.view();
    auto const copy = [](std::optional<std::string_view> s) {
        return s ? std::optional<std::string>(*s) : std::nullopt;
    };
    Event event;
    event.type = v.type;
    event.t_ms = v.t_ms;
    event.job = v.job;
    event.req = v.req;
    event.task = copy(v.task);
    event.key = copy(v.key);
    event.rid = copy(v.rid);
    event.attempt = v.attempt;
    event.progress = v.progress;
    event.eta_s = v.eta_s;
    event.credits = v.credits;
    event.results.assign(v.results.begin(), v.results.end());
    if (v.has_error) {
        event.error = EventError{std::string(v.error_code), std::string(v.error_message)};
    }
    event.file = copy(v.file);
    event.sha256 = copy(v.sha256);
    event.bytes = v.bytes;
    event.manifest = copy(v.manifest);
    event.digest = copy(v.digest);
    return event;
}

std::int64_t now_ms() noexcept {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace evobatch::ledger
