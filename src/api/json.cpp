#include "evobatch/api/json.hpp"

#include "json_read.hpp"

#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <limits>

namespace evobatch::api {

namespace json = boost::json;
using boost::system::error_code;
using boost::system::result;

namespace detail {

// Field readers: absent or null fields leave `out` alone; a wrong type is an error.
error_code mismatch() { return json::make_error_code(json::error::not_string); }

error_code read(json::object const& o, std::string_view key, std::string& out) {
    auto const* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return {};
    }
    if (auto const* s = v->if_string()) {
        out.assign(s->data(), s->size());
        return {};
    }
    return mismatch();
}

// Integers may arrive as 7, 7.0 or (rarely) "7".
error_code read(json::object const& o, std::string_view key, std::optional<std::int64_t>& out) {
    auto const* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return {};
    }
    if (auto const* i = v->if_int64()) {
        out = *i;
    } else if (auto const* u = v->if_uint64()) {
        out = static_cast<std::int64_t>(std::min<std::uint64_t>(*u, std::numeric_limits<std::int64_t>::max()));
    } else if (auto const* d = v->if_double(); d != nullptr && std::isfinite(*d) && std::fabs(*d) < 9e18) {
        out = static_cast<std::int64_t>(std::llround(*d));
    } else if (auto const* s = v->if_string()) {
        std::int64_t n = 0;
        auto const [end, ec] = std::from_chars(s->data(), s->data() + s->size(), n);
        if (ec != std::errc{} || end != s->data() + s->size()) {
            return mismatch();
        }
        out = n;
    } else {
        return mismatch();
    }
    return {};
}

error_code read(json::object const& o, std::string_view key, std::optional<int>& out) {
    std::optional<std::int64_t> wide;
    if (auto ec = read(o, key, wide)) {
        return ec;
    }
    if (wide) {
        out = static_cast<int>(std::clamp<std::int64_t>(*wide, std::numeric_limits<int>::min(),
                                                        std::numeric_limits<int>::max()));
    }
    return {};
}

// Credit figures: counts with a few decimals at most. Boost.JSON 1.81 parses a number to within
// an ULP, not exactly, so a figure is snapped to a grid coarse enough that reading our own text
// lands on the same point again: one beyond 10^12 is no balance anyone holds and is refused; the
// rest are kept to a thousandth (an ULP at 10^12 is 1.2e-4, a thousandth of it still well under
// half a step, and 10^12 thousandths are exact in a double). A millionth was too fine: the
// fuzzer's 211111111111.341577 read back as another figure.
error_code read(json::object const& o, std::string_view key, std::optional<double>& out) {
    constexpr double k_max_credits = 1e12;
    constexpr double k_resolution = 1e3;
    auto const* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return {};
    }
    if (!v->is_number()) {
        return mismatch();
    }
    double const d = v->to_number<double>();
    if (!std::isfinite(d) || std::fabs(d) > k_max_credits) {
        return mismatch();
    }
    out = std::round(d * k_resolution) / k_resolution;
    return {};
}

json::object const* child(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v != nullptr ? v->if_object() : nullptr;
}

error_code read(json::object const& o, std::string_view key, std::optional<bool>& out) {
    auto const* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return {};
    }
    if (auto const* b = v->if_bool()) {
        out = *b;
        return {};
    }
    return json::make_error_code(json::error::not_bool);
}

json::value ParseArena::parse(std::string_view body, error_code& ec) {
    json::parser parser(json::storage_ptr(), {}, m_parser_stack, sizeof m_parser_stack);
    parser.reset(json::storage_ptr(&m_resource));
    parser.write(body.data(), body.size(), ec);
    return ec ? json::value() : parser.release();
}

} // namespace detail

using namespace detail;

