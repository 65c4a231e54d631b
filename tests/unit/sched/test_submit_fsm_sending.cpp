// SubmitFsm with a create out (state sending): the whole transition table, every create outcome
// in every key situation (a fresh key, a resumed key that may have made a task, after the one
// same-key resend, a key the server may have forgotten, a zero window), submission running or
// stopped, with what the budget and the circuit breaker are told; what the ends carry; the
// key-trust span's edge for an answer; and how a delivery becomes a create outcome.

#include "unit/sched/submit_fsm_support.hpp"

using namespace submit_fsm_test;

namespace {

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

BOOST_AUTO_TEST_CASE(stopped_at_a_not_sent_answer_says_nothing_more) {
    Backoff backoff = make_backoff();
    SubmitFsm fsm(fresh_options(), backoff);
    to_first_send(fsm, t0);
    SubmitAction const a = fsm.resume(not_sent(), t0, true);
    BOOST_TEST(a.step == SubmitStep::unsent);
    BOOST_TEST(a.error.message == "could not reach the API: connection refused");
    BOOST_TEST(a.note.empty());
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
