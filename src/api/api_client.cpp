#include "evobatch/api/api_client.hpp"

#include "evobatch/api/json.hpp"
#include "evobatch/api/task_id.hpp"
#include "evobatch/net/error.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/util/http_date.hpp"

#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <cstdlib>

namespace evobatch::api {

namespace asio = boost::asio;

ApiClient::ApiClient(net::HttpsClient& http, std::string base_url, Secret key)
    : m_http(http), m_base_url(std::move(base_url)), m_key(std::move(key)) {
    while (!m_base_url.empty() && m_base_url.back() == '/') {
        m_base_url.pop_back();
    }
}

template <class T, class Parse>
asio::awaitable<ApiResult<T>> ApiClient::call(net::HttpRequest request, Parse parse) {
    if (!m_key.empty()) {
        request.headers.emplace_back("authorization", fmt::format("Bearer {}", m_key.reveal()));
    }
    net::HttpOutcome outcome = co_await m_http.send(std::move(request));
    ApiResult<T> result;
    result.delivery = outcome.delivery;
    if (!outcome.answered()) {
        result.error = outcome.error;
        result.detail = redact(outcome.detail, m_key);
        co_return result;
    }
    net::HttpResponse const& response = outcome.response;
    result.request_id = request_id_of(response);
    result.replayed = response.header("idempotency-replayed") == std::optional<std::string_view>("true");
    if (auto const date = response.header("date")) {
        auto const now = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch());
        auto const server_s = util::parse_http_date(*date);
        constexpr std::int64_t k_believable_s = 10LL * 365 * 86'400; // a clock further off is not a clock
        if (server_s && std::llabs(*server_s - now.count() / 1000) < k_believable_s) {
            result.clock_skew = std::chrono::milliseconds(*server_s * 1000 + 500) - now;
        }
    }
    if (response.status < 200 || response.status > 299) {
        ApiError error = classify_error(response, std::chrono::system_clock::now());
        error.message = redact(std::move(error.message), m_key);
        error.param = redact(std::move(error.param), m_key);
        error.code = redact(std::move(error.code), m_key);
        result.error = error.kind;
        result.detail = describe(error);
        result.api_error = std::move(error);
        co_return result;
    }
    auto parsed = parse(response.body);
    if (!parsed) {
        result.error = ApiErrc::bad_response;
        result.detail = fmt::format("HTTP {} with a body that is not the documented JSON ({})", response.status,
                                    parsed.error().message());
        co_return result;
    }
    result.value = std::move(*parsed);
    co_return result;
}

asio::awaitable<ApiResult<Task>> ApiClient::create(CreateRequest const& request, std::string const& idempotency_key) {
    net::HttpRequest http;
    http.method = net::Method::post;
    http.url = m_base_url + "/v1/videos/generations";
    http.body = to_json_text(request);
    http.headers.emplace_back("idempotency-key", idempotency_key);
    co_return co_await call<Task>(std::move(http), [](std::string_view body) { return parse_task(body); });
}

asio::awaitable<ApiResult<Task>> ApiClient::get_task(std::string const& task_id) {
    if (auto const problem = task_id_problem(task_id)) {
        ApiResult<Task> refused; // never sent: no URL names this task
        refused.error = net::NetErrc::bad_url;
        refused.detail = fmt::format("the task id {}", *problem);
        co_return refused;
    }
    net::HttpRequest http;
    http.url = m_base_url + "/v1/tasks/" + task_path_segment(task_id);
    co_return co_await call<Task>(std::move(http), [](std::string_view body) { return parse_task(body); });
}

asio::awaitable<ApiResult<std::vector<Task>>> ApiClient::batch_read(std::vector<std::string> const& task_ids) {
    net::HttpRequest http;
    http.method = net::Method::post;
    http.url = m_base_url + "/v1/tasks/batch";
    http.body = to_json_text(BatchReadRequest{task_ids});
    co_return co_await call<std::vector<Task>>(std::move(http),
                                               [](std::string_view body) { return parse_task_list(body); });
}

asio::awaitable<ApiResult<Credits>> ApiClient::credits() {
    net::HttpRequest http;
    http.url = m_base_url + "/v1/credits";
    co_return co_await call<Credits>(std::move(http), [](std::string_view body) { return parse_credits(body); });
}

asio::awaitable<ApiResult<TaskList>> ApiClient::list_tasks(ListQuery const& query) {
    net::HttpRequest http;
    http.url = m_base_url + "/v1/tasks" + list_query_string(query);
    co_return co_await call<TaskList>(std::move(http), [](std::string_view body) { return parse_task_list_page(body); });
}

} // namespace evobatch::api