namespace {

void add_unique(std::vector<std::string>& list, json::string const& s) {
    std::string_view const sv(s.data(), s.size());
    if (!sv.empty() && std::find(list.begin(), list.end(), sv) == list.end()) {
        list.emplace_back(sv);
    }
}

template <class T>
std::string serialize(T const& v) {
    return json::serialize(json::value_from(v));
}

template <class T>
result<T> parse_as(std::string_view body) {
    ParseArena arena;
    error_code ec;
    json::value const v = arena.parse(body, ec);
    if (ec) {
        return ec;
    }
    return json::try_value_to<T>(v);
}

} // namespace

std::string_view to_string(TaskStatus status) noexcept {
    switch (status) {
    case TaskStatus::pending: return "pending";
    case TaskStatus::processing: return "processing";
    case TaskStatus::completed: return "completed";
    case TaskStatus::failed: return "failed";
    case TaskStatus::cancelled: return "cancelled";
    case TaskStatus::unknown: break;
    }
    return "unknown";
}

TaskStatus parse_task_status(std::string_view text) noexcept {
    for (auto const s : {TaskStatus::pending, TaskStatus::processing, TaskStatus::completed, TaskStatus::failed,
                         TaskStatus::cancelled}) {
        if (text == to_string(s)) {
            return s;
        }
    }
    return text == "canceled" ? TaskStatus::cancelled : TaskStatus::unknown;
}

void tag_invoke(json::value_from_tag, json::value& jv, CreateRequest const& r) {
    json::object o;
    o["model"] = r.model;
    o["prompt"] = r.prompt;
    o["video_urls"] = json::value_from(r.video_urls);
    if (!r.image_urls.empty()) {
        o["image_urls"] = json::value_from(r.image_urls);
    }
    if (r.keep_original_sound) {
        o["keep_original_sound"] = *r.keep_original_sound;
    }
    if (r.callback_url) {
        o["callback_url"] = *r.callback_url;
    }
    jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, Task const& t) {
    json::object o;
    o["id"] = t.id;
    o["object"] = "video.generation.task";
    o["model"] = t.model;
    o["type"] = "video";
    o["created"] = t.created;
    o["status"] = t.status == TaskStatus::unknown ? std::string_view(t.status_text) : to_string(t.status);
    o["progress"] = t.progress;
    json::object info;
    info["can_cancel"] = !is_terminal(t.status);
    if (t.estimated_time) {
        info["estimated_time"] = *t.estimated_time;
    }
    if (t.video_duration) {
        info["video_duration"] = *t.video_duration;
    }
    o["task_info"] = std::move(info);
    json::object usage;
    usage["billing_rule"] = "per_call";
    if (t.credits_reserved) {
        usage["credits_reserved"] = *t.credits_reserved;
    }
    if (t.credits_used) {
        usage["credits_used"] = *t.credits_used;
    }
    usage["user_group"] = "default";
    o["usage"] = std::move(usage);
    if (!t.results.empty()) {
        o["results"] = json::value_from(t.results);
    }
    if (t.error) {
        o["error"] = {{"code", t.error->code}, {"message", t.error->message}, {"type", t.error->type}};
    }
    jv = std::move(o);
}

void tag_invoke(json::value_from_tag, json::value& jv, Credits const& c) {
    json::object token{{"remaining_credits", c.remaining}, {"used_credits", c.used}, {"unlimited_credits", c.unlimited}};
    json::object data{{"token", std::move(token)}};
    if (c.user_remaining) {
        data["user"] = {{"remaining_credits", *c.user_remaining}, {"used_credits", c.used}};
    }
    jv = json::object{{"success", true}, {"message", "ok"}, {"data", std::move(data)}};
}

void tag_invoke(json::value_from_tag, json::value& jv, ErrorBody const& e) {
    json::object err{{"code", e.code}, {"message", e.message}, {"type", e.type}};
    if (!e.param.empty()) {
        err["param"] = e.param;
    }
    jv = json::object{{"error", std::move(err)}};
}

void tag_invoke(json::value_from_tag, json::value& jv, BatchReadRequest const& r) {
    jv = json::object{{"task_ids", json::value_from(r.task_ids)}};
}

