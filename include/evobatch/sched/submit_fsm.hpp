#pragma once
// Submitting one job, as a sans-io state machine: what to do next, given what the last action
// came to. The coroutine that drives it (Submitter::submit_job) performs the actions (the
// ledger, the rate limiter's token, the POST, the sleeps) and feeds their outcomes back; every
// decision (the key-trust span, retry caps, 429/5xx, what the budget and the circuit breaker
// are told, how the job ends) is made here. After Boost.MySQL's sansio_connection_node and
// Boost.Redis's exec_fsm. Pure: no I/O, time comes in as `now`; single-threaded.
// The whole table is in ARCHITECTURE.md ("Submitting a job").

#include "evobatch/api/error.hpp"
#include "evobatch/api/types.hpp"
#include "evobatch/ledger/event.hpp"
#include "evobatch/sched/clock.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <variant>

namespace evobatch::api {
template <class T>
struct ApiResult;
} // namespace evobatch::api

namespace evobatch::sched {

class Backoff;

// ---- What a create came to: its HTTP delivery, no loose fields.
struct CreateNotSent { // failed before any byte left: no task can have been made
    std::string detail;
};
struct CreateNoAnswer { // written, then no complete answer: a task may have been made
    std::string detail;
};
struct CreateAnswered {
    struct Unreadable { // a 2xx whose body is not the documented JSON: a task may have been made
        std::string detail;
    };
    std::string request_id;
    bool replayed = false; // the server answered with the task an earlier use of the key made
    std::variant<api::Task, api::ApiError, Unreadable> body; // 2xx task, error status, or neither
};
using CreateOutcome = std::variant<CreateNotSent, CreateNoAnswer, CreateAnswered>;

// The outcome of ApiClient::create, moved from.
CreateOutcome create_outcome(api::ApiResult<api::Task>&& result);

// ---- What the driver reports back after each action.
struct SubmitStarted {};         // the job has its token and its budget reservation
struct SubmittingWritten {       // the write-ahead `submitting` event: durable or not
    bool durable = false;
};
struct TokenAcquired {};         // a rate-limiter token for a create
struct WokeUp {};                // a sleep_until ended (its time came, or submission stopped)
using SubmitEvent = std::variant<SubmitStarted, SubmittingWritten, TokenAcquired, WokeUp, CreateOutcome>;

enum class SubmitStep {
    // Actions: perform, then resume with the event named.
    write_submitting, // the key made durable (`submitting`) before any byte of the POST -> SubmittingWritten
    acquire_token,    // wait for a token (every send but the first) -> TokenAcquired
    send,             // POST the create under the key -> CreateOutcome
    sleep_until,      // back off until `until`; wakes early when submission stops -> WokeUp
    // Ends: the machine is finished.
    running,     // a task was made: `submitted` (credits, rid), settle the budget, poll it
    uncertain,   // a task may exist that the ledger cannot follow: `uncertain`, worst case kept
    unsent,      // certainly no task: `unsent` (not waited for), released, left unsubmitted
    unsubmitted, // left for the next run, released or kept (`budget`)
    failed,      // refused for good: `failed`, released
    stop_batch,  // 401/402/403: left as `unsent` (released) or unsubmitted (kept), then the
                 // batch stops submitting (the API's refusal, in error.message)
};

enum class BudgetEffect {
    keep,    // the worst case stays counted: a create under the key may have made a task
    release, // nothing was made: the worst case goes back
    settle,  // a task was made: the worst case becomes what the server reserved
};
enum class BreakerSignal { none, success, failure };
enum class LimiterSignal { none, success, throttled };

struct SubmitAction {
    SubmitStep step = SubmitStep::write_submitting;
    TimePoint until{};                     // sleep_until
    BudgetEffect budget = BudgetEffect::keep; // ends only
    ledger::EventError error;              // uncertain, unsent, failed, stop_batch
    std::string request_id;                // running, uncertain, failed: the answer's
    std::string note;                      // unsent, unsubmitted, failed: for the progress view ("" none)
    std::optional<api::Task> task;         // running, and uncertain for an id no URL can carry
    bool replayed = false;                 // running
    // What the last create said about the line, for the circuit breaker and the rate limiter:
    // applied with the same `now`, before the action.
    BreakerSignal breaker = BreakerSignal::none;
    LimiterSignal limiter = LimiterSignal::none;
    std::optional<std::chrono::seconds> retry_after; // throttled

