// `evobatch run`: the main job. Loads and checks the manifest, finds the key, opens the ledger
// (locked), reads the balance, then runs the Scheduler on one io_context until the batch ends
// or a signal stops it.

#include "account.hpp"
#include "next_steps.hpp"
#include "commands.hpp"
#include "evobatch/cli/exit_code.hpp"
#include "ledger_state.hpp"
#include "report_diagnostics.hpp"
#include "run_ledger.hpp"
#include "settle.hpp"

#include "evobatch/api/api_client.hpp"
#include "evobatch/api/pricing.hpp"
#include "evobatch/jobs/credits.hpp"
#include "evobatch/download/downloader.hpp"
#include "evobatch/ledger/ledger_writer.hpp"
#include "evobatch/ledger/replay.hpp"
#include "evobatch/manifest/loader.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/net/tls_context.hpp"
#include "evobatch/plan/batch_plan.hpp"
#include "evobatch/probe/prober.hpp"
#include "evobatch/progress/progress_view.hpp"
#include "evobatch/jobs/resume.hpp"
#include "evobatch/sched/scheduler.hpp"
#include "evobatch/sim/simulator.hpp"
#include "evobatch/util/sha256.hpp"
#include "evobatch/util/terminal_text.hpp"
#include "evobatch/version.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <cstdlib>
#include <optional>
#include <random>
#include <unistd.h>

namespace evobatch::cli {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

constexpr char const* k_run_footer = R"(
Submits every job of the manifest within its limits, polls the tasks, and records each
step in the ledger before it happens. Run the same command again after a crash, Ctrl-C or
a lost network: it resumes from the ledger and never pays twice for a job. Completed jobs
are skipped; known tasks are polled, never resubmitted; a create whose answer was lost is
sent again under the same idempotency key while younger than api.idempotency_window; after
that, before sending anything, the run looks it up in the account's task list (GET
/v1/tasks, at most --max-list-pages pages): it adopts the task the create made, or sends a
new attempt under a new key when it made none; where the list cannot tell (another client's
tasks in the same seconds, no probed clip length to tell its tasks apart, no list at all)
the job stays uncertain, `status` lists its candidate tasks, and --adopt JOB=TASK records a
person's choice (--resubmit-uncertain sends it again under its key instead); failed jobs get a
new attempt while max_attempts allows (--retry-failed: all whose error a new attempt can
fix; =ID,... names jobs). A job whose manifest entry changed is a new request: sent when
its earlier request was never paid for, else held until --rerun-changed (the new result
is saved as <id>@v2.<ext>, beside the paid one). limits.max_credits covers every credit the
ledger's tasks were charged or hold, earlier runs and changed jobs included. The summary
ends with Next: lines, each a command that works pasted as printed.
Before each create, the job's source video and images are probed (ranges only, never the
key; limits.max_probes at once, ahead of submission): a job whose media the API would refuse
(unreachable, not an MP4/MOV, no video track, over 100 MB, an image not JPEG/PNG/WebP) ends
rejected, unsent and unpaid; a usable one reserves its exact cost against the ceiling. The
ledger keeps each probe, and a later run reuses it while the host says the file is unchanged.
--no-probe (or preflight.probe: false) sends every job unprobed, at the most a task costs.
With --simulate, https://simulator.invalid/media/<file> names the simulator's own media.
The key comes from the environment variable named by api.key_env (EVOLINK_API_KEY).
Ctrl-C stops submitting and saves what is pending (exit 3); a second Ctrl-C exits at once.
SIGTERM, SIGHUP (the terminal closed) and a closed output (`run --json | head`) stop it alike.

Exit codes: 0 all completed, 1 some failed, uncertain, rejected or held (changed), 2 bad input, 3
interrupted or unfinished (see the Next: line), 4 stopped by the API (key, credits).

Examples:
  evobatch run --simulate jobs/demo.yaml          # against the built-in simulator, no key
  EVOLINK_API_KEY=... evobatch run jobs/night.yaml
  evobatch run jobs/night.yaml --rps 2 --max-credits 300 --json > events.jsonl)";

// Messages while the run stops: stderr may be a closed pipe or a hung-up terminal by then,
// and fmt::print would throw from a signal handler.
void say(std::string_view text) noexcept {
    std::fwrite(text.data(), 1, text.size(), stderr);
}

std::string_view signal_cause(int number) noexcept {
    switch (number) {
    case SIGINT: return "Ctrl-C";
    case SIGHUP: return "SIGHUP: the terminal was closed";
    default: return "SIGTERM";
    }
}

