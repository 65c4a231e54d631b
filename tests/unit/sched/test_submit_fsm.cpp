// SubmitFsm's whole transition table, with no I/O: every create outcome in every key situation
// (a fresh key, a resumed key that may have made a task, after the one same-key resend, a key
// the server may have forgotten, a zero window), submission running or stopped; the key-trust
// span's edges, the retry caps, the backoff waits, wrong events, and what the budget and the
// circuit breaker are told on every exit.

#include "evobatch/sched/submit_fsm.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/sched/backoff.hpp"
#include "evobatch/jobs/idempotency.hpp"

#include <boost/test/unit_test.hpp>

#include <iterator>
#include <memory>
#include <ostream>
#include <stdexcept>

using namespace evobatch;
using namespace evobatch::sched;
using namespace std::chrono_literals;

namespace evobatch::sched {

std::ostream& operator<<(std::ostream& os, SubmitStep s) {
    constexpr char const* k_names[] = {"write_submitting", "acquire_token", "send",   "sleep_until", "running",
                                       "uncertain",        "unsent",        "unsubmitted", "failed",  "stop_batch"};
    return os << k_names[static_cast<int>(s)];
}
std::ostream& operator<<(std::ostream& os, BudgetEffect b) {
    constexpr char const* k_names[] = {"keep", "release", "settle"};
    return os << k_names[static_cast<int>(b)];
}
std::ostream& operator<<(std::ostream& os, BreakerSignal b) {
    constexpr char const* k_names[] = {"none", "success", "failure"};
    return os << k_names[static_cast<int>(b)];
}
std::ostream& operator<<(std::ostream& os, LimiterSignal l) {
    constexpr char const* k_names[] = {"none", "success", "throttled"};
    return os << k_names[static_cast<int>(l)];
}
std::ostream& operator<<(std::ostream& os, BackoffCause c) {
    constexpr char const* k_names[] = {"not_sent", "rate_limited", "server_error"};
    return os << k_names[static_cast<int>(c)];
}
std::ostream& operator<<(std::ostream& os, SubmitState s) {
    constexpr char const* k_names[] = {"start", "writing", "sending", "awaiting_token", "backing_off", "finished"};
    return os << k_names[static_cast<int>(s)];
}

} // namespace evobatch::sched

BOOST_TEST_DONT_PRINT_LOG_VALUE(evobatch::sched::TimePoint)