    [[nodiscard]] bool is_end() const noexcept { return step >= SubmitStep::running; }
};

enum class SubmitState {
    start,        // not started: SubmitStarted
    writing,      // write_submitting asked: SubmittingWritten
    sending,      // a create is out: CreateOutcome
    awaiting_token, // acquire_token asked: TokenAcquired
    backing_off,  // sleep_until asked: WokeUp (why: backoff_cause())
    finished,     // an end was returned: nothing more
};
enum class BackoffCause { not_sent, rate_limited, server_error };

class SubmitFsm {
public:
    struct Options {
        bool new_key = true;       // a key made now (else the ledger's key, sent again as it is)
        bool may_have_task = false; // that ledger key went out before and may have made a task
        // Until when the server is trusted to remember the ledger's key; unset: from this send.
        std::optional<TimePoint> key_trusted_until;
        std::chrono::seconds idempotency_window{0};
        int max_unsent = 8;        // sends that never left, before the job is left for the next run
        int max_server_errors = 8; // 5xx answers, likewise
    };

    // `backoff` draws the waits after a failure; it must outlive the machine.
    SubmitFsm(Options options, Backoff& backoff);

    // The next action for `event`, which must be the one the last action asked for (else
    // std::logic_error); `stopped`: submission has stopped. Each end is returned once.
    SubmitAction resume(SubmitEvent event, TimePoint now, bool stopped);

    [[nodiscard]] SubmitState state() const noexcept { return m_state; }
    [[nodiscard]] BackoffCause backoff_cause() const noexcept { return m_cause; }
    // Until when the key is trusted (set once the machine has started, for a key it sends).
    [[nodiscard]] std::optional<TimePoint> key_trusted_until() const noexcept { return m_trusted_until; }
    [[nodiscard]] bool may_have_task() const noexcept { return m_may_have_task; }
    [[nodiscard]] bool resent_same_key() const noexcept { return m_resent_same_key; }
    [[nodiscard]] int not_sent_count() const noexcept { return m_not_sent; }
    [[nodiscard]] int server_error_count() const noexcept { return m_server_errors; }

private:
    SubmitAction on_start(TimePoint now, bool stopped);
    SubmitAction on_created(CreateAnswered& answer, api::Task& task);
    SubmitAction on_outcome(CreateOutcome& outcome, TimePoint now, bool stopped);
    SubmitAction on_no_answer(std::string detail, BreakerSignal breaker, TimePoint now);
    SubmitAction on_refused(api::ApiError& error, TimePoint now, bool stopped);
    SubmitAction on_woke(bool stopped);
    SubmitAction next_send();                       // after a retry decision: a token, then the send
    SubmitAction sleep(BackoffCause cause, TimePoint until);
    SubmitAction end(SubmitAction action);
    SubmitAction leave_unsent_or_unsubmitted(ledger::EventError error);
    SubmitAction uncertain(ledger::EventError error, std::string request_id);
    [[nodiscard]] bool key_forgotten(TimePoint now) const noexcept;

    Options m_options;
    Backoff* m_backoff;
    SubmitState m_state = SubmitState::start;
    BackoffCause m_cause = BackoffCause::not_sent;
    std::optional<TimePoint> m_trusted_until;
    bool m_may_have_task = false;
    bool m_resent_same_key = false;
    int m_not_sent = 0;
    int m_server_errors = 0;
};

} // namespace evobatch::sched
