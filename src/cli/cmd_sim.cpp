// `evobatch sim`: the built-in Evolink simulator as a process of its own, for the demo, the
// black-box tests and the benchmarks. Everything it does is in src/sim; this file maps flags
// to SimOptions, prints the listening line and waits for a signal.

#include "commands.hpp"
#include "evobatch/cli/exit_code.hpp"

#include "evobatch/sim/simulator.hpp"
#include "evobatch/util/core_dumps.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace evobatch::cli {

namespace {

constexpr char const* k_sim_footer = R"(
A local HTTPS server that behaves like the part of the Evolink task API that evobatch uses
(the endpoints are listed in ARCHITECTURE.md, src/sim): tasks progress on a scaled clock,
results are served with Range support, and limits and faults are injected on demand. It
also serves source media, the files of tests/media, at /media/NAME (no key), lying when the URL
asks: ?lie=oversize, ignore_range, missing, gone, error, flaky, stall or redirect; a task whose
video_urls[0] is one of them is billed by that file's duration, or fails, unbilled. With
--state it keeps its tasks in FILE and reloads them at the next start (on the same port if
--port is 0 and it is free). It makes its own CA; the first line on stdout is exactly
  listening https://127.0.0.1:PORT ca=PATH
so a client points at that URL and trusts PATH. It runs until SIGINT (Ctrl-C) or SIGTERM,
then stops cleanly with exit code 0. It never prints or logs a key; its 401 answers echo the
key presented, as careless servers do, so that clients' redaction gets tested.

Examples:
  evobatch sim --time-scale 0.01
  evobatch sim --port 8443 --key-env SIM_KEY --rps 5 --credits 200 --cert-dir /tmp/sim-ca
  evobatch sim --fail-ratio 0.1 --error-ratio 0.05 --cut-after-create-ratio 0.02 --log tasks.jsonl
  evobatch sim --state sim-state.jsonl --cert-dir /tmp/sim-ca    # stop and start it again: same tasks
  evobatch sim --garbage-ratio 0.02 --garbage-kinds truncated,stalled
  evobatch sim --cut-file-ratio 0.5 --file-digests --file-lies changes,keeps-etag)";

// Says what is on without the key itself.
void print_settings(sim::SimOptions const& o) {
    std::string limits = o.rps > 0 ? fmt::format("{} requests/s", o.rps) : std::string("no rate limit");
    if (o.max_concurrent_tasks > 0) {
        limits += fmt::format(", {} tasks at once", o.max_concurrent_tasks);
    }
    fmt::print(stderr, "evobatch sim: key {}; {}; credits {}; time scale {}\n",
               o.key ? "required" : "not checked", limits,
               o.credits ? fmt::format("{}", *o.credits) : std::string("unlimited"), o.time_scale);
    if (o.fail_ratio > 0 || o.error_ratio > 0 || o.cut_after_create_ratio > 0 || o.latency.count() > 0 ||
        o.garbage_ratio > 0) {
        fmt::print(stderr,
                   "evobatch sim: faults: {} failed tasks, {} server errors, {} cut creates, {} ms latency, {} "
                   "malformed answers\n",
                   o.fail_ratio, o.error_ratio, o.cut_after_create_ratio, o.latency.count(), o.garbage_ratio);
    }
    if (o.task_ids != sim::TaskIds::plain) {
        fmt::print(stderr, "evobatch sim: task ids: {}\n", sim::to_string(o.task_ids));
    }
    if (!o.file_lies.empty()) {
        std::string names;
        for (auto const lie : o.file_lies) {
            names += (names.empty() ? "" : ", ") + std::string(sim::to_string(lie));
        }
        fmt::print(stderr, "evobatch sim: result files lie: {}\n", names);
    }
}

// A comma-separated list of names (`--flag a,b`) read into `values` by `parse`, which refuses
// an unknown one.
template <class Value, class Parse>
void add_names_option(CLI::App* cmd, std::string const& flag, std::string const& noun, std::vector<Value>& values,
                      Parse parse, std::string const& description) {
    cmd->add_option_function<std::vector<std::string>>(
           flag,
           [&values, parse, flag, noun](std::vector<std::string> const& names) {
               values.clear();
               for (auto const& name : names) {
                   auto const value = parse(name);
                   if (!value) {
                       throw CLI::ValidationError(flag, "unknown " + noun + " " + name);
                   }
                   values.push_back(*value);
               }
           },
           description)
        ->delimiter(',');
}

} // namespace

