#include "evobatch/api/task_list.hpp"

#include "evobatch/api/task_id.hpp"

#include "json_read.hpp"

#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <type_traits>

namespace evobatch::api {

namespace json = boost::json;
using boost::system::error_code;
using detail::read;

namespace {

using PageResult = boost::system::result<TaskList, TaskListError>;

TaskListError error(std::string what) { return TaskListError{std::move(what)}; }

// The words for a field of the wrong type: what it should have been.
template <class T>
constexpr std::string_view expected() {
    if constexpr (std::is_same_v<T, std::string>) {
        return "a string";
    } else if constexpr (std::is_same_v<T, std::optional<bool>>) {
        return "true or false";
    } else {
        return "a number";
    }
}

// Reads `key` of `o` into `out`; on a wrong type, says where: "data[2].created_at is not a number".
template <class T>
std::optional<TaskListError> field(json::object const& o, std::string_view where, std::string_view key, T& out) {
    if (read(o, key, out)) {
        return error(fmt::format("{}{} is not {}", where, key, expected<T>()));
    }
    return std::nullopt;
}

// One item of `data`: a task, an unusable id (nothing else of it is kept), or why it is malformed.
std::optional<TaskListError> read_item(json::value const& v, std::size_t index, TaskList& page) {
    std::string const where = fmt::format("data[{}].", index);
    auto const* o = v.if_object();
    if (o == nullptr) {
        return error(fmt::format("data[{}] is not an object", index));
    }
    for (std::string_view const required : {"id", "status", "created_at"}) {
        if (auto const* f = o->if_contains(required); f == nullptr || f->is_null()) {
            return error(fmt::format("data[{}] has no {}", index, required));
        }
    }
    ListedTask t;
    if (auto e = field(*o, where, "id", t.id)) {
        return e;
    }
    if (auto const problem = task_id_problem(t.id)) {
        page.unusable.push_back(UnusableListedTask{index, std::move(t.id), std::string(*problem)});
        return std::nullopt;
    }
    std::optional<std::int64_t> progress;
    std::optional<std::int64_t> created_at;
    // A braced list is evaluated in order: the first wrong field is the one named.
    for (auto const& e : {field(*o, where, "model", t.model), field(*o, where, "type", t.type),
                    field(*o, where, "status", t.status_text), field(*o, where, "progress", progress),
                    field(*o, where, "created_at", created_at), field(*o, where, "duration", t.duration),
                    field(*o, where, "has_results", t.has_results), field(*o, where, "result_count", t.result_count),
                    field(*o, where, "has_error", t.has_error), field(*o, where, "credits_used", t.credits_used)}) {
        if (e) {
            return e;
        }
    }
    t.status = parse_task_status(t.status_text);
    t.progress = static_cast<int>(std::clamp<std::int64_t>(progress.value_or(0), 0, 100));
    t.created_at = created_at.value_or(0);
    page.tasks.push_back(std::move(t));
    return std::nullopt;
}

// An optional field is written only when set.
template <class T>
void put(json::object& o, std::string_view key, std::optional<T> const& value) {
    if (value) {
        o[key] = *value;
    }
}

} // namespace

std::string list_query_string(ListQuery const& query) {
    std::string out = fmt::format("?page={}&page_size={}", query.page, query.page_size);
    for (auto const& [name, value] : {std::pair{"status", &query.status}, std::pair{"type", &query.type},
                                      std::pair{"model", &query.model}}) {
        if (*value) {
            out += fmt::format("&{}={}", name, boost::urls::encode(**value, boost::urls::unreserved_chars));
        }
    }
    return out;
}

PageResult parse_task_list_page(std::string_view body) {
    detail::ParseArena arena;
    error_code ec;
    json::value const v = arena.parse(body, ec);
    if (ec) {
        return error(fmt::format("the body is not JSON ({})", ec.message()));
    }
    auto const* o = v.if_object();
    if (o == nullptr) {
        return error("the body is not a JSON object");
    }
    auto const* data = o->if_contains("data");
    if (data == nullptr || !data->is_array()) {
        return error("data is missing or not an array");
    }
    TaskList page;
    for (auto const& e : {field(*o, "", "total", page.total), field(*o, "", "page", page.page),
                    field(*o, "", "page_size", page.page_size)}) {
        if (e) {
            return *e;
        }
    }
    page.tasks.reserve(data->get_array().size());
    std::size_t index = 0;
    for (auto const& item : data->get_array()) {
        if (auto e = read_item(item, index++, page)) {
            return *e;
        }
    }
    return page;
}

std::string to_json_text(TaskList const& page) {
    json::array data;
    data.reserve(page.tasks.size());
    for (ListedTask const& t : page.tasks) {
        json::object o{{"id", t.id},
                       {"model", t.model},
                       {"type", t.type},
                       {"status", t.status == TaskStatus::unknown ? std::string_view(t.status_text) : to_string(t.status)},
                       {"progress", t.progress},
                       {"created_at", t.created_at}};
        put(o, "duration", t.duration);
        put(o, "has_results", t.has_results);
        put(o, "result_count", t.result_count);
        put(o, "has_error", t.has_error);
        put(o, "credits_used", t.credits_used);
        data.push_back(std::move(o));
    }
    json::object body{{"data", std::move(data)}};
    put(body, "total", page.total);
    put(body, "page", page.page);
    put(body, "page_size", page.page_size);
    return json::serialize(body);
}

} // namespace evobatch::api