result<CreateRequest> tag_invoke(json::try_value_to_tag<CreateRequest>, json::value const& jv) {
    auto const* o = jv.if_object();
    if (o == nullptr) {
        return json::make_error_code(json::error::not_object);
    }
    CreateRequest r;
    if (auto ec = read(*o, "model", r.model); ec) {
        return ec;
    }
    if (auto ec = read(*o, "prompt", r.prompt); ec) {
        return ec;
    }
    for (auto const* key : {"video_urls", "image_urls"}) {
        auto& out = std::string_view(key) == "video_urls" ? r.video_urls : r.image_urls;
        if (auto const* v = o->if_contains(key); v != nullptr && !v->is_null()) {
            auto const* a = v->if_array();
            if (a == nullptr) {
                return json::make_error_code(json::error::not_array);
            }
            for (auto const& item : *a) {
                if (!item.is_string()) {
                    return mismatch();
                }
                out.emplace_back(item.get_string().data(), item.get_string().size());
            }
        }
    }
    if (auto const* v = o->if_contains("keep_original_sound"); v != nullptr && !v->is_null()) {
        if (!v->is_bool()) {
            return json::make_error_code(json::error::not_bool);
        }
        r.keep_original_sound = v->get_bool();
    }
    std::string callback;
    if (auto ec = read(*o, "callback_url", callback); ec) {
        return ec;
    }
    if (!callback.empty()) {
        r.callback_url = std::move(callback);
    }
    return r;
}

result<Task> tag_invoke(json::try_value_to_tag<Task>, json::value const& jv) {
    auto const* o = jv.if_object();
    if (o == nullptr) {
        return json::make_error_code(json::error::not_object);
    }
    Task t;
    if (auto ec = read(*o, "id", t.id); ec || t.id.empty()) {
        return ec ? ec : json::make_error_code(json::error::not_found);
    }
    if (auto ec = read(*o, "model", t.model)) {
        return ec;
    }
    if (auto ec = read(*o, "status", t.status_text)) {
        return ec;
    }
    t.status = parse_task_status(t.status_text);
    std::optional<std::int64_t> progress;
    std::optional<std::int64_t> created;
    if (auto ec = read(*o, "progress", progress); ec) {
        return ec;
    }
    t.progress = static_cast<int>(std::clamp<std::int64_t>(progress.value_or(0), 0, 100));
    if (auto ec = read(*o, "created", created); ec) {
        return ec;
    }
    t.created = created.value_or(0);
    if (auto const* info = child(*o, "task_info")) {
        if (auto ec = read(*info, "estimated_time", t.estimated_time)) {
            return ec;
        }
        if (auto ec = read(*info, "video_duration", t.video_duration)) {
            return ec;
        }
    }
    if (auto const* usage = child(*o, "usage")) {
        if (auto ec = read(*usage, "credits_reserved", t.credits_reserved)) {
            return ec;
        }
        if (auto ec = read(*usage, "credits_used", t.credits_used)) {
            return ec;
        }
    }
    // Result links: `results` (strings) and, on some models, `result_data[].video_url`.
    if (auto const* v = o->if_contains("results"); v != nullptr && v->is_array()) {
        for (auto const& item : v->get_array()) {
            if (auto const* s = item.if_string()) {
                add_unique(t.results, *s);
            }
        }
    }
    if (auto const* v = o->if_contains("result_data"); v != nullptr && v->is_array()) {
        for (auto const& item : v->get_array()) {
            if (auto const* entry = item.if_object()) {
                if (auto const* url = entry->if_contains("video_url"); url != nullptr && url->is_string()) {
                    add_unique(t.results, url->get_string());
                }
            }
        }
    }
    if (auto const* err = o->if_contains("error"); err != nullptr && err->is_object()) {
        auto body = json::try_value_to<ErrorBody>(json::value{{"error", *err}});
        if (body) {
            t.error = TaskError{std::move(body->code), std::move(body->message), std::move(body->type)};
        }
    }
    return t;
}

