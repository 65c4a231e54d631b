#include "state_lines.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fmt/format.h>

#include <limits>
#include <unordered_map>

namespace evobatch::sim {

namespace json = boost::json;

namespace {

constexpr std::string_view k_line_start = "{\"v\":";

// One line's fields, read with the line number at hand for the error.
class Fields {
public:
    Fields(json::object const& object, std::size_t line) : m_object(object), m_line(line) {}

    [[noreturn]] void fail(std::string const& what) const { throw StateLineError(m_line, what); }
    [[nodiscard]] json::object const& object() const noexcept { return m_object; }
    [[nodiscard]] std::size_t line() const noexcept { return m_line; }

    json::value const& at(std::string_view name) const {
        auto const* v = m_object.if_contains(name);
        if (v == nullptr) {
            fail(fmt::format("no \"{}\"", name));
        }
        return *v;
    }
    std::string text(std::string_view name) const {
        auto const* s = at(name).if_string();
        if (s == nullptr) {
            fail(fmt::format("\"{}\" is not a string", name));
        }
        return std::string(*s);
    }
    std::int64_t integer(std::string_view name, std::int64_t low = 0,
                         std::int64_t high = std::numeric_limits<std::int64_t>::max()) const {
        json::value const& v = at(name);
        std::int64_t n = 0;
        if (auto const* i = v.if_int64()) {
            n = *i;
        } else if (auto const* u = v.if_uint64(); u != nullptr && *u <= static_cast<std::uint64_t>(high)) {
            n = static_cast<std::int64_t>(*u);
        } else {
            fail(fmt::format("\"{}\" is not an integer", name));
        }
        if (n < low || n > high) {
            fail(fmt::format("\"{}\" is {}, outside {}..{}", name, n, low, high));
        }
        return n;
    }
    std::optional<std::string> optional_text(std::string_view name) const {
        auto const* v = m_object.if_contains(name);
        return v == nullptr || v->is_null() ? std::nullopt : std::optional<std::string>(text(name));
    }

private:
    json::object const& m_object;
    std::size_t m_line;
};

TaskRecord read_task(Fields const& f) {
    TaskRecord r;
    r.id = f.text("id");
    r.created_ms = f.integer("t");
    r.key = f.optional_text("key");
    r.digest = f.text("digest");
    r.video_url = f.text("video");
    r.video_duration = static_cast<int>(f.integer("duration", 0, std::numeric_limits<int>::max()));
    r.estimated_time = static_cast<int>(f.integer("estimate", 0, std::numeric_limits<int>::max()));
    r.cost = f.integer("cost");
    r.file_bytes = static_cast<std::uint64_t>(f.integer("file_bytes"));
    r.run_time = std::chrono::nanoseconds{f.integer("run_ns")};
    r.ends_after = std::chrono::nanoseconds{f.integer("ends_ns", 0, r.run_time.count())};
    if (auto const* error = f.object().if_contains("error"); error != nullptr && !error->is_null()) {
        auto const* e = error->if_object();
        if (e == nullptr) {
            f.fail("\"error\" is not an object");
        }
        Fields const ef(*e, f.line());
        r.failure = api::TaskError{ef.text("code"), ef.text("message"), ef.text("type")};
    }
    return r;
}

} // namespace

std::string state_start_line(std::uint16_t port, std::int64_t unix_ms) {
    json::object const line{{"v", k_state_version}, {"ev", "start"}, {"t", unix_ms}, {"port", port}};
    return json::serialize(line) + '\n';
}

std::string state_task_line(TaskRecord const& r) {
    json::object line{{"v", k_state_version},
                      {"ev", "task"},
                      {"id", r.id},
                      {"t", r.created_ms},
                      {"key", r.key ? json::value(*r.key) : json::value(nullptr)},
                      {"digest", r.digest},
                      {"video", r.video_url},
                      {"duration", r.video_duration},
                      {"estimate", r.estimated_time},
                      {"cost", r.cost},
                      {"file_bytes", r.file_bytes},
                      {"run_ns", r.run_time.count()},
                      {"ends_ns", r.ends_after.count()}};
    if (r.failure) {
        line["error"] = json::object{
            {"code", r.failure->code}, {"message", r.failure->message}, {"type", r.failure->type}};
    }
    return json::serialize(line) + '\n';
}

StateContents parse_state(std::string_view text) {
    StateContents out;
    std::unordered_map<std::string, std::size_t> line_of_id;
    std::size_t number = 0;
    while (!text.empty()) {
        ++number;
        auto const end = text.find('\n');
        std::string_view const line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);

        boost::system::error_code ec;
        json::value const value = json::parse(line, ec);
        json::object const* object = ec ? nullptr : value.if_object();
        if (object == nullptr) {
            throw StateLineError(number, "not a JSON object");
        }
        Fields const f(*object, number);
        if (auto const* v = object->if_contains("v");
            v == nullptr || !v->is_int64() || v->as_int64() != k_state_version) {
            f.fail(fmt::format(
                "written by another version of the simulator (state format {}, this one reads {})",
                v == nullptr ? std::string("unknown") : json::serialize(*v), k_state_version));
        }
        std::string const ev = f.text("ev");
        if (number == 1 && ev != "start") {
            f.fail("the first line is not a simulator start line");
        }
        if (ev == "start") {
            out.port =
                static_cast<std::uint16_t>(f.integer("port", 1, std::numeric_limits<std::uint16_t>::max()));
            ++out.starts;
        } else if (ev == "task") {
            TaskRecord r = read_task(f);
            if (auto const [it, fresh] = line_of_id.emplace(r.id, number); !fresh) {
                f.fail(fmt::format("task {} was already on line {}", r.id, it->second));
            }
            out.tasks.push_back(std::move(r));
        } else {
            f.fail(fmt::format("unknown \"ev\": \"{}\"", ev));
        }
    }
    return out;
}

bool could_be_state_line(std::string_view tail) noexcept {
    return tail.starts_with(k_line_start) || k_line_start.starts_with(tail);
}

} // namespace evobatch::sim
