#pragma once
// The coroutine that reads the account's task list for Reconcile: a thin loop performing what
// ListReadFsm decides, each fetch behind a token of the run's rate limiter.

#include "evobatch/sched/list_read_fsm.hpp"

#include <boost/asio/awaitable.hpp>

namespace evobatch::api {
class ApiClient;
} // namespace evobatch::api

namespace evobatch::sched {

class RateLimiter;

struct ListReadResult {
    jobs::Listing listing;
    std::optional<std::chrono::milliseconds> skew; // server minus local, from the first Date
    std::optional<std::int64_t> list_until;         // server seconds the read went back to
    std::string stopped;                            // why it ended before its start ("" it did not)
    bool refused = false;                           // a 4xx ended the read
    bool unauthorized = false;                      // ... a 401: the key itself
    int requests = 0;                               // list requests sent
};

boost::asio::awaitable<ListReadResult> read_task_list(api::ApiClient& api, RateLimiter& limiter,
                                                      ListReadOptions options);

} // namespace evobatch::sched