result<Credits> tag_invoke(json::try_value_to_tag<Credits>, json::value const& jv) {
    auto const* o = jv.if_object();
    auto const* data = o != nullptr ? child(*o, "data") : nullptr;
    auto const* token = data != nullptr ? child(*data, "token") : nullptr;
    if (token == nullptr) {
        return json::make_error_code(json::error::not_object);
    }
    Credits c;
    std::optional<double> remaining;
    std::optional<double> used;
    if (auto ec = read(*token, "remaining_credits", remaining)) {
        return ec;
    }
    if (auto ec = read(*token, "used_credits", used)) {
        return ec;
    }
    c.remaining = remaining.value_or(0);
    c.used = used.value_or(0);
    if (auto const* v = token->if_contains("unlimited_credits"); v != nullptr && v->is_bool()) {
        c.unlimited = v->get_bool();
    }
    if (auto const* user = child(*data, "user")) {
        if (auto ec = read(*user, "remaining_credits", c.user_remaining)) {
            return ec;
        }
    }
    return c;
}

result<ErrorBody> tag_invoke(json::try_value_to_tag<ErrorBody>, json::value const& jv) {
    auto const* o = jv.if_object();
    auto const* err = o != nullptr ? child(*o, "error") : nullptr;
    if (err == nullptr) {
        return json::make_error_code(json::error::not_object);
    }
    ErrorBody e;
    if (auto const* code = err->if_contains("code")) {
        if (code->is_string()) {
            e.code = std::string(code->get_string());
        } else if (code->is_number()) {
            e.code = json::serialize(*code); // integer codes on some endpoints (api.md)
        }
    }
    // Text fields of the wrong type are dropped: an error answer must never fail to parse.
    for (auto [key, out] : {std::pair{"message", &e.message}, std::pair{"type", &e.type}, std::pair{"param", &e.param}}) {
        if (auto const* v = err->if_contains(key); v != nullptr && v->is_string()) {
            out->assign(v->get_string().data(), v->get_string().size());
        }
    }
    return e;
}

result<BatchReadRequest> tag_invoke(json::try_value_to_tag<BatchReadRequest>, json::value const& jv) {
    auto const* o = jv.if_object();
    auto const* ids = o != nullptr ? o->if_contains("task_ids") : nullptr;
    if (ids == nullptr || !ids->is_array()) {
        return json::make_error_code(json::error::not_array);
    }
    BatchReadRequest r;
    for (auto const& id : ids->get_array()) {
        if (!id.is_string()) {
            return mismatch();
        }
        r.task_ids.emplace_back(id.get_string().data(), id.get_string().size());
    }
    return r;
}

result<Task> parse_task(std::string_view body) { return parse_as<Task>(body); }

result<std::vector<Task>> parse_task_list(std::string_view body) {
    ParseArena arena;
    error_code ec;
    json::value const v = arena.parse(body, ec);
    if (ec) {
        return ec;
    }
    auto const* o = v.if_object();
    auto const* data = o != nullptr ? o->if_contains("data") : nullptr;
    if (data == nullptr || !data->is_array()) {
        return json::make_error_code(json::error::not_array);
    }
    std::vector<Task> tasks;
    tasks.reserve(data->get_array().size());
    for (auto const& item : data->get_array()) {
        auto task = json::try_value_to<Task>(item);
        if (!task) {
            return task.error();
        }
        tasks.push_back(std::move(*task));
    }
    return tasks;
}

result<Credits> parse_credits(std::string_view body) { return parse_as<Credits>(body); }
result<ErrorBody> parse_error_body(std::string_view body) { return parse_as<ErrorBody>(body); }

std::string to_json_text(CreateRequest const& v) { return serialize(v); }
std::string to_json_text(Task const& v) { return serialize(v); }
std::string to_json_text(Credits const& v) { return serialize(v); }
std::string to_json_text(ErrorBody const& v) { return serialize(v); }
std::string to_json_text(BatchReadRequest const& v) { return serialize(v); }

} // namespace evobatch::api
