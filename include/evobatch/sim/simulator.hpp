#pragma once
// The built-in Evolink simulator (design.md "Simulator"): an HTTPS server on loopback that
// behaves like the task API of api.md, with a scaled clock, limits and injected faults. Tests,
// the demo and the benchmarks run it in-process; `evobatch sim` runs it on its own.
//
// Thread safety: construct, start() and stop() from one thread. port(), base_url(), ca_file()
// and stats() may be called from any thread once start() has returned. The server itself runs
// on one thread of its own with its own io_context.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::sim {

// Malformed answers (SimOptions::garbage_ratio), after the request had its effect.
enum class Garbage : std::uint8_t {
    truncated,      // the JSON cut in the middle (Content-Length fits the cut body)
    wrong_types,    // well-formed JSON whose fields have the wrong types
    missing_fields, // well-formed JSON without id, status or data
    huge,           // 16 MiB of JSON whitespace before the real answer
    stalled,        // half the body, then nothing (until the client gives up or the simulator stops)
    short_body,     // a Content-Length larger than the body, then the connection closes
};
inline constexpr Garbage k_all_garbage[] = {Garbage::truncated, Garbage::wrong_types, Garbage::missing_fields,
                                            Garbage::huge,      Garbage::stalled,     Garbage::short_body};
std::string_view to_string(Garbage g) noexcept;
std::optional<Garbage> parse_garbage(std::string_view name) noexcept;

// What the task ids handed out look like (SimOptions::task_ids). All begin `task-unified-`, so
// they are read back as the API reads its own.
enum class TaskIds : std::uint8_t {
    plain,    // task-unified-<unix s>-<8 of [a-z0-9]>, as the API does
    odd,      // plain, then a tail a URL path must percent-encode: ' a b1', '/../x', '%2F', '?#', non-ASCII
    unusable, // plain, then an escape sequence: no client may put it in a URL or on a terminal as it is
};
std::string_view to_string(TaskIds ids) noexcept;
std::optional<TaskIds> parse_task_ids(std::string_view name) noexcept;

// Lies a media host can tell about result files (SimOptions::file_lies), to test what the
// downloader believes. Each is told on every file answer it applies to; none is on by default.
enum class FileLie : std::uint8_t {
    no_validator,     // no ETag and no Last-Modified: nothing a client may resume against
    changes,          // each file's first whole answer is cut off halfway, then the file changes
                      // (other bytes after the MP4 box, a new ETag and Last-Modified)
    keeps_etag,       // with `changes`: the changed file keeps its first ETag and Last-Modified
    ignores_if_range, // a Range request is answered 206 whatever its If-Range says
    html,             // 200 text/html with a 23-byte page instead of the file
    flipped_bit,      // one bit of the body flipped, sent with digest headers of the true bytes
    not_a_video,      // application/octet-stream bytes without the MP4 box at the start
};
inline constexpr FileLie k_all_file_lies[] = {FileLie::no_validator,     FileLie::changes, FileLie::keeps_etag,
                                              FileLie::ignores_if_range, FileLie::html,    FileLie::flipped_bit,
                                              FileLie::not_a_video};
std::string_view to_string(FileLie lie) noexcept;
std::optional<FileLie> parse_file_lie(std::string_view name) noexcept;

// The name manifests give the simulator's media host (`https://simulator.invalid/media/<file>`):
// its port changes from run to run, and a job's URL is part of its request. `run --simulate`
// fetches such a source from the simulator it starts, whose tasks are billed by that file;
// anywhere else the name resolves nowhere (RFC 6761), so a real run rejects the job unpaid.
inline constexpr std::string_view k_media_alias = "https://simulator.invalid";

