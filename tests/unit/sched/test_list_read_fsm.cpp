// ListReadFsm over its whole table: what to fetch, when to wait, when the read is over.

#include "evobatch/api/api_client.hpp"
#include "evobatch/sched/list_read_fsm.hpp"

#include <boost/test/unit_test.hpp>

#include <fmt/format.h>

#include <string>

using namespace evobatch;
using namespace evobatch::sched;
using namespace std::chrono_literals;

namespace {

constexpr std::int64_t k_earliest_ms = 1'796'400'000'500; // local ms: the earliest span start
constexpr std::int64_t k_until_s = 1'796'400'000;         // the same, in whole seconds

// A page of `count` tasks made at `newest`, `newest - 1`, ... (newest first).
ListPageRead page_of(int count, std::int64_t newest, std::optional<std::chrono::milliseconds> skew = {}) {
    ListPageRead read;
    for (int i = 0; i < count; ++i) {
        api::ListedTask t;
        t.id = fmt::format("task-unified-{}-{}", newest, i);
        t.created_at = newest - i;
        read.page.tasks.push_back(t);
    }
    read.clock_skew = skew;
    return read;
}

ListReadOptions options(int page_size = 10, int max_pages = 5) {
    ListReadOptions o;
    o.page_size = page_size;
    o.max_pages = max_pages;
    o.earliest_local_ms = k_earliest_ms;
    return o;
}

ListPageFailed failure(ListPageFailed::Kind kind, std::optional<std::chrono::seconds> retry_after = {}) {
    return {kind, "what went wrong", retry_after};
}

} // namespace

BOOST_AUTO_TEST_SUITE(list_read_fsm)

BOOST_AUTO_TEST_CASE(nothing_to_settle_reads_nothing) {
    ListReadOptions o = options();
    o.earliest_local_ms.reset();
    ListReadFsm fsm(o);
    BOOST_TEST((fsm.start().step == ListReadStep::done));
    BOOST_TEST(fsm.requests() == 0);
    BOOST_TEST(fsm.listing().pages == 0u);
    BOOST_TEST(fsm.stopped().empty());
}

BOOST_AUTO_TEST_CASE(pages_are_read_in_order_until_one_reaches_back_to_the_earliest_create) {
    ListReadOptions o = options(3);
    o.model = "kling-o1-video-edit-fast";
    ListReadFsm fsm(o);
    ListReadAction a = fsm.start();
    BOOST_TEST((a.step == ListReadStep::fetch));
    BOOST_TEST(a.query.page == 1);
    BOOST_TEST(a.query.page_size == 3);
    BOOST_TEST(a.query.model.value_or("") == "kling-o1-video-edit-fast");
    BOOST_TEST(!a.query.status.has_value()); // a failed task was made all the same
    a = fsm.resume(page_of(3, k_until_s + 100)); // all newer than the start: on
    BOOST_TEST((a.step == ListReadStep::fetch));
    BOOST_TEST(a.query.page == 2);
    a = fsm.resume(page_of(3, k_until_s + 1)); // ends at k_until_s - 1: older than the start
    BOOST_TEST((a.step == ListReadStep::done));
    BOOST_TEST(fsm.listing().reached_start);
    BOOST_TEST(fsm.listing().pages == 2u);
    BOOST_TEST(fsm.listing().tasks.size() == 6u);
    BOOST_TEST(fsm.requests() == 2);
    BOOST_TEST(fsm.stopped().empty());
    BOOST_CHECK_THROW(fsm.resume(ListWaited{}), std::logic_error);
}

BOOST_AUTO_TEST_CASE(a_page_short_of_the_size_the_server_says_is_the_last_and_an_empty_one) {
    ListReadFsm fsm(options(10));
    (void)fsm.start();
    ListPageRead short_page = page_of(4, k_until_s + 500);
    short_page.page.page_size = 10;
    BOOST_TEST((fsm.resume(short_page).step == ListReadStep::done));
    BOOST_TEST(fsm.listing().reached_start);
    BOOST_TEST(fsm.stopped().empty());
    // Without the server's page size, a short page may be its cap: the next, empty, page ends it.
    ListReadFsm unsure(options(10));
    (void)unsure.start();
    BOOST_TEST(unsure.resume(page_of(4, k_until_s + 500)).query.page == 2);
    BOOST_TEST((unsure.resume(page_of(0, k_until_s)).step == ListReadStep::done));
    BOOST_TEST(unsure.listing().reached_start);
    BOOST_TEST(unsure.requests() == 2);
}

