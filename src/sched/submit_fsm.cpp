#include "evobatch/sched/submit_fsm.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/api/task_id.hpp"
#include "evobatch/sched/backoff.hpp"
#include "evobatch/jobs/idempotency.hpp"
#include "evobatch/util/duration.hpp"

#include <fmt/format.h>

#include <stdexcept>
#include <utility>

namespace evobatch::sched {

namespace {

// The ledger's error for an API error answer: the server's code, else the HTTP status.
ledger::EventError event_error(api::ApiError const& error) {
    return {error.code.empty() ? std::to_string(error.http_status) : error.code, api::describe(error)};
}

ledger::EventError window_passed(std::chrono::seconds window) {
    return {
        "key_window_passed",
        fmt::format(
            "not sent again: the key's first use is older than api.idempotency_window ({}), so the server "
            "may have forgotten it; --resubmit-uncertain sends it anyway",
            util::format_duration(window))};
}

ledger::EventError unusable_task_id(std::string_view problem) {
    return {"invalid_task_id",
            fmt::format("the server answered the create with a task id that {}: the task may run and be billed, "
                        "but cannot be followed; not created again (the ledger keeps the id and the request id)",
                        problem)};
}

SubmitAction act(SubmitStep step) {
    SubmitAction a;
    a.step = step;
    return a;
}

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

} // namespace

CreateOutcome create_outcome(api::ApiResult<api::Task>&& result) {
    switch (result.delivery) {
    case net::Delivery::not_sent: return CreateNotSent{std::move(result.detail)};
    case net::Delivery::sent_no_answer: return CreateNoAnswer{std::move(result.detail)};
    case net::Delivery::answered: break;
    }
    CreateAnswered answer;
    answer.request_id = std::move(result.request_id);
    answer.replayed = result.replayed;
    if (result.value) {
        answer.body = std::move(*result.value);
    } else if (result.api_error) {
        answer.body = std::move(*result.api_error);
    } else {
        answer.body = CreateAnswered::Unreadable{std::move(result.detail)};
    }
    return answer;
}

SubmitFsm::SubmitFsm(Options options, Backoff& backoff)
    : m_options(std::move(options)), m_backoff(&backoff), m_trusted_until(m_options.key_trusted_until),
      m_may_have_task(m_options.may_have_task) {}

// A create that may have made a task is sent again under its key only while the server is
// trusted to remember the key (with a zero window: never). Checked when a send is about to
// leave: a resumed job can wait behind the in-flight cap, a resend behind the rate limiter.
bool SubmitFsm::key_forgotten(TimePoint now) const noexcept {
    return m_may_have_task && m_trusted_until && now >= *m_trusted_until;
}

SubmitAction SubmitFsm::resume(SubmitEvent event, TimePoint now, bool stopped) {
    auto const expect = [&](SubmitState state, char const* what) {
        if (m_state != state) {
            throw std::logic_error(std::string("SubmitFsm: ") + what + " does not answer the last action");
        }
    };
    return std::visit(Overloaded{
                          [&](SubmitStarted&) {
                              expect(SubmitState::start, "SubmitStarted");
                              return on_start(now, stopped);
                          },
                          [&](SubmittingWritten& written) {
                              expect(SubmitState::writing, "SubmittingWritten");
                              if (!written.durable) {
                                  SubmitAction a = act(SubmitStep::unsubmitted);
                                  a.budget = BudgetEffect::release; // nothing was sent
                                  return end(std::move(a));
                              }
                              m_state = SubmitState::sending; // the token submit_all took
                              return act(SubmitStep::send);
                          },
                          [&](TokenAcquired&) {
                              expect(SubmitState::awaiting_token, "TokenAcquired");
                              if (key_forgotten(now)) {
                                  return uncertain(window_passed(m_options.idempotency_window), {});
                              }
                              m_state = SubmitState::sending;
                              return act(SubmitStep::send);
                          },
                          [&](WokeUp&) {
                              expect(SubmitState::backing_off, "WokeUp");
                              return on_woke(stopped);
                          },
                          [&](CreateOutcome& outcome) {
                              expect(SubmitState::sending, "a create outcome");
                              return on_outcome(outcome, now, stopped);
                          },
                      },
                      event);
}

SubmitAction SubmitFsm::on_start(TimePoint now, bool stopped) {
    if (stopped) { // stopped while this job waited for its token: nothing was sent
        SubmitAction a = act(SubmitStep::unsubmitted);
        a.budget = BudgetEffect::release;
        return end(std::move(a));
    }
    if (key_forgotten(now)) {
        return uncertain(window_passed(m_options.idempotency_window), {});
    }
    if (m_options.new_key) {
        m_trusted_until.reset();
    }
    if (!m_trusted_until) { // a new key, or one sent again on request: remembered from now
        m_trusted_until = now + jobs::key_trust_span(m_options.idempotency_window);
    }
    m_state = SubmitState::writing;
    return act(SubmitStep::write_submitting);
}

SubmitAction SubmitFsm::on_outcome(CreateOutcome& outcome, TimePoint now, bool stopped) {
    return std::visit(
        Overloaded{
            [&](CreateNotSent& not_sent) {
                SubmitAction a;
                if (++m_not_sent >= m_options.max_unsent || stopped) {
                    std::string why = "could not reach the API: " + not_sent.detail;
                    a = leave_unsent_or_unsubmitted({"not_sent", why});
                    if (!stopped) {
                        a.note = std::move(why);
                    }
                } else {
                    a = sleep(BackoffCause::not_sent, now + m_backoff->next(m_not_sent));
                }
                a.breaker = BreakerSignal::failure;
                return a;
            },
            [&](CreateNoAnswer& no_answer) {
                return on_no_answer(std::move(no_answer.detail), BreakerSignal::failure, now);
            },
            [&](CreateAnswered& answer) {
                return std::visit(Overloaded{
                                      [&](api::Task& task) { return on_created(answer, task); },
                                      [&](api::ApiError& error) { return on_refused(error, now, stopped); },
                                      [&](CreateAnswered::Unreadable& unreadable) {
                                          // Answered, so the line is up, but the breaker hears nothing.
                                          return on_no_answer(std::move(unreadable.detail), BreakerSignal::none,
                                                              now);
                                      },
                                  },
                                  answer.body);
            },
        },
        outcome);
}

SubmitAction SubmitFsm::on_created(CreateAnswered& answer, api::Task& task) {
    SubmitAction a;
    if (auto const problem = api::task_id_problem(task.id)) {
        // A task was made, but no read can name it. It is kept in the ledger (the uncertain
        // event carries the id) with its worst case counted, and never created again under a
        // new key; a later run resends this key only inside its window, where the server
        // answers with this same task.
        a = uncertain(unusable_task_id(*problem), answer.request_id);
    } else {
        a.step = SubmitStep::running;
        a.budget = BudgetEffect::settle;
        a.request_id = answer.request_id;
        a.replayed = answer.replayed;
        a = end(std::move(a));
    }
    a.task = std::move(task);
    a.breaker = BreakerSignal::success;
    a.limiter = LimiterSignal::success;
    return a;
}

SubmitAction SubmitFsm::on_no_answer(std::string detail, BreakerSignal breaker, TimePoint now) {
    m_may_have_task = true;
    SubmitAction a;
    if (!m_resent_same_key && !key_forgotten(now)) {
        // One immediate retry with the same key: a server that keeps keys answers with the
        // task it made, if any.
        m_resent_same_key = true;
        a = next_send();
    } else {
        a = uncertain({"no_answer", std::move(detail)}, {});
    }
    a.breaker = breaker;
    return a;
}

SubmitAction SubmitFsm::on_refused(api::ApiError& error, TimePoint now, bool stopped) {
    SubmitAction a;
    switch (error.kind) {
    case api::ApiErrc::rate_limited: {
        auto const wait = error.retry_after ? std::chrono::duration_cast<Clock::duration>(*error.retry_after)
                                            : m_backoff->next(m_server_errors + 1);
        a = sleep(BackoffCause::rate_limited, now + wait);
        a.limiter = LimiterSignal::throttled;
        a.retry_after = error.retry_after;
        break;
    }
    case api::ApiErrc::server_error:
        // A 5xx (a gateway's 502 above all) may come after the task was made.
        m_may_have_task = true;
        if (key_forgotten(now)) {
            // ... and a server that forgot the key would make another: the job is uncertain.
            a = uncertain(event_error(error), error.request_id);
        } else if (++m_server_errors >= m_options.max_server_errors || stopped) {
            // Left for the next run, which re-sends the same key (no double charge).
            a = end(act(SubmitStep::unsubmitted));
            a.note = api::describe(error);
        } else {
            a = sleep(BackoffCause::server_error, now + m_backoff->next(m_server_errors));
        }
        a.breaker = BreakerSignal::failure;
        return a;
    case api::ApiErrc::unauthorized:
    case api::ApiErrc::forbidden:
    case api::ApiErrc::insufficient_credits: {
        // No task was made; the whole batch stops submitting (design.md), running tasks go on.
        a = leave_unsent_or_unsubmitted({event_error(error).code, api::describe(error)});
        a.step = SubmitStep::stop_batch;
        break;
    }
    default:
        a.step = SubmitStep::failed;
        a.budget = BudgetEffect::release;
        a.error = event_error(error);
        a.request_id = error.request_id;
        a.note = api::describe(error);
        a = end(std::move(a));
        break;
    }
    a.breaker = BreakerSignal::success; // the server answers: the line is up, whatever it said
    return a;
}

SubmitAction SubmitFsm::on_woke(bool stopped) {
    if (!stopped) {
        return next_send();
    }
    switch (m_cause) {
    case BackoffCause::not_sent:
        return leave_unsent_or_unsubmitted({"not_sent", "stopped before the API could be reached"});
    case BackoffCause::rate_limited:
        return leave_unsent_or_unsubmitted({"rate_limited", "stopped while waiting out a 429"});
    case BackoffCause::server_error: break;
    }
    return end(act(SubmitStep::unsubmitted)); // as after the 5xx cap: its worst case stays counted
}

SubmitAction SubmitFsm::next_send() {
    m_state = SubmitState::awaiting_token; // after the wait, the key must still be trusted
    return act(SubmitStep::acquire_token);
}

SubmitAction SubmitFsm::sleep(BackoffCause cause, TimePoint until) {
    m_state = SubmitState::backing_off;
    m_cause = cause;
    SubmitAction a = act(SubmitStep::sleep_until);
    a.until = until;
    return a;
}

SubmitAction SubmitFsm::end(SubmitAction action) {
    m_state = SubmitState::finished;
    return action;
}

// Answered without a task, or never sent. Only when no send under this key can have made a
// task (a resumed key that went out before, or an answer lost in this run), the job is
// `unsent`: the next run sends the same key again however late, instead of calling it
// uncertain. Otherwise its worst case stays counted, as the ledger still holds that create at risk.
SubmitAction SubmitFsm::leave_unsent_or_unsubmitted(ledger::EventError error) {
    SubmitAction a = act(m_may_have_task ? SubmitStep::unsubmitted : SubmitStep::unsent);
    a.budget = m_may_have_task ? BudgetEffect::keep : BudgetEffect::release;
    a.error = std::move(error);
    return end(std::move(a));
}

SubmitAction SubmitFsm::uncertain(ledger::EventError error, std::string request_id) {
    SubmitAction a = act(SubmitStep::uncertain);
    a.budget = BudgetEffect::keep; // it may exist and be billed
    a.error = std::move(error);
    a.request_id = std::move(request_id);
    return end(std::move(a));
}

} // namespace evobatch::sched