struct SimOptions {
    std::string host = "127.0.0.1";    // an IP literal: 127.0.0.1 or ::1
    std::uint16_t port = 0;            // 0: a free port
    std::optional<std::string> key;    // when set, /v1 requests need "Authorization: Bearer <key>", else 401
    double time_scale = 1.0;           // real seconds per simulated second: 0.01 makes a 300 s task take ~3 s
    double rps = 0;                    // token bucket over every /v1 request; 0: unlimited
    int burst = 0;                     // bucket size; 0: max(1, ceil(rps))
    int max_concurrent_tasks = 0;      // unfinished tasks at once; 0: unlimited; creates beyond it get 429
    std::optional<double> credits;     // starting balance; unset: unlimited
    double fail_ratio = 0;             // share of tasks that end `failed` (refunded)
    double error_ratio = 0;            // share of /v1 requests answered 500/502/503 with no side effect
    double cut_after_create_ratio = 0; // share of creates whose task is made but whose connection is cut
    std::chrono::milliseconds latency{0}; // added before every /v1 answer
    std::uint64_t file_bytes = 1 << 20;   // size of each result file
    double cut_file_ratio = 0;            // share of whole-file downloads cut off halfway (tests Range resumes)
    // Result files carry `Repr-Digest` and `x-amz-meta-sha256` of their bytes (and whole answers
    // `Content-Digest`). Off by default: the simulator then hashes each file once more.
    bool file_digests = false;
    std::vector<FileLie> file_lies;       // none by default: an honest media host
    // How long a source medium asked for with `?lie=stall` (GET /media/<name>?lie=stall) sends
    // nothing after its head before the connection is closed, unless the client gives up first.
    std::chrono::milliseconds media_stall{30'000};
    double garbage_ratio = 0;             // share of successful /v1 answers replaced by a malformed one
    std::vector<Garbage> garbage_kinds{std::begin(k_all_garbage), std::end(k_all_garbage)}; // drawn from
    bool idempotency = true;              // false: ignore Idempotency-Key, like a server that forgot it
    bool batch_read = true;               // false: POST /v1/tasks/batch answers 404
    bool batch_read_refused = false;      // true: it answers 400, as a server whose batch read wants another body
    bool list_tasks = true;               // false: GET /v1/tasks (the account's task list) answers 404
    // Another client of the same account: this share of creates (1: every one) is joined by a
    // task of that client's, made in the same second with a duration of its own. Such tasks
    // appear in GET /v1/tasks and answer GET /v1/tasks/{id}, but are billed to the other
    // client's key (no credits, no concurrency slot here) and are not kept in the state file.
    double foreign_task_ratio = 0;
    // The server's clock minus the real one: what its Date headers and created_at times say.
    std::chrono::seconds clock_skew{0};
    std::uint64_t revoke_key_after = 0;   // the key stops working after this many /v1 requests (0: never)
    TaskIds task_ids = TaskIds::plain;    // odd or unusable ids, for clients' tests
    std::uint64_t seed = 1;               // seeds the one PRNG behind every random choice
    std::optional<std::filesystem::path> log_file; // one JSON line per created task, flushed at once
    // Where the simulator keeps its tasks across processes (src/sim/state_lines.hpp has the
    // format). start() reloads the tasks it holds, which have gone on running by the wall clock
    // meanwhile, and listens on the port recorded there when `port` is 0 (on a free one if that
    // is taken); every new task is written there before its create is answered. The file holds
    // ids, idempotency keys and timings, never the API key; one simulator at a time uses it.
    std::optional<std::filesystem::path> state_file;
    // Where ca.pem (and ca-key.pem) go. A directory that already holds both is reused, so a
    // restarted simulator keeps its CA. Unset: a fresh temporary directory, removed at stop().
    std::optional<std::filesystem::path> cert_dir;
    // Names and IPs the server certificate is issued for; empty: {"127.0.0.1", "::1", "localhost"}.
    std::vector<std::string> cert_names;
};

// A consistent snapshot of what the simulator has seen and done so far.
struct SimStats {
    // Requests read, by endpoint, whatever their answer.
    std::uint64_t create_requests = 0; // POST /v1/videos/generations
    std::uint64_t task_reads = 0;      // GET /v1/tasks/{id}
    std::uint64_t batch_reads = 0;     // POST /v1/tasks/batch
    std::uint64_t credit_reads = 0;    // GET /v1/credits
    std::uint64_t task_lists = 0;      // GET /v1/tasks (list pages)
    std::uint64_t file_requests = 0;   // GET /files/...
    std::uint64_t other_requests = 0;  // anything else
    std::uint64_t api_requests = 0;    // every /v1 request (the rate limiter's population)