BOOST_AUTO_TEST_CASE(the_cap_ends_the_read_short_of_its_start_and_says_so) {
    ListReadFsm fsm(options(2, 3));
    ListReadAction a = fsm.start();
    for (int page = 1; page <= 3; ++page) {
        BOOST_TEST(a.query.page == page);
        a = fsm.resume(page_of(2, k_until_s + 1000 - page * 2));
    }
    BOOST_TEST((a.step == ListReadStep::done));
    BOOST_TEST(!fsm.listing().reached_start);
    BOOST_TEST(fsm.requests() == 3);
    BOOST_TEST(fsm.stopped() == "the read stopped at its cap of 3 pages (6 tasks) before reaching the earliest "
                                "create to settle");
}

BOOST_AUTO_TEST_CASE(a_missing_endpoint_ends_the_read_as_not_available) {
    ListReadFsm fsm(options());
    (void)fsm.start();
    BOOST_TEST((fsm.resume(failure(ListPageFailed::Kind::missing)).step == ListReadStep::done));
    BOOST_TEST(!fsm.listing().available);
    BOOST_TEST(fsm.stopped().empty());
    BOOST_TEST(!fsm.refused());
}

BOOST_AUTO_TEST_CASE(a_refusal_ends_the_read_at_once) {
    ListReadFsm fsm(options());
    (void)fsm.start();
    (void)fsm.resume(page_of(10, k_until_s + 100));
    BOOST_TEST((fsm.resume(failure(ListPageFailed::Kind::refused)).step == ListReadStep::done));
    BOOST_TEST(fsm.refused());
    BOOST_TEST(!fsm.unauthorized()); // a 403 or 400: the read ends, the run goes on
    BOOST_TEST(fsm.stopped() == "page 2 was refused: what went wrong");
    BOOST_TEST(fsm.listing().available);
    BOOST_TEST(!fsm.listing().reached_start);
}

BOOST_AUTO_TEST_CASE(failures_wait_longer_each_time_then_fetch_the_same_page_and_a_read_resets_them) {
    ListReadFsm fsm(options());
    (void)fsm.start();
    (void)fsm.resume(page_of(10, k_until_s + 100)); // page 2 next
    for (auto const expected : {1000ms, 2000ms}) {
        ListReadAction const wait = fsm.resume(failure(ListPageFailed::Kind::transient));
        BOOST_TEST((wait.step == ListReadStep::wait));
        BOOST_TEST(wait.delay.count() == expected.count());
        ListReadAction const again = fsm.resume(ListWaited{});
        BOOST_TEST((again.step == ListReadStep::fetch));
        BOOST_TEST(again.query.page == 2);
    }
    BOOST_TEST(fsm.resume(page_of(10, k_until_s + 50)).query.page == 3);
    BOOST_TEST(fsm.resume(failure(ListPageFailed::Kind::transient)).delay.count() == 1000); // counted afresh
}

BOOST_AUTO_TEST_CASE(too_many_failures_in_a_row_end_the_read) {
    ListReadOptions o = options();
    o.max_failures = 3;
    ListReadFsm fsm(o);
    (void)fsm.start();
    for (int i = 0; i < 2; ++i) {
        BOOST_TEST((fsm.resume(failure(ListPageFailed::Kind::transient)).step == ListReadStep::wait));
        (void)fsm.resume(ListWaited{});
    }
    BOOST_TEST((fsm.resume(failure(ListPageFailed::Kind::throttled)).step == ListReadStep::done));
    BOOST_TEST(fsm.stopped() == "page 1 failed 3 times in a row (last: what went wrong)");
    BOOST_TEST(fsm.requests() == 3);
    BOOST_TEST(ListReadFsm::backoff(9).count() == 8000); // the longest wait
}

