#pragma once
// What the SubmitFsm tests (test_submit_fsm_*.cpp, one file per state) share: the printing of its
// enums, a fixed clock, the create outcomes, and machines started and sent the ordinary way.

#include "evobatch/sched/submit_fsm.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/sched/backoff.hpp"
#include "evobatch/jobs/idempotency.hpp"

#include <boost/test/unit_test.hpp>

#include <iterator>
#include <memory>
#include <ostream>
#include <stdexcept>

namespace evobatch::sched {

inline std::ostream& operator<<(std::ostream& os, SubmitStep s) {
    constexpr char const* k_names[] = {"write_submitting", "acquire_token", "send",   "sleep_until", "running",
                                       "uncertain",        "unsent",        "unsubmitted", "failed",  "stop_batch"};
    return os << k_names[static_cast<int>(s)];
}
inline std::ostream& operator<<(std::ostream& os, BudgetEffect b) {
    constexpr char const* k_names[] = {"keep", "release", "settle"};
    return os << k_names[static_cast<int>(b)];
}
inline std::ostream& operator<<(std::ostream& os, BreakerSignal b) {
    constexpr char const* k_names[] = {"none", "success", "failure"};
    return os << k_names[static_cast<int>(b)];
}
inline std::ostream& operator<<(std::ostream& os, LimiterSignal l) {
    constexpr char const* k_names[] = {"none", "success", "throttled"};
    return os << k_names[static_cast<int>(l)];
}
inline std::ostream& operator<<(std::ostream& os, BackoffCause c) {
    constexpr char const* k_names[] = {"not_sent", "rate_limited", "server_error"};
    return os << k_names[static_cast<int>(c)];
}
inline std::ostream& operator<<(std::ostream& os, SubmitState s) {
    constexpr char const* k_names[] = {"start", "writing", "sending", "awaiting_token", "backing_off", "finished"};
    return os << k_names[static_cast<int>(s)];
}

} // namespace evobatch::sched

BOOST_TEST_DONT_PRINT_LOG_VALUE(evobatch::sched::TimePoint)

namespace submit_fsm_test {

using namespace evobatch;
using namespace evobatch::sched;
using namespace std::chrono_literals;

TimePoint const t0 = TimePoint{} + 1000h;
constexpr std::uint64_t k_seed = 0x5eed;
constexpr auto k_window = std::chrono::seconds(15min);
constexpr auto k_span = 14min; // jobs::key_trust_span(15 min): less a tenth, at most a minute

inline Backoff make_backoff() { return Backoff(250ms, 30s, k_seed); }

// ---- outcomes
inline CreateOutcome not_sent() { return CreateNotSent{"connection refused"}; }
inline CreateOutcome no_answer() { return CreateNoAnswer{"connection reset after the request was written"}; }
inline CreateOutcome unreadable() {
    CreateAnswered a;
    a.body = CreateAnswered::Unreadable{"HTTP 200 with a body that is not the documented JSON"};
    return a;
}
inline CreateOutcome created(std::string id = "task-1", bool replayed = false) {
    api::Task task;
    task.id = std::move(id);
    task.credits_reserved = 40;
    CreateAnswered a;
    a.request_id = "req-created";
    a.replayed = replayed;
    a.body = std::move(task);
    return a;
}
inline CreateOutcome refused(int status, std::optional<std::chrono::seconds> retry_after = std::nullopt) {
    api::ApiError e;
    e.kind = api::kind_of_status(status);
    e.http_status = status;
    e.message = "refused";
    e.request_id = "req-" + std::to_string(status);
    e.retry_after = retry_after;
    CreateAnswered a;
    a.request_id = e.request_id;
    a.body = std::move(e);
    return a;
}


struct Driven {
    Backoff backoff = make_backoff();
    SubmitFsm fsm;
    TimePoint now = t0; // when the outcome arrives
    explicit Driven(SubmitFsm::Options o) : fsm(std::move(o), backoff) {}
};

inline SubmitFsm::Options fresh_options(std::chrono::seconds window = k_window) {
    SubmitFsm::Options o;
    o.idempotency_window = window;
    return o;
}
inline SubmitFsm::Options resumed_options(std::optional<TimePoint> trusted_until) {
    SubmitFsm::Options o = fresh_options();
    o.new_key = false;
    o.may_have_task = true;
    o.key_trusted_until = trusted_until;
    return o;
}

// Started and written: the first send is out.
inline void to_first_send(SubmitFsm& fsm, TimePoint now) {
    BOOST_TEST_REQUIRE(fsm.resume(SubmitStarted{}, now, false).step == SubmitStep::write_submitting);
    BOOST_TEST_REQUIRE(fsm.resume(SubmittingWritten{true}, now, false).step == SubmitStep::send);
    BOOST_TEST_REQUIRE(fsm.state() == SubmitState::sending);
}

} // namespace submit_fsm_test
