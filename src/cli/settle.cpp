#include "settle.hpp"

#include "account.hpp"
#include "ledger_state.hpp"

#include "evobatch/cli/exit_code.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/api/pricing.hpp"
#include "evobatch/api/task_id.hpp"
#include "evobatch/jobs/reconcile.hpp"
#include "evobatch/jobs/reconcile_record.hpp"
#include "evobatch/jobs/request_of.hpp"
#include "evobatch/ledger/ledger_writer.hpp"
#include "evobatch/report/report_model.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/sched/list_read.hpp"
#include "evobatch/sched/rate_limiter.hpp"
#include "evobatch/util/terminal_text.hpp"
#include "evobatch/version.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <memory>
#include <set>
#include <unordered_map>

namespace evobatch::cli {

namespace asio = boost::asio;

namespace {

void say(std::string const& line) { fmt::print(stderr, "{}\n", line); }

// Every task id the ledger names, of any job and attempt: a task one of them holds is never
// another's to adopt.
std::set<std::string, std::less<>> named_tasks(ledger::Replay const& replay) {
    std::set<std::string, std::less<>> named;
    for (ledger::JobHistory const& h : replay.jobs) {
        if (!h.task.empty()) {
            named.insert(h.task);
        }
        for (ledger::Attempt const& a : h.earlier) {
            if (!a.task.empty()) {
                named.insert(a.task);
            }
        }
    }
    return named;
}

// Why `job` cannot adopt `task`, or "" when it can (the task's existence is asked of the API after).
std::string adoption_problem(manifest::Manifest const& m, ledger::Replay const& replay, std::string_view job,
                             std::string_view task) {
    if (std::none_of(m.jobs.begin(), m.jobs.end(), [&](manifest::Job const& j) { return j.id == job; })) {
        return "the manifest has no such job";
    }
    ledger::JobHistory const* h = replay.find(job);
    if (h == nullptr || (h->phase != ledger::JobPhase::submitting && h->phase != ledger::JobPhase::uncertain)) {
        return fmt::format("only a job whose create got no answer can adopt a task; this one is {}",
                           h == nullptr ? "new" : to_string(h->phase));
    }
    if (auto const problem = api::task_id_problem(task)) {
        return fmt::format("the task id {}", *problem);
    }
    if (named_tasks(replay).count(task) > 0) {
        return "the ledger already names that task for a job";
    }
    return {};
}

// The model of each job, for matching listed tasks: the manifest's only where the ledger's
// request is the manifest's (a changed job's earlier request may have named another: any fits).
std::unordered_map<std::string, std::string> models_of(manifest::Manifest const& m, ledger::Replay const& replay) {
    std::unordered_map<std::string, std::string> models;
    for (manifest::Job const& j : m.jobs) {
        ledger::JobHistory const* h = replay.find(j.id);
        bool const same = h == nullptr || h->req == jobs::request_digest(jobs::request_of(j));
        models.emplace(j.id, same ? j.model : std::string());
    }
    return models;
}

std::string decision_line(jobs::ReconcileDecision const& d) {
    std::string const span = fmt::format("created {}..{} s, {} page{} read", d.span.from, d.span.to, d.pages,
                                         d.pages == 1 ? "" : "s");
    switch (d.verdict) {
    case jobs::ReconcileVerdict::adopt:
        return fmt::format("settled {}: adopted {} ({}; {})", d.job, d.task, util::clean_text(d.why), span);
    case jobs::ReconcileVerdict::unsent:
        return fmt::format("settled {}: its create made no task ({}; {}); sent again as a new attempt", d.job,
                           util::clean_text(d.why), span);
    case jobs::ReconcileVerdict::ambiguous: {
        std::string ids;
        for (jobs::Candidate const& c : d.candidates) {
            ids += fmt::format("{}{} ({})", ids.empty() ? "" : ", ", c.id, report::candidate_detail(c));
        }
        return fmt::format("still uncertain {}: {} ({}); candidates: {}", d.job, util::clean_text(d.why), span,
                           ids.empty() ? "none" : ids);
    }
    case jobs::ReconcileVerdict::not_available:
    case jobs::ReconcileVerdict::unlisted: break;
    }
    return fmt::format("still uncertain {}: {}", d.job, util::clean_text(d.why));
}

// GET /v1/tasks/{id}, up to 3 times over a 5xx, a 429 or no answer (a GET is safe to repeat).
boost::asio::awaitable<api::ApiResult<api::Task>> read_task(api::ApiClient& api, std::string const& task) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int attempt = 1;; ++attempt) {
        auto read = co_await api.get_task(task);
        int const status = read.api_error ? read.api_error->http_status : 0;
        bool const again = !read.ok() && (status == 0 || status == 429 || status >= 500);
        if (!again || attempt == 3) {
            co_return read;
        }
        timer.expires_after(std::chrono::milliseconds(500) * attempt);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

// Why the task the API shows cannot be the one the job's create made (empty: it can), by the
// rules the list's matching uses: the job's model, probed length and span (its create's send
// times moved by this answer's clock skew). A job whose key is still trusted has no span to hold
// a task to: only its model and length are checked.
std::string task_mismatch(ledger::Replay const& replay, jobs::ResumeOptions const& resume,
                          jobs::ReconcileOptions rules, std::string const& job, api::Task const& task,
                          std::optional<std::chrono::milliseconds> skew) {
    rules.skew = skew.value_or(std::chrono::milliseconds{0});
    jobs::ReconcileScope const scope = jobs::reconcile_scope(replay, resume, rules);
    auto const c = std::find_if(scope.claimants.begin(), scope.claimants.end(),
                                [&](jobs::Claimant const& x) { return x.job == job && !x.earlier; });
    jobs::Claimant claimant;
    if (c != scope.claimants.end()) {
        claimant = *c;
    } else {
        claimant.job = job;
        claimant.span = {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
        auto const d = rules.durations.find(job);
        claimant.duration = d != rules.durations.end() ? std::optional(d->second) : std::nullopt;
        auto const model = rules.models.find(job);
        claimant.model = model != rules.models.end() ? model->second : std::string();
    }
    jobs::AdoptionCandidate const candidate{
        task.model, task.created,
        task.video_duration ? std::optional<double>(*task.video_duration) : std::nullopt};
    return jobs::adoption_mismatch(claimant, candidate, rules);
}

// --adopt JOB=TASK, each checked against the manifest, the ledger and the API before it is
// written: the task must be one the job's create could have made.
boost::asio::awaitable<void> adopt_asked(api::ApiClient& api, ledger::LedgerWriter& ledger,
                                         manifest::Manifest const& m, ledger::Replay const& replay,
                                         jobs::ResumeOptions const& resume, jobs::ReconcileOptions const& rules,
                                         std::vector<std::string> const& asked, Settled& out) {
    std::set<std::string, std::less<>> jobs_asked, tasks_asked; // one task per job, one job per task
    for (std::string const& pair : asked) {
        auto const eq = pair.find('=');
        std::string const job = pair.substr(0, eq);
        std::string const task = eq == std::string::npos ? std::string() : pair.substr(eq + 1);
        std::string problem = eq == std::string::npos || job.empty() || task.empty()
                                  ? std::string("it is not JOB=TASK")
                              : !jobs_asked.insert(job).second   ? std::string("that job is named twice")
                              : !tasks_asked.insert(task).second ? std::string("that task is named for two jobs")
                                                                 : adoption_problem(m, replay, job, task);
        std::optional<api::Task> found;
        if (problem.empty()) {
            auto read = co_await read_task(api, task);
            if (read.ok()) {
                problem = task_mismatch(replay, resume, rules, job, *read.value, read.clock_skew);
                if (!problem.empty()) {
                    problem += ": it is not this job's task";
                }
                found = std::move(read.value);
            } else {
                out.key_refused =
                    out.key_refused || (read.api_error && (read.api_error->http_status == 401 ||
                                                           read.api_error->http_status == 403));
                problem = read.api_error && read.api_error->http_status == 404
                              ? std::string("the account has no such task")
                              : fmt::format("the task could not be read: {}", util::clean_text(read.detail));
            }
        }
        if (!problem.empty()) {
            say(fmt::format("evobatch: error: --adopt {}: {}; nothing recorded for it", util::clean_text(pair),
                            problem));
            out.bad_input = true;
            continue;
        }
        if (auto const ec = co_await ledger.append_durable(
                jobs::asked_adoption_event(*replay.find(job), *found, ledger::now_ms()))) {
            say(fmt::format("evobatch: error: --adopt {}: the ledger could not record it ({})", util::clean_text(pair),
                            ec.message()));
            out.bad_input = true;
            co_return;
        }
        say(fmt::format("settled {}: adopted {} as asked (--adopt); it is polled like any task", job, task));
        ++out.asked;
    }
}

} // namespace

boost::asio::awaitable<Settled> settle_uncertain(api::ApiClient& api, ledger::LedgerWriter& ledger,
                                                 manifest::Manifest const& m, ledger::Replay const& before,
                                                 jobs::ResumeOptions const& resume, SettleOptions const& options) {
    Settled out;
    jobs::ReconcileOptions rules;
    if (!options.adopt.empty()) {
        rules.models = models_of(m, before);
        rules.durations = jobs::probed_durations(before, m.jobs);
        co_await adopt_asked(api, ledger, m, before, resume, rules, options.adopt, out);
        if (out.bad_input || out.key_refused) {
            co_return out;
        }
    }
    // The person's decisions first: the list's matching sees their tasks as named.
    std::optional<ledger::Replay> reread;
    if (out.asked > 0) {
        reread = read_ledger(ledger.path());
        if (!reread) {
            co_return out;
        }
    }
    ledger::Replay const& replay = reread ? *reread : before;

    rules.models = models_of(m, replay);
    rules.durations = jobs::probed_durations(replay, m.jobs);
    jobs::ReconcileScope const unskewed = jobs::reconcile_scope(replay, resume, rules);
    out.to_settle = unskewed.to_settle();
    if (out.to_settle == 0 || !unskewed.list_until) {
        co_return out;
    }
    say(fmt::format("settling {} uncertain job{} from the account's task list", out.to_settle,
                    out.to_settle == 1 ? "" : "s"));
    sched::ListReadOptions read;
    read.max_pages = options.max_list_pages;
    // No model filter: a task of another model in a span keeps its job from being called unsent
    // (the list may name a model otherwise than the manifest), so the rules must see them all.
    read.earliest_local_ms = *unskewed.list_until * 1000;
    sched::RateLimiter limiter(m.limits.requests_per_second, static_cast<double>(m.limits.burst));
    sched::ListReadResult const listed = co_await sched::read_task_list(api, limiter, read);
    out.list_requests = listed.requests;
    out.key_refused = listed.unauthorized; // another refusal ends the read, not the run
    if (!listed.listing.available) {
        say("evobatch: notice: this API offers no task list (GET /v1/tasks answered 404): the uncertain jobs stay "
            "uncertain");
    } else if (!listed.stopped.empty()) {
        say(fmt::format("evobatch: warning: the task list read ended early: {}", util::clean_text(listed.stopped)));
    }
    rules.skew = listed.skew.value_or(std::chrono::milliseconds{0});
    jobs::ReconcileScope const scope = jobs::reconcile_scope(replay, resume, rules);
    for (jobs::ReconcileDecision const& d : jobs::reconcile(scope, listed.listing, rules)) {
        ledger::JobHistory const* h = replay.find(d.job);
        auto event = h != nullptr ? jobs::reconcile_event(d, *h, listed.listing, ledger::now_ms()) : std::nullopt;
        if (!event) {
            ++out.undecided;
            continue;
        }
        if (!jobs::already_recorded(*event, *h)) {
            if (auto const ec = co_await ledger.append_durable(std::move(*event))) {
                say(fmt::format("evobatch: error: the ledger could not record {}'s settlement ({}); nothing more "
                                "is settled",
                                d.job, ec.message()));
                out.bad_input = true;
                co_return out;
            }
        }
        switch (d.verdict) {
        case jobs::ReconcileVerdict::adopt: ++out.adopted; break;
        case jobs::ReconcileVerdict::unsent: ++out.unsent; break;
        default: ++out.ambiguous; break;
        }
        say(decision_line(d));
    }
    say(fmt::format("settled {} of {} uncertain job{} ({} adopted, {} made no task, {} still uncertain) with {} "
                    "task list request{}",
                    out.adopted + out.unsent, out.to_settle, out.to_settle == 1 ? "" : "s", out.adopted, out.unsent,
                    out.ambiguous + out.undecided, out.list_requests, out.list_requests == 1 ? "" : "s"));
    co_return out;
}

int settle_standalone(manifest::Manifest const& m, std::filesystem::path const& ledger_path,
                      SettleOptions const& options) {
    if (std::filesystem::exists(std::filesystem::path(ledger_path).concat(".sim.jsonl"))) {
        fmt::print(stderr, "evobatch: error: {} is a simulated run's ledger (`run --simulate`): its tasks are that "
                           "simulator's, so no account's task list can settle them; run it again with --simulate\n",
                   ledger_path.string());
        return exit_bad_input;
    }
    auto key = read_api_key(m.api, "`status` without --reconcile reads the ledger alone");
    if (!key) {
        return exit_bad_input;
    }
    asio::io_context io;
    asio::thread_pool pool(1);
    std::unique_ptr<net::TlsContext> tls;
    std::unique_ptr<ledger::LedgerWriter> writer;
    try {
        tls = std::make_unique<net::TlsContext>(m.api.ca_file);
        writer = std::make_unique<ledger::LedgerWriter>(ledger_path, io.get_executor(), pool);
    } catch (std::exception const& e) {
        fmt::print(stderr, "evobatch: error: {}\n", e.what());
        return exit_bad_input;
    }
    auto const replay = read_ledger(ledger_path);
    if (!replay) {
        return exit_bad_input;
    }
    net::ClientOptions client;
    client.max_connections_per_host = 1;
    client.request_timeout = m.api.request_timeout;
    client.user_agent = fmt::format("evobatch/{}", k_version);
    net::HttpsClient http(io.get_executor(), *tls, client);
    api::ApiClient api(http, m.api.base_url, api::Secret(std::move(*key)));
    std::optional<Settled> settled;
    auto settle_then_close = [&]() -> asio::awaitable<void> {
        settled = co_await settle_uncertain(api, *writer, m, *replay, resume_options(m), options);
        co_await writer->close();
    };
    asio::co_spawn(io, settle_then_close(), [](std::exception_ptr error) {
        if (error) {
            std::rethrow_exception(error); // a bug: io.run() passes it on
        }
    });
    io.run();
    pool.join();
    if (settled->key_refused) {
        fmt::print(stderr, "evobatch: error: the API refused the key\n");
        return exit_api_stopped;
    }
    return settled->bad_input ? exit_bad_input : exit_ok;
}

} // namespace evobatch::cli