CLI::App* add_sim_command(CLI::App& app, sim::SimOptions& o) {
    auto* cmd =
        app.add_subcommand("sim", "Run the built-in Evolink simulator (HTTPS on loopback) until Ctrl-C");
    cmd->add_option("--host", o.host, "IP address to listen on (127.0.0.1 or ::1)")->capture_default_str();
    cmd->add_option("--port", o.port, "Port to listen on (0: any free port)")->capture_default_str();
    cmd->add_option_function<std::string>(
        "--key",
        [&o](std::string const& key) {
            util::disable_core_dumps();
            o.key = key;
        },
        "Require this API key as a bearer token (prefer --key-env: a command line is visible to others)");
    cmd->add_option_function<std::string>(
        "--key-env",
        [&o](std::string const& name) {
            util::disable_core_dumps(); // the simulator holds a key too
            char const* value = std::getenv(name.c_str());
            if (value == nullptr || *value == '\0') {
                throw CLI::ValidationError("--key-env", "environment variable " + name + " is not set");
            }
            o.key = value;
        },
        "Require the API key held in this environment variable");
    cmd->add_option("--time-scale", o.time_scale,
                    "Real seconds per simulated second (0.01: a 300 s task takes 3 s)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--rps", o.rps, "Rate limit over all /v1 requests, per second (0: none)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--burst", o.burst, "Rate limit burst (0: the rate, rounded up)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--max-concurrent-tasks", o.max_concurrent_tasks,
                    "Unfinished tasks allowed at once (0: any)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option_function<double>(
           "--credits", [&o](double credits) { o.credits = credits; },
           "Starting balance (default: unlimited)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--fail-ratio", o.fail_ratio, "Share of tasks that fail (refunded)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--error-ratio", o.error_ratio, "Share of /v1 requests answered 500/502/503")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--cut-after-create-ratio", o.cut_after_create_ratio,
                    "Share of creates whose task is made but whose connection is cut before the answer")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option_function<std::int64_t>(
           "--latency-ms", [&o](std::int64_t ms) { o.latency = std::chrono::milliseconds{ms}; },
           "Delay before every /v1 answer, in milliseconds")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--file-bytes", o.file_bytes, "Size of each result file")->capture_default_str();
    cmd->add_option("--cut-file-ratio", o.cut_file_ratio,
                    "Share of whole-file downloads cut off halfway (clients should resume with Range)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--garbage-ratio", o.garbage_ratio,
                    "Share of successful API answers replaced, after their effect, by a malformed one")
        ->check(CLI::Range(0.0, 1.0));
    add_names_option(cmd, "--garbage-kinds", "kind", o.garbage_kinds, sim::parse_garbage,
                     "Malformed answers to draw from (default all): truncated, wrong-types, missing-fields, huge, "
                     "stalled, short-body");
    cmd->add_flag_callback(
        "--file-digests", [&o] { o.file_digests = true; },
        "Send Repr-Digest and x-amz-meta-sha256 (and Content-Digest on whole answers) with result files");
    add_names_option(cmd, "--file-lies", "lie", o.file_lies, sim::parse_file_lie,
                     "Lies to tell about result files (default none): no-validator (no ETag or Last-Modified), "
                     "changes (the first answer is cut off, then the file changes), keeps-etag (a changed file "
                     "keeps its ETag), ignores-if-range, html (200 text/html), flipped-bit (with digests of the "
                     "true bytes), not-a-video");
    cmd->add_option_function<double>(
        "--media-stall",
        [&o](double seconds) { o.media_stall = std::chrono::milliseconds(std::llround(seconds * 1000)); },
        "Seconds a source medium with ?lie=stall stays silent after its head before the connection "
        "closes (default 30)")
        ->check(CLI::Range(0.0, 3600.0));
    cmd->add_flag_callback(
        "--no-idempotency", [&o] { o.idempotency = false; },
        "Ignore Idempotency-Key, like a server that forgot it");
    cmd->add_flag_callback(
        "--no-batch-read", [&o] { o.batch_read = false; },
        "Answer 404 to POST /v1/tasks/batch, like a server without it");
    cmd->add_flag_callback(
        "--no-task-list", [&o] { o.list_tasks = false; },
        "Answer 404 to GET /v1/tasks (the account's task list), like a server without it");
    cmd->add_option("--foreign-task-ratio", o.foreign_task_ratio,
                    "Share of creates joined, in the same second, by a task of another client of the same "
                    "account (listed by GET /v1/tasks, billed elsewhere)")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option_function<int>(
           "--clock-skew", [&o](int seconds) { o.clock_skew = std::chrono::seconds(seconds); },
           "Seconds the server's clock is ahead of this machine's (negative: behind): its Date headers and "
           "the task list's created_at")
        ->check(CLI::Range(-86'400, 86'400));
    cmd->add_option_function<std::string>(
        "--task-ids",
        [&o](std::string const& name) {
            auto const ids = sim::parse_task_ids(name);
            if (!ids) {
                throw CLI::ValidationError("--task-ids", "unknown kind " + name + " (plain, odd, unusable)");
            }
            o.task_ids = *ids;
        },
        "Task ids handed out: plain (default), odd (with characters a URL path must percent-encode) or "
        "unusable (with an escape sequence, which clients must refuse)");
    cmd->add_option("--seed", o.seed, "Seed of every random choice")->capture_default_str();
    cmd->add_option_function<std::string>(
        "--log", [&o](std::string const& path) { o.log_file = path; },
        "Append one JSON line per created task to FILE (flushed at once)");
    cmd->add_option_function<std::string>(
        "--state", [&o](std::string const& path) { o.state_file = path; },
        "Keep the tasks in FILE (JSON Lines, no key) and reload them at start: a restarted simulator "
        "knows them, and they have gone on running meanwhile");
    cmd->add_option_function<std::string>(
        "--cert-dir", [&o](std::string const& dir) { o.cert_dir = dir; },
        "Keep the CA in DIR (ca.pem, ca-key.pem; reused when present) instead of a temporary directory");
    cmd->footer(k_sim_footer);
    return cmd;
}