struct Setup {
    manifest::Manifest manifest;
    sched::RunLimits limits;
    std::string base_url;
    std::optional<fs::path> ca_file;
    std::string key;
};

std::string random_key() {
    std::random_device rd;
    return fmt::format("sim-{:016x}{:016x}", (std::uint64_t{rd()} << 32) | rd(), (std::uint64_t{rd()} << 32) | rd());
}

// run --simulate keeps the simulator's tasks beside the ledger, so that running the same command
// again resumes against a simulator that knows the tasks of the earlier runs.
fs::path sim_state_path(fs::path const& ledger) {
    return fs::path(ledger).concat(".sim.jsonl");
}

// Whether the simulator state the ledger needs is there: a ledger with jobs needs the one that
// knows their tasks, as a simulator without it would answer 404 for each. Checked before the
// simulator starts (and creates the file); the ledger is read here only when the state is
// missing. Problems are printed.
bool sim_state_ready(fs::path const& ledger) {
    fs::path const state = sim_state_path(ledger);
    if (fs::exists(state)) {
        return true;
    }
    auto const replay = read_ledger(ledger);
    if (replay && !replay->jobs.empty()) {
        fmt::print(stderr,
                   "evobatch: error: {} holds jobs of an earlier run, but the simulator state that knew their "
                   "tasks, {}, is missing; remove that ledger or name a new one with --ledger\n",
                   ledger.string(), state.string());
    }
    return replay && replay->jobs.empty();
}

// Manifest values with the command line's overrides; problems are printed, nothing is returned.
std::optional<Setup> prepare(RunOptions const& o) {
    manifest::LoadResult loaded = manifest::load_manifest(o.batch.manifest);
    if (!loaded.ok()) {
        print_diagnostics(loaded.diagnostics, 100);
        fmt::print(stderr, "{}: the manifest has errors; nothing was sent\n", o.batch.manifest);
        return std::nullopt;
    }
    print_diagnostics(loaded.diagnostics, 100); // warnings
    Setup s{std::move(*loaded.manifest), {}, {}, {}, {}};
    apply_overrides(s.manifest, o.batch);
    auto const& limits = s.manifest.limits;
    s.limits.requests_per_second = limits.requests_per_second;
    s.limits.burst = static_cast<double>(limits.burst);
    s.limits.max_in_flight = limits.max_in_flight;
    s.limits.max_credits = limits.max_credits;
    s.limits.max_attempts = static_cast<int>(limits.max_attempts);
    s.limits.idempotency_window = s.manifest.api.idempotency_window;
    s.base_url = s.manifest.api.base_url;
    s.ca_file = s.manifest.api.ca_file;
    if (o.simulate) {
        s.key = random_key();
        return s;
    }
    auto key = read_api_key(s.manifest.api, "try the batch with --simulate");
    if (!key) {
        return std::nullopt;
    }
    s.key = std::move(*key);
    return s;
}

// Of the manifest's bytes: resume (and people) can tell whether the manifest changed since.
std::string manifest_digest(fs::path const& path) {
    std::ifstream in(path, std::ios::binary);
    std::string const text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return util::sha256_hex(text);
}

// `run --simulate`: the built-in simulator in this process, keeping its tasks beside the ledger
// so that a resumed run finds them. False (said why) when that state file cannot be used.
bool start_simulator(RunOptions const& options, Setup& setup, fs::path const& ledger_path,
                     std::optional<sim::Simulator>& simulator) {
    if (!sim_state_ready(ledger_path)) {
        return false;
    }
    sim::SimOptions sim_options;
    sim_options.key = setup.key;
    sim_options.time_scale = options.time_scale;
    sim_options.state_file = sim_state_path(ledger_path);
    simulator.emplace(sim_options);
    simulator->start();
    setup.base_url = simulator->base_url();
    setup.ca_file = simulator->ca_file();
    // The simulator's clock runs time_scale times real time: poll as a real batch would, but at
    // most 10 times faster, or batch reads would thin out to a few tasks each.
    setup.limits.poll_interval_scale = std::clamp(options.time_scale, 0.1, 1.0);
    return true;
}

// Ctrl-C, SIGTERM, a closed terminal (SIGHUP) and a closed output all stop the run the same way:
// no new submissions, the answers in flight recorded, exit 3, resumable. Only a second signal
// quits at once: a closed output after Ctrl-C (`run --json | head` gets both) is no request to
// hurry.
class StopOnSignals {
public:
    StopOnSignals(asio::io_context& io, sched::Scheduler& scheduler, progress::ProgressView& view)
        : m_io(io), m_signals(io, SIGINT, SIGTERM, SIGHUP), m_scheduler(scheduler) {
        wait();
        view.on_write_failure([this](int error) {
            // Posted: the view fails inside the scheduler's own calls, which must not be stopped
            // halfway.
            asio::post(m_io, [this, error] {
                stop(fmt::format("its output cannot be written: {}", std::strerror(error)));
            });
        });
    }
    StopOnSignals(StopOnSignals const&) = delete;
    StopOnSignals& operator=(StopOnSignals const&) = delete;

