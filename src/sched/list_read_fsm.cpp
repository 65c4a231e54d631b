#include "evobatch/sched/list_read_fsm.hpp"

#include "evobatch/api/api_client.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace evobatch::sched {

std::variant<ListPageRead, ListPageFailed> list_read_event(api::ApiResult<api::TaskList>&& result) {
    if (result.ok()) {
        return ListPageRead{std::move(*result.value), result.clock_skew};
    }
    ListPageFailed failed;
    failed.detail = std::move(result.detail);
    if (result.endpoint_missing()) {
        failed.kind = ListPageFailed::Kind::missing;
    } else if (!result.api_error) {
        failed.kind = ListPageFailed::Kind::transient; // no answer, or a body that is not a page
    } else if (result.api_error->http_status == 429) {
        failed.kind = ListPageFailed::Kind::throttled;
        failed.retry_after = result.api_error->retry_after;
    } else if (result.api_error->http_status >= 500) {
        failed.kind = ListPageFailed::Kind::transient;
    } else {
        failed.kind = ListPageFailed::Kind::refused;
        failed.unauthorized = result.api_error->http_status == 401;
    }
    return failed;
}

ListReadFsm::ListReadFsm(ListReadOptions options) : m_options(std::move(options)) {
    if (m_options.page_size < 1 || m_options.page_size > api::k_max_list_page_size || m_options.max_pages < 1 ||
        m_options.max_failures < 1) {
        throw std::invalid_argument("ListReadFsm: page size, page cap and failures must be positive");
    }
}

std::optional<std::int64_t> ListReadFsm::list_until() const noexcept {
    if (!m_options.earliest_local_ms) {
        return std::nullopt;
    }
    std::int64_t const server_ms = *m_options.earliest_local_ms + m_skew.value_or(std::chrono::milliseconds{0}).count();
    // Floor division: a second's start, never after the span's.
    return server_ms >= 0 ? server_ms / 1000 : -((-server_ms + 999) / 1000);
}

std::chrono::milliseconds ListReadFsm::backoff(int failures) noexcept {
    return std::chrono::milliseconds(1000LL << std::clamp(failures - 1, 0, 3));
}

ListReadAction ListReadFsm::start() {
    if (!m_options.earliest_local_ms) {
        m_listing.reached_start = true; // nothing to settle: nothing to read
        return finish({});
    }
    return fetch(1);
}

ListReadAction ListReadFsm::fetch(int page) {
    m_page = page;
    ++m_requests;
    ListReadAction action;
    action.step = ListReadStep::fetch;
    action.query.page = page;
    action.query.page_size = m_options.page_size;
    action.query.model = m_options.model;
    return action;
}

ListReadAction ListReadFsm::finish(std::string stopped) {
    m_finished = true;
    m_stopped = std::move(stopped);
    return {};
}

ListReadAction ListReadFsm::resume(ListReadEvent event) {
    if (m_finished) {
        throw std::logic_error("ListReadFsm: resumed after done");
    }
    if (std::holds_alternative<ListWaited>(event)) {
        return fetch(m_page); // the failed page again
    }
    if (auto* read = std::get_if<ListPageRead>(&event)) {
        m_failures = 0;
        if (!m_skew && read->clock_skew) {
            m_skew = read->clock_skew; // before add_page: the read goes back to the skewed start
        }
        if (jobs::add_page(m_listing, read->page, list_until())) {
            return finish({});
        }
        if (m_page >= m_options.max_pages) {
            return finish(fmt::format("the read stopped at its cap of {} pages ({} tasks) before reaching the "
                                      "earliest create to settle",
                                      m_options.max_pages, m_listing.tasks.size()));
        }
        return fetch(m_page + 1);
    }
    auto& failed = std::get<ListPageFailed>(event);
    switch (failed.kind) {
    case ListPageFailed::Kind::missing:
        m_listing.available = false;
        return finish({});
    case ListPageFailed::Kind::refused:
        m_refused = true;
        m_unauthorized = failed.unauthorized;
        return finish(fmt::format("page {} was refused: {}", m_page, failed.detail));
    case ListPageFailed::Kind::throttled:
    case ListPageFailed::Kind::transient:
        break;
    }
    if (++m_failures >= m_options.max_failures) {
        return finish(fmt::format("page {} failed {} times in a row (last: {})", m_page, m_failures, failed.detail));
    }
    ListReadAction wait;
    wait.step = ListReadStep::wait;
    wait.delay = backoff(m_failures);
    if (failed.retry_after) {
        if (*failed.retry_after > k_longest_wait) {
            return finish(fmt::format("page {}: the server asked to wait {} s ({})", m_page,
                                      failed.retry_after->count(), failed.detail));
        }
        wait.delay = std::max(wait.delay, std::chrono::duration_cast<std::chrono::milliseconds>(*failed.retry_after));
    }
    return wait;
}

} // namespace evobatch::sched