int run_sim(sim::SimOptions const& options) {
    // The signal handlers are in place before the server starts, so an early Ctrl-C is not lost.
    boost::asio::io_context ioc(1);
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    int received = 0;
    signals.async_wait([&received](boost::system::error_code const& ec, int signal_number) {
        if (!ec) {
            received = signal_number;
        }
    });

    sim::Simulator simulator(options);
    simulator.start(); // std::runtime_error -> exit 2 with its message, from main
    fmt::print("listening {} ca={}\n", simulator.base_url(), simulator.ca_file().string());
    std::fflush(stdout);
    print_settings(options);
    if (options.state_file) {
        fmt::print(stderr, "evobatch sim: state {}: {} tasks reloaded\n", options.state_file->string(),
                   simulator.stats().tasks_reloaded);
    }

    ioc.run(); // sleeps in the kernel until a signal arrives
    fmt::print(stderr, "evobatch sim: {}; stopping\n", received != 0 ? strsignal(received) : "no signal");
    simulator.stop();
    sim::SimStats const s = simulator.stats();
    fmt::print(stderr,
               "evobatch sim: {} connections, {} API requests, {} tasks created ({} replays), {} 429s, {} 5xx, "
               "{} connections cut after a create, {} tasks failed, {} downloads cut, {} malformed answers, {} file "
               "requests with a key, {} file ranges ({} with If-Range), {} file lies told\n",
               s.connections_accepted, s.api_requests, s.tasks_created, s.replays, s.count(429), s.count_5xx(),
               s.cut_connections, s.tasks_failed, s.cut_downloads, s.garbage_answers, s.file_requests_with_key,
               s.file_ranges, s.file_ranges_with_if_range, s.file_lies_told);
    if (s.media_requests > 0) {
        fmt::print(stderr,
                   "evobatch sim: {} source media requests ({} with Range, {} not modified, {} lies told, {} with a "
                   "key), {} bytes\n",
                   s.media_requests, s.media_ranges, s.media_not_modified, s.media_lies_told,
                   s.media_requests_with_authorization, s.media_bytes_sent);
    }
    return exit_ok;
}

} // namespace evobatch::cli