    void cancel() { m_signals.cancel(); }

private:
    void wait() {
        m_signals.async_wait([this](boost::system::error_code error, int number) {
            if (error) {
                return;
            }
            if (m_stopping) {
                // The write-ahead ledger already holds every key that may have been sent.
                say("\nevobatch: stopped at once; run the same command again to resume\n");
                std::_Exit(exit_interrupted);
            }
            stop(std::string(signal_cause(number)));
            wait();
        });
    }

    void stop(std::string const& cause) {
        if (m_stopping) {
            return;
        }
        m_stopping = true;
        say(fmt::format("\nevobatch: stopping ({}): no new submissions, saving what is pending (Ctrl-C again to "
                        "quit at once)\n",
                        cause));
        m_scheduler.stop("interrupted (" + cause + ")");
    }

    asio::io_context& m_io;
    asio::signal_set m_signals;
    sched::Scheduler& m_scheduler;
    bool m_stopping = false;
};

net::ClientOptions client_options_of(Setup const& setup) {
    net::ClientOptions o;
    o.max_connections_per_host = setup.manifest.limits.max_connections;
    o.request_timeout = setup.manifest.api.request_timeout;
    o.user_agent = fmt::format("evobatch/{}", k_version);
    return o;
}

// Probes go to the media hosts: their own client (no key, no rate-limit tokens), as many
// connections to a host as probes at once.
probe::ProberOptions prober_options_of(Setup const& setup) {
    probe::ProberOptions o;
    o.max_connections_per_host = setup.manifest.limits.max_probes;
    return o;
}

// Where `run --simulate` fetches a source from: the simulator's own media for the name
// manifests give it (sim::k_media_alias); nowhere for the rest of the world, which a simulated
// run does not reach (those jobs go unprobed, as the simulator bills them by a made-up length).
std::function<std::string(std::string const&)> simulated_locate(std::string sim_base_url) {
    return [base = std::move(sim_base_url)](std::string const& url) -> std::string {
        std::string_view const alias = sim::k_media_alias;
        if (url.starts_with(alias) && url.size() > alias.size() && url[alias.size()] == '/') {
            return base + url.substr(alias.size());
        }
        return {};
    };
}

// Result files come from the media host: their own client, connections and limit, no key.
download::DownloadOptions download_options_of(Setup const& setup) {
    download::DownloadOptions o;
    o.user_agent = client_options_of(setup).user_agent;
    o.concurrency = setup.manifest.limits.max_downloads;
    return o;
}

std::FILE* output_of(RunOptions const& options) { return options.json ? stdout : stderr; }

bool color_for(std::FILE* out) {
    bool const wanted = std::getenv("NO_COLOR") == nullptr || *std::getenv("NO_COLOR") == '\0';
    return wanted && isatty(fileno(out)) != 0;
}

// One run's parts, wired: the API client, the view, the scheduler (the manifest's jobs, then the
// ledger's jobs the manifest no longer has whose paid tasks or files it still finishes), the
// downloader and the signals. run() reads the balance, records the batch and runs it to the end.
class Session {
public:
    Session(asio::io_context& io, asio::thread_pool& pool, net::TlsContext& tls, ledger::LedgerWriter& ledger,
            Setup& setup, Resume const& resume, RunOptions const& options)
        : view(progress::ProgressView::choose(options.json, options.quiet, output_of(options)), output_of(options),
               color_for(output_of(options))),
          m_io(io), m_pool(pool), m_ledger(ledger), m_setup(setup), m_options(options),
          m_http(io.get_executor(), tls, client_options_of(setup)),
          m_api(m_http, setup.base_url, api::Secret(setup.key)), m_run_jobs(setup.manifest.jobs),
          m_batch_plan(plan::plan_batch(setup.manifest, ledger_counts(resume.plan),
                                        remembered_costs(setup.manifest, resume.plan, resume.replay))),
          m_downloader(io.get_executor(), tls, pool, download_options_of(setup)) {
        if (setup.manifest.preflight.probe) {
            m_prober.emplace(io.get_executor(), tls, prober_options_of(setup));
        }
        setup.key.assign(setup.key.size(), '\0'); // the Secret holds the only copy now
        setup.limits.credits_carried = resume.plan.credits_carried;
        std::vector<jobs::JobStart> starts = resume.plan.starts;
        for (jobs::JobStart const& start : resume.plan.removed) {
            m_run_jobs.emplace_back().id = start.history->job; // never sent: it only needs an id
            starts.push_back(start);
        }
        m_scheduler.emplace(io.get_executor(), m_api, ledger, view, m_run_jobs, setup.limits, std::move(starts));
        if (setup.manifest.output.download) {
            m_scheduler->download_to(m_downloader, setup.manifest.output.dir);
        }
        if (m_prober) {
            m_scheduler->probe_with(*m_prober, setup.manifest.limits.max_probes, &resume.replay,
                                    options.simulate ? simulated_locate(setup.base_url) : nullptr);
        }
        m_signals.emplace(io, *m_scheduler, view);
    }