namespace {

TimePoint const t0 = TimePoint{} + 1000h;
constexpr std::uint64_t k_seed = 0x5eed;
constexpr auto k_window = std::chrono::seconds(15min);
constexpr auto k_span = 14min; // jobs::key_trust_span(15 min): less a tenth, at most a minute

Backoff make_backoff() { return Backoff(250ms, 30s, k_seed); }

// ---- outcomes
CreateOutcome not_sent() { return CreateNotSent{"connection refused"}; }
CreateOutcome no_answer() { return CreateNoAnswer{"connection reset after the request was written"}; }
CreateOutcome unreadable() {
    CreateAnswered a;
    a.body = CreateAnswered::Unreadable{"HTTP 200 with a body that is not the documented JSON"};
    return a;
}
CreateOutcome created(std::string id = "task-1", bool replayed = false) {
    api::Task task;
    task.id = std::move(id);
    task.credits_reserved = 40;
    CreateAnswered a;
    a.request_id = "req-created";
    a.replayed = replayed;
    a.body = std::move(task);
    return a;
}
CreateOutcome refused(int status, std::optional<std::chrono::seconds> retry_after = std::nullopt) {
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

// ---- the key situations a create's outcome can meet
enum class Ctx {
    fresh,     // a new key, its first send
    resumed,   // the ledger's key, which may have made a task, still trusted
    resent,    // after a send with no answer and the one same-key resend
    forgotten, // the ledger's key, trusted when sent, no longer when answered
    zero,      // a new key under api.idempotency_window = 0
};
constexpr Ctx k_contexts[] = {Ctx::fresh, Ctx::resumed, Ctx::resent, Ctx::forgotten, Ctx::zero};
char const* name(Ctx c) {
    constexpr char const* k_names[] = {"fresh", "resumed", "resent", "forgotten", "zero"};
    return k_names[static_cast<int>(c)];
}

struct Driven {
    Backoff backoff = make_backoff();
    SubmitFsm fsm;
    TimePoint now = t0; // when the outcome arrives
    explicit Driven(SubmitFsm::Options o) : fsm(std::move(o), backoff) {}
};

SubmitFsm::Options fresh_options(std::chrono::seconds window = k_window) {
    SubmitFsm::Options o;
    o.idempotency_window = window;
    return o;
}
SubmitFsm::Options resumed_options(std::optional<TimePoint> trusted_until) {
    SubmitFsm::Options o = fresh_options();
    o.new_key = false;
    o.may_have_task = true;
    o.key_trusted_until = trusted_until;
    return o;
}

// Started and written: the first send is out.
void to_first_send(SubmitFsm& fsm, TimePoint now) {
    BOOST_TEST_REQUIRE(fsm.resume(SubmitStarted{}, now, false).step == SubmitStep::write_submitting);
    BOOST_TEST_REQUIRE(fsm.resume(SubmittingWritten{true}, now, false).step == SubmitStep::send);
    BOOST_TEST_REQUIRE(fsm.state() == SubmitState::sending);
}

// A machine in context `c` with a create out, and when its outcome arrives.
std::unique_ptr<Driven> in_context(Ctx c) {
    switch (c) {
    case Ctx::fresh: {
        auto d = std::make_unique<Driven>(fresh_options());
        to_first_send(d->fsm, t0);
        return d;
    }
    case Ctx::resumed: {
        auto d = std::make_unique<Driven>(resumed_options(t0 + 1h));
        to_first_send(d->fsm, t0);
        return d;
    }
    case Ctx::resent: {
        auto d = std::make_unique<Driven>(fresh_options());
        to_first_send(d->fsm, t0);
        BOOST_TEST_REQUIRE(d->fsm.resume(no_answer(), t0, false).step == SubmitStep::acquire_token);
        BOOST_TEST_REQUIRE(d->fsm.resume(TokenAcquired{}, t0 + 1s, false).step == SubmitStep::send);
        d->now = t0 + 2s;
        return d;
    }
    case Ctx::forgotten: {
        auto d = std::make_unique<Driven>(resumed_options(t0 + 1s));
        to_first_send(d->fsm, t0);
        d->now = t0 + 2s;
        return d;
    }
    case Ctx::zero: {
        auto d = std::make_unique<Driven>(fresh_options(0s));
        to_first_send(d->fsm, t0);
        return d;
    }
    }
    throw std::logic_error("context");
}

// ---- the table: what each outcome leads to in each context
enum class Out { created, bad_id, not_sent, no_answer, unreadable, r429, r500, r502, r401, r402, r403, r400, r404, r409, r413, r418 };
constexpr Out k_outcomes[] = {Out::created, Out::bad_id, Out::not_sent, Out::no_answer, Out::unreadable, Out::r429,
                              Out::r500,    Out::r502,   Out::r401,     Out::r402,      Out::r403,       Out::r400,
                              Out::r404,    Out::r409,   Out::r413,     Out::r418};
char const* name(Out o) {
    constexpr char const* k_names[] = {"created", "bad_id", "not_sent", "no_answer", "unreadable", "429", "500", "502",
                                       "401",     "402",    "403",      "400",       "404",        "409", "413", "418"};
    return k_names[static_cast<int>(o)];
}
CreateOutcome outcome(Out o) {
    switch (o) {
    case Out::created: return created();
    case Out::bad_id: return created("..");
    case Out::not_sent: return not_sent();
    case Out::no_answer: return no_answer();
    case Out::unreadable: return unreadable();
    case Out::r429: return refused(429);
    case Out::r500: return refused(500);
    case Out::r502: return refused(502);
    case Out::r401: return refused(401);
    case Out::r402: return refused(402);
    case Out::r403: return refused(403);
    case Out::r400: return refused(400);
    case Out::r404: return refused(404);
    case Out::r409: return refused(409);
    case Out::r413: return refused(413);
    case Out::r418: return refused(418);
    }
    throw std::logic_error("outcome");
}

struct Expect {
    SubmitStep step;
    BudgetEffect budget = BudgetEffect::keep; // ends only
};
using S = SubmitStep;
using B = BudgetEffect;
constexpr Expect k_running{S::running, B::settle};
constexpr Expect k_uncertain{S::uncertain, B::keep};
constexpr Expect k_sleep{S::sleep_until};
constexpr Expect k_resend{S::acquire_token};
constexpr Expect k_unsent{S::unsent, B::release};
constexpr Expect k_unsubmitted_kept{S::unsubmitted, B::keep};
constexpr Expect k_stop_released{S::stop_batch, B::release};
constexpr Expect k_stop_kept{S::stop_batch, B::keep};
constexpr Expect k_failed{S::failed, B::release};

struct Row {
    Out out;
    bool stopped;
    Expect by_ctx[5]; // fresh, resumed, resent, forgotten, zero
};

// clang-format off
constexpr Row k_table[] = {
    // outcome      stopped  fresh            resumed             resent              forgotten           zero
    {Out::created,   false, {k_running,       k_running,          k_running,          k_running,          k_running}},
    {Out::created,   true,  {k_running,       k_running,          k_running,          k_running,          k_running}},
    {Out::bad_id,    false, {k_uncertain,     k_uncertain,        k_uncertain,        k_uncertain,        k_uncertain}},
    {Out::bad_id,    true,  {k_uncertain,     k_uncertain,        k_uncertain,        k_uncertain,        k_uncertain}},
    // Not sent: no key check (nothing left); stopped, only a key nothing used before is `unsent`.
    {Out::not_sent,  false, {k_sleep,         k_sleep,            k_sleep,            k_sleep,            k_sleep}},
    {Out::not_sent,  true,  {k_unsent,        k_unsubmitted_kept, k_unsubmitted_kept, k_unsubmitted_kept, k_unsent}},
    // No answer: one same-key resend, only while the key is trusted (never with a zero window),
    // whether or not submission stopped.
    {Out::no_answer, false, {k_resend,        k_resend,           k_uncertain,        k_uncertain,        k_uncertain}},
    {Out::no_answer, true,  {k_resend,        k_resend,           k_uncertain,        k_uncertain,        k_uncertain}},
    {Out::unreadable,false, {k_resend,        k_resend,           k_uncertain,        k_uncertain,        k_uncertain}},
    {Out::unreadable,true,  {k_resend,        k_resend,           k_uncertain,        k_uncertain,        k_uncertain}},
    // 429: always waited out (a stop ends the sleep at once).
    {Out::r429,      false, {k_sleep,         k_sleep,            k_sleep,            k_sleep,            k_sleep}},
    {Out::r429,      true,  {k_sleep,         k_sleep,            k_sleep,            k_sleep,            k_sleep}},
    // 5xx: may have made a task; retried under a trusted key, else uncertain.
    {Out::r500,      false, {k_sleep,         k_sleep,            k_sleep,            k_uncertain,        k_uncertain}},
    {Out::r500,      true,  {k_unsubmitted_kept, k_unsubmitted_kept, k_unsubmitted_kept, k_uncertain,     k_uncertain}},
    {Out::r502,      false, {k_sleep,         k_sleep,            k_sleep,            k_uncertain,        k_uncertain}},
    {Out::r502,      true,  {k_unsubmitted_kept, k_unsubmitted_kept, k_unsubmitted_kept, k_uncertain,     k_uncertain}},
    // The key refused: the batch stops; the job is `unsent` unless an earlier send may have made a task.
    {Out::r401,      false, {k_stop_released, k_stop_kept,        k_stop_kept,        k_stop_kept,        k_stop_released}},
    {Out::r401,      true,  {k_stop_released, k_stop_kept,        k_stop_kept,        k_stop_kept,        k_stop_released}},
    {Out::r402,      false, {k_stop_released, k_stop_kept,        k_stop_kept,        k_stop_kept,        k_stop_released}},
    {Out::r402,      true,  {k_stop_released, k_stop_kept,        k_stop_kept,        k_stop_kept,        k_stop_released}},
    {Out::r403,      false, {k_stop_released, k_stop_kept,        k_stop_kept,        k_stop_kept,        k_stop_released}},
    {Out::r403,      true,  {k_stop_released, k_stop_kept,        k_stop_kept,        k_stop_kept,        k_stop_released}},
    // Any other refusal fails the job for good, its reservation released.
    {Out::r400,      false, {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
    {Out::r400,      true,  {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
    {Out::r404,      false, {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
    {Out::r404,      true,  {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
    {Out::r409,      false, {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
    {Out::r409,      true,  {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
    {Out::r413,      false, {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
    {Out::r413,      true,  {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
    {Out::r418,      false, {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
    {Out::r418,      true,  {k_failed,        k_failed,           k_failed,           k_failed,           k_failed}},
};
// clang-format on

// What each outcome tells the circuit breaker and the rate limiter, in any context.
std::pair<BreakerSignal, LimiterSignal> line_signals(Out o) {
    switch (o) {
    case Out::created:
    case Out::bad_id: return {BreakerSignal::success, LimiterSignal::success};
    case Out::not_sent:
    case Out::no_answer:
    case Out::r500:
    case Out::r502: return {BreakerSignal::failure, LimiterSignal::none};
    case Out::unreadable: return {BreakerSignal::none, LimiterSignal::none}; // answered, but not usable
    case Out::r429: return {BreakerSignal::success, LimiterSignal::throttled};
    default: return {BreakerSignal::success, LimiterSignal::none}; // any other answer: the line is up
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(submit_fsm)

BOOST_AUTO_TEST_CASE(the_table_every_outcome_in_every_key_situation) {
    // Every outcome is in the table, in both stop states.
    BOOST_TEST(std::size(k_table) == 2 * std::size(k_outcomes));
    for (Row const& row : k_table) {
        for (Ctx const c : k_contexts) {
            BOOST_TEST_CONTEXT("outcome " << name(row.out) << ", " << name(c) << (row.stopped ? ", stopped" : "")) {
                auto d = in_context(c);
                Expect const& want = row.by_ctx[static_cast<int>(c)];
                SubmitAction const a = d->fsm.resume(outcome(row.out), d->now, row.stopped);
                BOOST_TEST(a.step == want.step);
                BOOST_TEST(a.is_end() == (want.step >= SubmitStep::running));
                if (a.is_end()) {
                    BOOST_TEST(a.budget == want.budget);
                    BOOST_TEST(d->fsm.state() == SubmitState::finished);
                } else {
                    BOOST_TEST(a.budget == BudgetEffect::keep); // nothing is settled mid-way
                    BOOST_TEST(d->fsm.state() != SubmitState::finished);
                }
                auto const [breaker, limiter] = line_signals(row.out);
                BOOST_TEST(a.breaker == breaker);
                BOOST_TEST(a.limiter == limiter);
                // A create under the key may have made a task after every outcome but a
                // certain "nothing made" one (not sent, created, refused), in a context that
                // had none before.
                bool const maybe_made = row.out == Out::no_answer || row.out == Out::unreadable ||
                                        row.out == Out::r500 || row.out == Out::r502 ||
                                        (c != Ctx::fresh && c != Ctx::zero);
                BOOST_TEST(d->fsm.may_have_task() == maybe_made);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(the_ends_carry_what_the_ledger_and_the_view_need) {
    {
        auto d = in_context(Ctx::fresh);
        SubmitAction const a = d->fsm.resume(created("task-9", true), t0, false);
        BOOST_TEST(a.task.has_value());
        BOOST_TEST(a.task->id == "task-9");
        BOOST_TEST((a.task->credits_reserved == std::optional<std::int64_t>(40)));
        BOOST_TEST(a.request_id == "req-created");
        BOOST_TEST(a.replayed);
    }
    {
        auto d = in_context(Ctx::fresh);
        SubmitAction const a = d->fsm.resume(created(".."), t0, false);
        BOOST_TEST(a.step == SubmitStep::uncertain);
        BOOST_TEST(a.task->id == ".."); // the ledger keeps the id it cannot follow
        BOOST_TEST(a.error.code == "invalid_task_id");
        BOOST_TEST(a.request_id == "req-created");
    }
    {
        auto d = in_context(Ctx::fresh);
        SubmitAction const a = d->fsm.resume(refused(400), t0, false);
        BOOST_TEST(a.error.code == "400"); // no server code: the status
        BOOST_TEST(a.error.message == api::describe(std::get<api::ApiError>(
                                          std::get<CreateAnswered>(refused(400)).body)));
        BOOST_TEST(a.request_id == "req-400");
        BOOST_TEST(a.note == a.error.message);
        BOOST_TEST(!a.task.has_value());
    }
    {
        auto d = in_context(Ctx::fresh);
        CreateOutcome o = refused(402);
        std::get<api::ApiError>(std::get<CreateAnswered>(o).body).code = "insufficient_quota";
        SubmitAction const a = d->fsm.resume(std::move(o), t0, false);
        BOOST_TEST(a.step == SubmitStep::stop_batch);
        BOOST_TEST(a.error.code == "insufficient_quota");
        BOOST_TEST(!a.error.message.empty()); // the stop reason
        BOOST_TEST(a.note.empty());
    }
    {
        auto d = in_context(Ctx::resumed);
        SubmitAction const a = d->fsm.resume(refused(502), t0 + 2h, false);
        BOOST_TEST(a.step == SubmitStep::uncertain); // the key is no longer trusted by then
        BOOST_TEST(a.error.code == "502");
        BOOST_TEST(a.request_id == "req-502");
    }
    {
        auto d = in_context(Ctx::resent);
        SubmitAction const a = d->fsm.resume(no_answer(), d->now, false);
        BOOST_TEST(a.error.code == "no_answer");
        BOOST_TEST(a.error.message == "connection reset after the request was written");
        BOOST_TEST(a.request_id.empty());
    }
}

BOOST_AUTO_TEST_CASE(start_stopped_leaves_the_job_unsubmitted_and_releases) {
    Backoff backoff = make_backoff();
    SubmitFsm fsm(resumed_options(t0 + 1h), backoff);
    SubmitAction const a = fsm.resume(SubmitStarted{}, t0, true);
    BOOST_TEST(a.step == SubmitStep::unsubmitted);
    BOOST_TEST(a.budget == BudgetEffect::release); // nothing was sent in this run
    BOOST_TEST(a.breaker == BreakerSignal::none);
    BOOST_TEST(fsm.state() == SubmitState::finished);
}

BOOST_AUTO_TEST_CASE(the_write_ahead_comes_before_the_send_and_a_failed_write_releases) {
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    BOOST_TEST(fsm.state() == SubmitState::start);
    BOOST_TEST(fsm.resume(SubmitStarted{}, t0, false).step == SubmitStep::write_submitting);
    BOOST_TEST(fsm.state() == SubmitState::writing);
    SubmitAction const a = fsm.resume(SubmittingWritten{false}, t0, false);
    BOOST_TEST(a.step == SubmitStep::unsubmitted);
    BOOST_TEST(a.budget == BudgetEffect::release);
    BOOST_TEST(a.note.empty());
}

BOOST_AUTO_TEST_CASE(key_trust_starts_at_the_first_send_of_a_new_key) {
    Backoff backoff = make_backoff();
    SubmitFsm::Options o = fresh_options();
    o.key_trusted_until = t0 - 1h; // a stale value of an earlier attempt's key: a new key is trusted anew
    SubmitFsm fsm(o, backoff);
    to_first_send(fsm, t0);
    BOOST_TEST((fsm.key_trusted_until() == std::optional<TimePoint>(t0 + k_span)));
    BOOST_TEST(jobs::key_trust_span(k_window) == k_span);
}

BOOST_AUTO_TEST_CASE(a_resumed_key_keeps_its_trust_or_counts_from_now_when_sent_on_request) {
    {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(resumed_options(t0 + 5min), backoff);
        to_first_send(fsm, t0);
        BOOST_TEST((fsm.key_trusted_until() == std::optional<TimePoint>(t0 + 5min)));
    }
    {
        // --resubmit-uncertain (forced), or an `unsent` key: no trust carried, counted from now.
        Backoff backoff = make_backoff();
        SubmitFsm fsm(resumed_options(std::nullopt), backoff);
        to_first_send(fsm, t0);
        BOOST_TEST((fsm.key_trusted_until() == std::optional<TimePoint>(t0 + k_span)));
    }
}

BOOST_AUTO_TEST_CASE(a_resumed_key_past_its_trust_is_uncertain_before_anything_is_written) {
    // The edge: trusted strictly before key_trusted_until.
    {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(resumed_options(t0), backoff);
        SubmitAction const a = fsm.resume(SubmitStarted{}, t0, false);
        BOOST_TEST(a.step == SubmitStep::uncertain);
        BOOST_TEST(a.budget == BudgetEffect::keep);
        BOOST_TEST(a.error.code == "key_window_passed");
        BOOST_TEST(a.error.message.find("15m") != std::string::npos);
        BOOST_TEST(a.request_id.empty());
    }
    {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(resumed_options(t0 + 1ns), backoff);
        BOOST_TEST(fsm.resume(SubmitStarted{}, t0, false).step == SubmitStep::write_submitting);
    }
    {
        // A key that may not have made a task (an `unsent` one) is sent whatever its age.
        Backoff backoff = make_backoff();
        SubmitFsm::Options o = resumed_options(t0 - 1h);
        o.may_have_task = false;
        SubmitFsm fsm(o, backoff);
        BOOST_TEST(fsm.resume(SubmitStarted{}, t0, false).step == SubmitStep::write_submitting);
    }
}

BOOST_AUTO_TEST_CASE(a_resend_checks_the_key_after_the_wait_for_its_token) {
    // No answer at t0 + 1 min: the resend may go. The token comes at the span's edge.
    for (auto const& [token_at, step] : {std::pair{t0 + k_span - 1ns, SubmitStep::send},
                                        std::pair{t0 + k_span, SubmitStep::uncertain},
                                        std::pair{t0 + k_span + 1s, SubmitStep::uncertain}}) {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(fresh_options(), backoff);
        to_first_send(fsm, t0);
        BOOST_TEST(fsm.resume(no_answer(), t0 + 1min, false).step == SubmitStep::acquire_token);
        BOOST_TEST(fsm.state() == SubmitState::awaiting_token);
        BOOST_TEST(fsm.resent_same_key());
        SubmitAction const a = fsm.resume(TokenAcquired{}, token_at, false);
        BOOST_TEST(a.step == step);
        if (a.step == SubmitStep::uncertain) {
            BOOST_TEST(a.error.code == "key_window_passed");
            BOOST_TEST(a.budget == BudgetEffect::keep);
        }
    }
    // A key that cannot have made a task is sent after any wait (not sent, then a late token).
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    BOOST_TEST(fsm.resume(not_sent(), t0, false).step == SubmitStep::sleep_until);
    BOOST_TEST(fsm.resume(WokeUp{}, t0 + 1s, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, t0 + 2h, false).step == SubmitStep::send);
}

BOOST_AUTO_TEST_CASE(no_answer_at_the_span_edge) {
    for (auto const& [answer_at, step] : {std::pair{t0 + k_span - 1ns, SubmitStep::acquire_token},
                                         std::pair{t0 + k_span, SubmitStep::uncertain}}) {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(fresh_options(), backoff);
        to_first_send(fsm, t0);
        BOOST_TEST(fsm.resume(no_answer(), answer_at, false).step == step);
    }
}

BOOST_AUTO_TEST_CASE(only_one_same_key_resend_per_job) {
    // Not sent and 5xx retries in between do not give the job a second resend.
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    BOOST_TEST(fsm.resume(unreadable(), t0, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, t0, false).step == SubmitStep::send);
    BOOST_TEST(fsm.resume(refused(503), t0, false).step == SubmitStep::sleep_until);
    BOOST_TEST(fsm.resume(WokeUp{}, t0 + 1s, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, t0 + 1s, false).step == SubmitStep::send);
    SubmitAction const a = fsm.resume(no_answer(), t0 + 1s, false);
    BOOST_TEST(a.step == SubmitStep::uncertain);
    BOOST_TEST(a.error.code == "no_answer");
}

BOOST_AUTO_TEST_CASE(a_zero_window_never_sends_a_key_again_that_may_have_made_a_task) {
    {
        Backoff backoff = make_backoff();
        SubmitFsm fsm(fresh_options(0s), backoff);
        to_first_send(fsm, t0);
        BOOST_TEST((fsm.key_trusted_until() == std::optional<TimePoint>(t0)));
        SubmitAction const a = fsm.resume(refused(503), t0, false);
        BOOST_TEST(a.step == SubmitStep::uncertain); // not retried: a second task would be made
        BOOST_TEST(a.error.code == "503");
    }
    {
        // Nothing made yet: not-sent and 429 are retried under a zero window too.
        Backoff backoff = make_backoff();
        SubmitFsm fsm(fresh_options(0s), backoff);
        to_first_send(fsm, t0);
        BOOST_TEST(fsm.resume(not_sent(), t0, false).step == SubmitStep::sleep_until);
        BOOST_TEST(fsm.resume(WokeUp{}, t0 + 1s, false).step == SubmitStep::acquire_token);
        BOOST_TEST(fsm.resume(TokenAcquired{}, t0 + 1s, false).step == SubmitStep::send);
        BOOST_TEST(fsm.resume(refused(429, 2s), t0 + 1s, false).step == SubmitStep::sleep_until);
        BOOST_TEST(fsm.resume(WokeUp{}, t0 + 3s, false).step == SubmitStep::acquire_token);
        BOOST_TEST(fsm.resume(TokenAcquired{}, t0 + 3s, false).step == SubmitStep::send);
        BOOST_TEST(fsm.resume(created(), t0 + 3s, false).step == SubmitStep::running);
    }
    {
        // A resumed key that may have made a task, under a zero window: uncertain at once.
        Backoff backoff = make_backoff();
        // (resume() sets its trust to its first send + jobs::key_trust_span(0s): that moment.)
        SubmitFsm::Options o = resumed_options(t0 - 1min);
        o.idempotency_window = 0s;
        SubmitFsm fsm(o, backoff);
        BOOST_TEST(fsm.resume(SubmitStarted{}, t0, false).step == SubmitStep::uncertain);
    }
}

BOOST_AUTO_TEST_CASE(not_sent_is_retried_with_backoff_up_to_its_cap) {
    for (bool const may_have_task : {false, true}) {
        BOOST_TEST_CONTEXT("may_have_task " << may_have_task) {
            Backoff twin = make_backoff(); // draws the same waits
            Backoff backoff = make_backoff();
            SubmitFsm::Options o = may_have_task ? resumed_options(t0 + 1h) : fresh_options();
            SubmitFsm fsm(o, backoff);
            to_first_send(fsm, t0);
            TimePoint now = t0;
            for (int i = 1; i < 8; ++i) {
                SubmitAction const a = fsm.resume(not_sent(), now, false);
                BOOST_TEST_REQUIRE(a.step == SubmitStep::sleep_until);
                BOOST_TEST((a.until == now + twin.next(i)));
                BOOST_TEST(a.until <= now + twin.ceiling(i));
                BOOST_TEST(a.breaker == BreakerSignal::failure);
                BOOST_TEST(fsm.backoff_cause() == BackoffCause::not_sent);
                BOOST_TEST(fsm.not_sent_count() == i);
                now = a.until;
                BOOST_TEST(fsm.resume(WokeUp{}, now, false).step == SubmitStep::acquire_token);
                BOOST_TEST(fsm.resume(TokenAcquired{}, now, false).step == SubmitStep::send);
            }
            SubmitAction const a = fsm.resume(not_sent(), now, false);
            BOOST_TEST(a.step == (may_have_task ? SubmitStep::unsubmitted : SubmitStep::unsent));
            BOOST_TEST(a.budget == (may_have_task ? BudgetEffect::keep : BudgetEffect::release));
            BOOST_TEST(a.error.code == "not_sent");
            BOOST_TEST(a.error.message == "could not reach the API: connection refused");
            BOOST_TEST(a.note == "could not reach the API: connection refused");
        }
    }
}

BOOST_AUTO_TEST_CASE(server_errors_are_retried_with_backoff_up_to_their_cap) {
    Backoff twin = make_backoff();
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    TimePoint now = t0;
    for (int i = 1; i < 8; ++i) {
        SubmitAction const a = fsm.resume(refused(500 + i), now, false);
        BOOST_TEST_REQUIRE(a.step == SubmitStep::sleep_until);
        BOOST_TEST((a.until == now + twin.next(i)));
        BOOST_TEST(fsm.server_error_count() == i);
        BOOST_TEST(fsm.backoff_cause() == BackoffCause::server_error);
        now = a.until;
        BOOST_TEST(fsm.resume(WokeUp{}, now, false).step == SubmitStep::acquire_token);
        BOOST_TEST(fsm.resume(TokenAcquired{}, now, false).step == SubmitStep::send);
    }
    SubmitAction const a = fsm.resume(refused(500), now, false);
    BOOST_TEST(a.step == SubmitStep::unsubmitted); // left for the next run, which resends the key
    BOOST_TEST(a.budget == BudgetEffect::keep);   // the 5xx may have made a task
    BOOST_TEST(!a.note.empty());
}

BOOST_AUTO_TEST_CASE(a_429_honours_retry_after_and_does_not_count_as_a_server_error) {
    Backoff twin = make_backoff();
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    SubmitAction a = fsm.resume(refused(429, 7s), t0, false);
    BOOST_TEST(a.step == SubmitStep::sleep_until);
    BOOST_TEST((a.until == t0 + 7s));
    BOOST_TEST(a.limiter == LimiterSignal::throttled);
    BOOST_TEST((a.retry_after == std::optional<std::chrono::seconds>(7s)));
    BOOST_TEST(fsm.backoff_cause() == BackoffCause::rate_limited);
    BOOST_TEST(fsm.resume(WokeUp{}, t0 + 7s, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, t0 + 7s, false).step == SubmitStep::send);
    // No Retry-After: a backoff wait one step past the server errors so far.
    a = fsm.resume(refused(429), t0 + 7s, false);
    BOOST_TEST((a.until == t0 + 7s + twin.next(1)));
    BOOST_TEST(!a.retry_after.has_value());
    BOOST_TEST(fsm.resume(WokeUp{}, a.until, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, a.until, false).step == SubmitStep::send);
    TimePoint now = a.until;
    a = fsm.resume(refused(503), now, false);
    BOOST_TEST((a.until == now + twin.next(1)));
    now = a.until;
    BOOST_TEST(fsm.resume(WokeUp{}, now, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, now, false).step == SubmitStep::send);
    a = fsm.resume(refused(429), now, false);
    BOOST_TEST((a.until == now + twin.next(2)));
    BOOST_TEST(fsm.server_error_count() == 1);
    // Many 429s never reach a cap.
    for (int i = 0; i < 20; ++i) {
        BOOST_TEST(fsm.resume(WokeUp{}, now, false).step == SubmitStep::acquire_token);
        BOOST_TEST(fsm.resume(TokenAcquired{}, now, false).step == SubmitStep::send);
        BOOST_TEST(fsm.resume(refused(429, 1s), now, false).step == SubmitStep::sleep_until);
    }
}

BOOST_AUTO_TEST_CASE(stopped_during_a_backoff_each_cause_ends_its_own_way) {
    struct Case {
        CreateOutcome cause;
        bool may_have_task;
        SubmitStep step;
        BudgetEffect budget;
        char const* code;
    };
    Case const cases[] = {
        {not_sent(), false, SubmitStep::unsent, BudgetEffect::release, "not_sent"},
        {not_sent(), true, SubmitStep::unsubmitted, BudgetEffect::keep, "not_sent"},
        {refused(429), false, SubmitStep::unsent, BudgetEffect::release, "rate_limited"},
        {refused(429), true, SubmitStep::unsubmitted, BudgetEffect::keep, "rate_limited"},
        {refused(503), false, SubmitStep::unsubmitted, BudgetEffect::keep, ""},
        {refused(503), true, SubmitStep::unsubmitted, BudgetEffect::keep, ""},
    };
    for (Case const& c : cases) {
        BOOST_TEST_CONTEXT("code " << c.code << ", may_have_task " << c.may_have_task) {
            Backoff backoff = make_backoff();
            SubmitFsm fsm(c.may_have_task ? resumed_options(t0 + 1h) : fresh_options(), backoff);
            to_first_send(fsm, t0);
            BOOST_TEST_REQUIRE(fsm.resume(c.cause, t0, false).step == SubmitStep::sleep_until);
            SubmitAction const a = fsm.resume(WokeUp{}, t0 + 1s, true);
            BOOST_TEST(a.step == c.step);
            BOOST_TEST(a.budget == c.budget);
            BOOST_TEST(a.note.empty()); // a stop is the run's to explain
            BOOST_TEST(a.breaker == BreakerSignal::none);
            if (a.step == SubmitStep::unsent) {
                BOOST_TEST(a.error.code == c.code);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(stopped_at_a_not_sent_answer_says_nothing_more) {
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    SubmitAction const a = fsm.resume(not_sent(), t0, true);
    BOOST_TEST(a.step == SubmitStep::unsent);
    BOOST_TEST(a.error.message == "could not reach the API: connection refused");
    BOOST_TEST(a.note.empty());
}

BOOST_AUTO_TEST_CASE(a_5xx_makes_a_later_not_sent_end_keep_the_reservation) {
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    BOOST_TEST(fsm.resume(refused(502), t0, false).step == SubmitStep::sleep_until);
    BOOST_TEST(fsm.resume(WokeUp{}, t0 + 1s, false).step == SubmitStep::acquire_token);
    BOOST_TEST(fsm.resume(TokenAcquired{}, t0 + 1s, false).step == SubmitStep::send);
    SubmitAction const a = fsm.resume(not_sent(), t0 + 1s, true);
    BOOST_TEST(a.step == SubmitStep::unsubmitted);
    BOOST_TEST(a.budget == BudgetEffect::keep);
}

BOOST_AUTO_TEST_CASE(an_event_the_last_action_did_not_ask_for_is_a_bug) {
    // In each state, only its own event is accepted.
    auto const events = [] {
        return std::vector<SubmitEvent>{SubmitStarted{}, SubmittingWritten{true}, TokenAcquired{}, WokeUp{},
                                        SubmitEvent{created()}};
    };
    auto const accepted_in = [](SubmitState s) -> std::size_t {
        switch (s) {
        case SubmitState::start: return 0;
        case SubmitState::writing: return 1;
        case SubmitState::awaiting_token: return 2;
        case SubmitState::backing_off: return 3;
        case SubmitState::sending: return 4;
        case SubmitState::finished: return 99;
        }
        return 99;
    };
    // One machine per state, reached the ordinary way.
    auto const machine_in = [](SubmitState s, Backoff& backoff) {
        SubmitFsm fsm(fresh_options(), backoff);
        if (s == SubmitState::start) {
            return fsm;
        }
        fsm.resume(SubmitStarted{}, t0, false);
        if (s == SubmitState::writing) {
            return fsm;
        }
        fsm.resume(SubmittingWritten{true}, t0, false);
        if (s == SubmitState::sending) {
            return fsm;
        }
        if (s == SubmitState::awaiting_token) {
            fsm.resume(no_answer(), t0, false);
        } else if (s == SubmitState::backing_off) {
            fsm.resume(not_sent(), t0, false);
        } else {
            fsm.resume(refused(400), t0, false);
        }
        return fsm;
    };
    for (SubmitState const s : {SubmitState::start, SubmitState::writing, SubmitState::sending,
                                SubmitState::awaiting_token, SubmitState::backing_off, SubmitState::finished}) {
        auto evs = events();
        for (std::size_t i = 0; i < evs.size(); ++i) {
            BOOST_TEST_CONTEXT("state " << s << ", event " << i) {
                Backoff backoff = make_backoff();
                SubmitFsm fsm = machine_in(s, backoff);
                BOOST_TEST_REQUIRE(fsm.state() == s);
                if (i == accepted_in(s)) {
                    BOOST_CHECK_NO_THROW(fsm.resume(std::move(evs[i]), t0, false));
                } else {
                    BOOST_CHECK_THROW(fsm.resume(std::move(evs[i]), t0, false), std::logic_error);
                    BOOST_TEST(fsm.state() == s); // refused without a change
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(create_outcome_follows_the_delivery) {
    {
        api::ApiResult<api::Task> r;
        r.delivery = net::Delivery::not_sent;
        r.detail = "refused";
        CreateOutcome const o = create_outcome(std::move(r));
        BOOST_TEST(std::get<CreateNotSent>(o).detail == "refused");
    }
    {
        api::ApiResult<api::Task> r;
        r.delivery = net::Delivery::sent_no_answer;
        r.detail = "reset";
        CreateOutcome const o = create_outcome(std::move(r));
        BOOST_TEST(std::get<CreateNoAnswer>(o).detail == "reset");
    }
    {
        api::ApiResult<api::Task> r;
        r.delivery = net::Delivery::answered;
        r.value = api::Task{};
        r.value->id = "task-1";
        r.request_id = "req-1";
        r.replayed = true;
        CreateOutcome const o = create_outcome(std::move(r));
        auto const& a = std::get<CreateAnswered>(o);
        BOOST_TEST(std::get<api::Task>(a.body).id == "task-1");
        BOOST_TEST(a.request_id == "req-1");
        BOOST_TEST(a.replayed);
    }
    {
        api::ApiResult<api::Task> r;
        r.delivery = net::Delivery::answered;
        r.error = api::ApiErrc::server_error;
        r.api_error = api::ApiError{};
        r.api_error->kind = api::ApiErrc::server_error;
        r.api_error->http_status = 502;
        CreateOutcome const o = create_outcome(std::move(r));
        BOOST_TEST(std::get<api::ApiError>(std::get<CreateAnswered>(o).body).http_status == 502);
    }
    {
        std::string const detail = "HTTP 200 with a body that is not the documented JSON";
        api::ApiResult<api::Task> r;
        r.delivery = net::Delivery::answered;
        r.error = api::ApiErrc::bad_response;
        r.detail = detail;
        CreateOutcome const o = create_outcome(std::move(r));
        BOOST_TEST(std::get<CreateAnswered::Unreadable>(std::get<CreateAnswered>(o).body).detail == detail);
    }
}

BOOST_AUTO_TEST_SUITE_END()
