#pragma once
// Typed calls to the Evolink task API over HttpsClient. Every result says whether the request
// could have reached the server (net::Delivery), and carries either the value, an ApiError
// (the server's answer, classified), or the network error. Never throws for I/O or HTTP.

#include "evobatch/api/error.hpp"
#include "evobatch/api/secret.hpp"
#include "evobatch/api/task_list.hpp"
#include "evobatch/api/types.hpp"
#include "evobatch/net/http_types.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace evobatch::net {
class HttpsClient;
} // namespace evobatch::net

namespace evobatch::api {

template <class T>
struct ApiResult {
    net::Delivery delivery = net::Delivery::not_sent;
    boost::system::error_code error; // a NetErrc/asio code, or an ApiErrc when answered
    std::string detail;              // words for `error` (never contains the key)
    std::optional<T> value;          // set on success
    std::optional<ApiError> api_error; // set when the server answered with an error status
    std::string request_id;
    bool replayed = false; // create only: the server returned the task of an earlier request with this key
    // The server's clock minus ours when the answer came, from its Date header: to within a
    // second (Date has whole seconds; the middle of that second is taken). Absent without one.
    std::optional<std::chrono::milliseconds> clock_skew;

    [[nodiscard]] bool ok() const noexcept { return value.has_value(); }
    // The server answered 404 or 405: for an undocumented endpoint (batch_read, list_tasks),
    // "not available here" rather than a failure; the caller falls back or does without.
    [[nodiscard]] bool endpoint_missing() const noexcept {
        return api_error && (api_error->http_status == 404 || api_error->http_status == 405);
    }
};

class ApiClient {
public:
    // `http` must outlive the client. `base_url` like "https://api.evolink.ai" (a path prefix is kept).
    ApiClient(net::HttpsClient& http, std::string base_url, Secret key);

    // POST /v1/videos/generations with `Idempotency-Key: idempotency_key`.
    boost::asio::awaitable<ApiResult<Task>> create(CreateRequest const& request, std::string const& idempotency_key);
    // GET /v1/tasks/{id}, the id percent-encoded as one path segment. An id task_id_problem()
    // refuses is not sent: not_sent with NetErrc::bad_url.
    boost::asio::awaitable<ApiResult<Task>> get_task(std::string const& task_id);
    // POST /v1/tasks/batch with at most k_max_batch_read ids; unknown ids are left out by the server.
    boost::asio::awaitable<ApiResult<std::vector<Task>>> batch_read(std::vector<std::string> const& task_ids);
    // GET /v1/credits
    boost::asio::awaitable<ApiResult<Credits>> credits();
    // GET /v1/tasks?page=&page_size=[&status=][&type=][&model=], values percent-encoded: one page
    // of the whole account's tasks, newest first. A server without the endpoint answers 404 or
    // 405 (endpoint_missing()); a body parse_task_list_page() refuses is ApiErrc::bad_response
    // with its words in `detail`; other errors as for the other reads.
    boost::asio::awaitable<ApiResult<TaskList>> list_tasks(ListQuery const& query);

private:
    template <class T, class Parse>
    boost::asio::awaitable<ApiResult<T>> call(net::HttpRequest request, Parse parse);

    net::HttpsClient& m_http;
    std::string m_base_url;
    Secret m_key;
};

} // namespace evobatch::api