    // Runs everything to the end. An exit code when the run stopped before its batch started
    // (the balance, the key, an internal error), else 0 and `outcome` says how it went.
    int run() {
        int early_exit = 0;
        asio::co_spawn(m_io, balance_then_batch(early_exit), [&early_exit](std::exception_ptr error) {
            if (!error) {
                return;
            }
            try {
                std::rethrow_exception(error);
            } catch (std::exception const& e) {
                say(fmt::format("evobatch: internal error: {}\n", e.what()));
            }
            early_exit = exit_interrupted;
        });
        m_io.run();
        m_pool.join();
        return early_exit;
    }

    progress::ProgressView view;
    std::optional<progress::Summary> outcome;

private:
    asio::awaitable<void> balance_then_batch(int& early_exit) {
        early_exit = co_await check_balance();
        if (early_exit == 0) {
            ledger::Event batch;
            batch.type = ledger::EventType::batch;
            batch.t_ms = ledger::now_ms();
            batch.manifest = m_setup.manifest.path.string();
            batch.digest = manifest_digest(m_setup.manifest.path);
            co_await m_ledger.append_durable(std::move(batch));
            outcome = co_await m_scheduler->run();
        }
        co_await m_ledger.close();
        m_signals->cancel();
    }

    // Against the balance: what this run can add, not the ceiling: earlier runs' tasks are paid
    // for already, and a small batch cannot reach a large ceiling. An exit code to stop with, or 0.
    asio::awaitable<int> check_balance() {
        auto balance = co_await m_scheduler->read_balance();
        if (balance.ok()) {
            auto const& credits = *balance.value;
            fmt::print(stderr, "{}\n", balance_line(credits, m_batch_plan));
            if (above_balance(credits, m_batch_plan) && !m_options.allow_overdraft) {
                fmt::print(stderr,
                           "evobatch: error: what this run may reserve ({} credits) is above the balance ({:.0f}); "
                           "lower limits.max_credits, top up, or pass --allow-overdraft\n",
                           m_batch_plan.credits_at_most, credits.remaining);
                co_return exit_bad_input;
            }
        } else if (key_refused(balance)) {
            fmt::print(stderr, "evobatch: error: the API refused the key: {}\n", util::clean_text(balance.detail));
            co_return exit_api_stopped;
        } else {
            fmt::print(stderr, "evobatch: warning: could not read the balance ({}); going on\n",
                       util::clean_text(balance.detail));
        }
        co_return 0;
    }

    asio::io_context& m_io;
    asio::thread_pool& m_pool;
    ledger::LedgerWriter& m_ledger;
    Setup& m_setup;
    RunOptions const& m_options;
    net::HttpsClient m_http;
    api::ApiClient m_api;
    std::vector<manifest::Job> m_run_jobs;
    plan::BatchPlan const m_batch_plan;
    download::Downloader m_downloader;
    std::optional<probe::Prober> m_prober; // preflight.probe (--no-probe turns it off)
    std::optional<sched::Scheduler> m_scheduler;
    std::optional<StopOnSignals> m_signals;
};

// Settles the uncertain jobs (settle.hpp) on `io` before the run's own parts exist: an exit
// code to stop with, else 0.
int settle_before_run(asio::io_context& io, net::TlsContext& tls, ledger::LedgerWriter& ledger, Setup const& setup,
                      RunOptions const& options) {
    auto const replay = read_ledger(ledger.path());
    if (!replay) {
        return exit_bad_input;
    }
    if (replay->jobs.empty() && options.adopt.empty()) {
        return 0; // a first run: nothing can be uncertain yet
    }
    auto const resume = resume_options_for(setup.manifest, options.batch);
    if (!resume) {
        return exit_bad_input;
    }
    net::HttpsClient http(io.get_executor(), tls, client_options_of(setup));
    api::ApiClient api(http, setup.base_url, api::Secret(setup.key));
    SettleOptions settle;
    settle.max_list_pages = options.max_list_pages;
    settle.adopt = options.adopt;
    std::optional<Settled> settled;
    asio::co_spawn(io, settle_uncertain(api, ledger, setup.manifest, *replay, *resume, settle),
                   [&settled](std::exception_ptr error, Settled result) {
                       if (error) {
                           std::rethrow_exception(error); // a bug: io.run() passes it on
                       }
                       settled = result;
                   });
    io.run();
    io.restart();
    if (settled->key_refused) {
        fmt::print(stderr, "evobatch: error: the API refused the key; nothing was sent\n");
        return exit_api_stopped;
    }
    return settled->bad_input ? exit_bad_input : 0;
}

} // namespace