    std::uint64_t tasks_created = 0;  // by this simulator
    std::uint64_t tasks_reloaded = 0; // from the state file, made by earlier ones
    std::uint64_t foreign_tasks = 0;  // made by another client of the account (foreign_task_ratio)
    std::uint64_t replays = 0;   // creates answered with an existing task (same idempotency key and body)
    std::uint64_t conflicts = 0; // same key, different body: 409
    std::uint64_t tasks_completed = 0; // tasks that have completed by now, reloaded ones included
    std::uint64_t tasks_failed = 0;    // tasks that have failed by now, reloaded ones included

    std::map<unsigned, std::uint64_t> status_counts; // answers sent, by HTTP status
    std::uint64_t rate_limited = 0;                  // 429s from the token bucket
    std::uint64_t concurrency_limited = 0;           // 429s from max_concurrent_tasks
    std::uint64_t connections_accepted = 0;
    std::uint64_t cut_connections = 0; // closed without an answer (cut_after_create_ratio)
    // The most /v1 requests the rate limiter let through within any 1 s window: a client that
    // keeps to the limit never pushes this above rps + burst.
    std::uint64_t max_requests_in_any_1s_window = 0;
    // The same over every /v1 request received, the rate-limited ones included.
    std::uint64_t max_attempts_in_any_1s_window = 0;

    std::int64_t credits_reserved_now = 0; // held by unfinished tasks
    std::int64_t credits_spent = 0;        // charged for completed tasks
    std::int64_t credits_refunded = 0;     // released by failed tasks
    std::uint64_t file_bytes_sent = 0;
    std::uint64_t cut_downloads = 0; // file answers cut off halfway (cut_file_ratio, FileLie::changes)
    std::uint64_t file_ranges = 0;   // GET /files/... with a Range header
    std::uint64_t file_ranges_with_if_range = 0; // ... and an If-Range header
    std::uint64_t file_lies_told = 0; // file answers that told one of SimOptions::file_lies
    std::uint64_t garbage_answers = 0; // malformed answers sent (garbage_ratio)
    std::uint64_t file_requests_with_key = 0; // GET /files/... carrying an Authorization header: a leak
    // Source media (GET /media/<name>[?lie=...]), served by the simulator's media host.
    std::uint64_t media_requests = 0;   // requests under /media/, whatever their answer
    std::uint64_t media_ranges = 0;     // ... with a Range header
    std::uint64_t media_not_modified = 0; // ... answered 304 (If-None-Match, If-Modified-Since)
    std::uint64_t media_bytes_sent = 0; // body bytes of media answers
    std::uint64_t media_lies_told = 0;  // requests whose URL asked for a known `lie` (flaky's honest ones too)
    std::uint64_t media_requests_with_authorization = 0; // ... carrying an Authorization header: a leak

    [[nodiscard]] std::uint64_t count(unsigned status) const; // status_counts[status], 0 if absent
    [[nodiscard]] std::uint64_t count_5xx() const;
};

class Simulator {
public:
    explicit Simulator(SimOptions options);
    ~Simulator(); // stop()s
    Simulator(Simulator const&) = delete;
    Simulator& operator=(Simulator const&) = delete;

    // Makes (or loads) the CA, issues the server certificate, opens the log, reloads the state
    // file, binds and starts serving on the simulator's own thread. Throws std::runtime_error on
    // bad options or when any of that fails (a state file that is locked, damaged or of another
    // version included: the message names the file, the line and what to do); may be called once.
    void start();
    // Closes the listener and every connection, joins the thread and removes a temporary
    // certificate directory. Idempotent; stats() stays readable afterwards.
    void stop();

    [[nodiscard]] std::uint16_t port() const;
    [[nodiscard]] std::string base_url() const;          // "https://127.0.0.1:PORT" ("https://[::1]:PORT")
    [[nodiscard]] std::filesystem::path ca_file() const; // PEM of the CA that signed the server certificate
    [[nodiscard]] SimStats stats() const;
    [[nodiscard]] SimOptions const& options() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace evobatch::sim
