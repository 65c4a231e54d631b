#pragma once
// Reading the account's task list for Reconcile (jobs/reconcile.hpp), as a sans-io state
// machine: which page to ask for next, how long to wait after a failed read, and when the read
// is over (read back to the earliest span, the last page, the cap, the endpoint missing, or
// too many failures). The coroutine that drives it (list_read.hpp) takes a rate-limiter token
// before each fetch and performs the action; every decision is made here. Pure: no I/O;
// single-threaded. Its whole table is walked by tests/unit/sched/test_list_read_fsm.cpp.

#include "evobatch/api/task_list.hpp"
#include "evobatch/jobs/reconcile.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace evobatch::api {
template <class T>
struct ApiResult;
} // namespace evobatch::api

namespace evobatch::sched {

struct ListReadOptions {
    int page_size = api::k_max_list_page_size;
    // The cap on pages read: 100 pages of 100 cover a day of an account making 10,000 tasks.
    int max_pages = 100;
    int max_failures = 4;             // failed reads in a row (no answer, 5xx, 429, unreadable) before giving up
    std::optional<std::string> model; // the model filter: only when every job to settle has this model
    // The earliest span start to cover, in local unix ms (margins applied, no skew): the read
    // goes back to it moved by the clock skew the answers show. Absent: nothing to read.
    std::optional<std::int64_t> earliest_local_ms;
};

// ---- What a fetch came to.
struct ListPageRead {
    api::TaskList page;
    std::optional<std::chrono::milliseconds> clock_skew; // from the answer's Date
};
struct ListPageFailed {
    enum class Kind {
        missing,   // 404/405: the endpoint is not offered here
        throttled, // 429
        transient, // no answer, 5xx, a body that is not a page: worth another try
        refused,   // 4xx: asking again gives the same answer (401: the key itself, `unauthorized`)
    };
    Kind kind = Kind::transient;
    std::string detail; // words for people (never the key)
    std::optional<std::chrono::seconds> retry_after;
    bool unauthorized = false; // refused with 401: the key, not the list
};
struct ListWaited {}; // a wait asked for ended
using ListReadEvent = std::variant<ListPageRead, ListPageFailed, ListWaited>;

// The outcome of ApiClient::list_tasks, moved from.
std::variant<ListPageRead, ListPageFailed> list_read_event(api::ApiResult<api::TaskList>&& result);

enum class ListReadStep {
    fetch, // take a token, GET `query` -> ListPageRead or ListPageFailed
    wait,  // sleep `delay` -> ListWaited
    done,  // over: listing(), skew(), stopped()
};

struct ListReadAction {
    ListReadStep step = ListReadStep::done;
    api::ListQuery query;             // fetch
    std::chrono::milliseconds delay{}; // wait
};

class ListReadFsm {
public:
    explicit ListReadFsm(ListReadOptions options);

    // The first action: fetch page 1, or done when there is nothing to read.
    ListReadAction start();
    // What the last action came to -> the next action.
    ListReadAction resume(ListReadEvent event);

    [[nodiscard]] jobs::Listing const& listing() const noexcept { return m_listing; }
    // The server's clock minus ours, from the first answer with a Date (absent: none had one,
    // and 0 was assumed).
    [[nodiscard]] std::optional<std::chrono::milliseconds> skew() const noexcept { return m_skew; }
    // Server seconds the read goes back to (the earliest span start moved by the skew).
    [[nodiscard]] std::optional<std::int64_t> list_until() const noexcept;
    // Why the read ended before its start: the cap, failures, a refusal ("" when it reached
    // the start, or the endpoint is missing: listing().available says so).
    [[nodiscard]] std::string const& stopped() const noexcept { return m_stopped; }
    [[nodiscard]] bool refused() const noexcept { return m_refused; } // a 4xx ended the read
    [[nodiscard]] bool unauthorized() const noexcept { return m_unauthorized; } // ... a 401: the key
    [[nodiscard]] int requests() const noexcept { return m_requests; } // fetches asked for
    [[nodiscard]] bool finished() const noexcept { return m_finished; }

    // The wait after the n-th failure in a row: 1 s, 2 s, 4 s, 8 s at the most.
    static std::chrono::milliseconds backoff(int failures) noexcept;
    // A Retry-After longer than this ends the read: a run does not wait minutes to settle.
    static constexpr std::chrono::seconds k_longest_wait{60};

private:
    ListReadAction fetch(int page);
    ListReadAction finish(std::string stopped);

    ListReadOptions m_options;
    jobs::Listing m_listing;
    std::optional<std::chrono::milliseconds> m_skew;
    std::string m_stopped;
    int m_page = 0; // the page asked for last
    int m_failures = 0;
    int m_requests = 0;
    bool m_refused = false;
    bool m_unauthorized = false;
    bool m_finished = false;
};

} // namespace evobatch::sched