CLI::App* add_run_command(CLI::App& app, RunOptions& o) {
    auto* cmd = app.add_subcommand("run", "Run the batch: submit, track and record every job in the ledger");
    add_batch_options(*cmd, o.batch);
    cmd->add_flag("--simulate", o.simulate, "Run against the built-in simulator in this process (no key, no network)");
    cmd->add_option("--time-scale", o.time_scale, "With --simulate: real seconds per simulated second")
        ->capture_default_str();
    cmd->add_flag("--allow-overdraft", o.allow_overdraft,
                  "Start even when what the run may reserve is above the balance");
    cmd->add_option("--adopt", o.adopt,
                    "JOB=TASK: the uncertain job's create made that task (a person's decision, from the candidates "
                    "`evobatch status` lists): checked against the task (its model, clip length and time must fit the "
                    "job's create), recorded, then polled and downloaded like any task; repeatable")
        ->delimiter(',');
    cmd->add_option("--max-list-pages", o.max_list_pages,
                    "Pages of the account's task list read at most to settle uncertain jobs (100 tasks a page)")
        ->capture_default_str()
        ->check(CLI::Range(1, 10'000));
    cmd->add_flag("--json", o.json, "One JSON event per line on stdout, for machines");
    cmd->add_flag("--quiet", o.quiet, "Print only failures and the summary");
    cmd->footer(k_run_footer);
    return cmd;
}

int run_run(RunOptions const& options) {
    // A reader that goes away (`run --json | head -1`) must not kill the run before the ledger
    // is flushed: writes fail with EPIPE instead, and the view reports it (see StopOnSignals).
    std::signal(SIGPIPE, SIG_IGN);
    auto setup = prepare(options);
    if (!setup) {
        return exit_bad_input;
    }
    fs::path const ledger_path = setup->manifest.output.ledger;
    std::optional<sim::Simulator> simulator;
    if (options.simulate && !start_simulator(options, *setup, ledger_path, simulator)) {
        return exit_bad_input;
    }
    asio::io_context io;
    asio::thread_pool pool(2);
    std::unique_ptr<net::TlsContext> tls;
    std::unique_ptr<ledger::LedgerWriter> ledger;
    try {
        tls = std::make_unique<net::TlsContext>(setup->ca_file, !options.simulate);
        ledger = std::make_unique<ledger::LedgerWriter>(ledger_path, io.get_executor(), pool);
    } catch (std::exception const& e) {
        fmt::print(stderr, "evobatch: error: {}\n", e.what());
        return exit_bad_input;
    }
    // Jobs whose create may have made a task nobody recorded are settled first, from the
    // account's task list (and the --adopt decisions), so that the plan below sees them settled.
    if (int const stopped = settle_before_run(io, *tls, *ledger, *setup, options); stopped != 0) {
        return stopped;
    }
    // Under the writer's lock (which also repaired a torn tail), read what earlier runs did.
    auto resume = read_resume(*ledger, setup->manifest, options);
    if (!resume) {
        return exit_bad_input;
    }
    Session session(io, pool, *tls, *ledger, *setup, *resume, options);
    auto const started = std::chrono::steady_clock::now();
    int const early_exit = session.run();
    if (simulator) {
        simulator->stop();
    }
    if (!session.outcome) {
        return early_exit != 0 ? early_exit : exit_interrupted;
    }
    auto const wall = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started);
    auto const rescued = ledger->rescued();
    Ending ending = ending_of(*session.outcome, setup->manifest, resume->options, wall, rescued.value_or(ledger_path));
    if (rescued) {
        ending.end.ledger_rescued = {rescued->string(), ledger_path.string()};
    }
    ending.summary.next = next_steps(ending.end, options.command_line, options.batch.manifest, options.batch.ledger);
    session.view.finish(ending.summary);
    return ending.summary.exit_code;
}

} // namespace evobatch::cli