BOOST_AUTO_TEST_CASE(a_throttle_waits_as_long_as_the_server_asks_within_a_minute) {
    ListReadFsm fsm(options());
    (void)fsm.start();
    ListReadAction const wait = fsm.resume(failure(ListPageFailed::Kind::throttled, 5s));
    BOOST_TEST((wait.step == ListReadStep::wait));
    BOOST_TEST(wait.delay.count() == 5000);
    (void)fsm.resume(ListWaited{});
    BOOST_TEST((fsm.resume(failure(ListPageFailed::Kind::throttled, 120s)).step == ListReadStep::done));
    BOOST_TEST(fsm.stopped() == "page 1: the server asked to wait 120 s (what went wrong)");
}

BOOST_AUTO_TEST_CASE(the_first_answers_clock_skew_moves_where_the_read_stops) {
    // The server's clock is 90 s behind: its created_at for the earliest create is 90 s earlier,
    // so tasks listed just before the unskewed start are still inside the read.
    ListReadFsm behind(options(10));
    BOOST_TEST(behind.list_until().value() == k_until_s); // no answer yet: no skew
    (void)behind.start();
    BOOST_TEST((behind.resume(page_of(10, k_until_s - 1, -90'000ms)).step == ListReadStep::fetch));
    BOOST_TEST(behind.skew()->count() == -90'000);
    BOOST_TEST(behind.list_until().value() == k_until_s - 90);
    // A later answer's skew does not move it again.
    BOOST_TEST((behind.resume(page_of(10, k_until_s - 11, 0ms)).step == ListReadStep::fetch));
    BOOST_TEST(behind.list_until().value() == k_until_s - 90);
    // 90 s ahead: tasks listed after the unskewed start are already older than the read needs.
    ListReadFsm ahead(options(10));
    (void)ahead.start();
    BOOST_TEST((ahead.resume(page_of(10, k_until_s + 95, 90'000ms)).step == ListReadStep::done));
    BOOST_TEST(ahead.listing().reached_start);
    // Behind by 1.6 s: the start's second is floored, never later than the span's.
    ListReadFsm slightly(options(10));
    (void)slightly.start();
    (void)slightly.resume(page_of(1, k_until_s, -1'600ms));
    BOOST_TEST(slightly.list_until().value() == k_until_s - 2); // 1'796'399'998'900 ms
}

BOOST_AUTO_TEST_CASE(an_api_result_becomes_the_event_its_answer_means) {
    auto const with_status = [](int status, std::optional<std::chrono::seconds> retry_after = {}) {
        api::ApiResult<api::TaskList> r;
        r.delivery = net::Delivery::answered;
        r.detail = fmt::format("HTTP {}", status);
        r.api_error.emplace();
        r.api_error->http_status = status;
        r.api_error->retry_after = retry_after;
        return r;
    };
    struct Row {
        int status;
        ListPageFailed::Kind kind;
    };
    for (Row const row : {Row{404, ListPageFailed::Kind::missing}, Row{405, ListPageFailed::Kind::missing},
                          Row{429, ListPageFailed::Kind::throttled}, Row{500, ListPageFailed::Kind::transient},
                          Row{503, ListPageFailed::Kind::transient}, Row{401, ListPageFailed::Kind::refused},
                          Row{403, ListPageFailed::Kind::refused}, Row{400, ListPageFailed::Kind::refused}}) {
        BOOST_TEST_CONTEXT(row.status) {
            auto const event = list_read_event(with_status(row.status, 7s));
            auto const* failed = std::get_if<ListPageFailed>(&event);
            BOOST_REQUIRE(failed != nullptr);
            BOOST_TEST((failed->kind == row.kind));
            BOOST_TEST(failed->detail == fmt::format("HTTP {}", row.status));
            BOOST_TEST(failed->unauthorized == (row.status == 401));
        }
    }
    api::ApiResult<api::TaskList> cut;
    cut.delivery = net::Delivery::sent_no_answer;
    auto const no_answer = list_read_event(std::move(cut));
    BOOST_TEST((std::get<ListPageFailed>(no_answer).kind == ListPageFailed::Kind::transient));
    api::ApiResult<api::TaskList> ok;
    ok.value.emplace();
    ok.clock_skew = 1500ms;
    auto const read = list_read_event(std::move(ok));
    BOOST_TEST(std::get<ListPageRead>(read).clock_skew->count() == 1500);
}

BOOST_AUTO_TEST_SUITE_END()
