// libFuzzer target: what evobatch makes of a server's answer. The first byte picks the reader
// (a task, a batch read's task list, the credits, an error answer with its status and a
// Retry-After header; 'L': a page of the account's task list); the rest is the body. Every reader must answer or refuse, never crash;
// what a reader accepts must survive our own JSON text unchanged (to_json_text, read again).

#include "evobatch/api/error.hpp"
#include "evobatch/api/json.hpp"
#include "evobatch/api/task_list.hpp"
#include "evobatch/net/http_types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

template <class Parse> void round_trip(std::string_view body, Parse parse) {
    auto const first = parse(body);
    if (!first) {
        return;
    }
    std::string const text = evobatch::api::to_json_text(*first);
    auto const second = parse(text);
    if (!second || evobatch::api::to_json_text(*second) != text) {
        std::abort(); // what we accepted does not read back as itself
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    std::string_view const body(reinterpret_cast<char const*>(data) + 1, size - 1);
    using namespace evobatch::api;
    if (data[0] == 'L') {
        round_trip(body, [](std::string_view b) { return parse_task_list_page(b); });
        return 0;
    }
    switch (data[0] % 4) {
    case 0:
        round_trip(body, [](std::string_view b) { return parse_task(b); });
        break;
    case 1:
        if (auto const tasks = parse_task_list(body)) {
            for (auto const& task : *tasks) {
                round_trip(to_json_text(task), [](std::string_view b) { return parse_task(b); });
            }
        }
        break;
    case 2:
        round_trip(body, [](std::string_view b) { return parse_credits(b); });
        break;
    default: {
        evobatch::net::HttpResponse response;
        response.status = 400 + static_cast<int>(size % 200);
        auto const split = body.find('\n');
        if (split != std::string_view::npos) { // the first line is the Retry-After header
            response.headers.emplace_back("retry-after", std::string(body.substr(0, split)));
        }
        response.body = std::string(split == std::string_view::npos ? body : body.substr(split + 1));
        auto const error = classify_error(response, std::chrono::system_clock::time_point{});
        if (describe(error).empty()) {
            std::abort(); // people must always be told something
        }
        round_trip(response.body, [](std::string_view b) { return parse_error_body(b); });
        break;
    }
    }
    return 0;
}
