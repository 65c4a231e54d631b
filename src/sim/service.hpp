#pragma once
// The simulated API, sans I/O: one HTTP request in, one Reply out. The session coroutine does
// the reading, waiting and writing; everything the API decides (routing, key, rate limit,
// faults, tasks, credits, result files, source media) is here, driven by the caller's clock.
//
// Thread safety: handle() runs on the simulator's io thread; stats() is also called from other
// threads (tests), so one mutex guards the state. It is held for microseconds per request.

#include "media_host.hpp"
#include "reply.hpp"
#include "sim_clock.hpp"
#include "state_file.hpp"
#include "task_book.hpp"
#include "task_log.hpp"
#include "token_bucket.hpp"

#include "evobatch/sim/simulator.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace evobatch::sim {

inline constexpr std::size_t k_max_request_body = 1 << 20;

class Service {
public:
    // Takes over the tasks of `state` (when the simulator keeps one), and records each new task
    // there before answering its create. Throws std::runtime_error when the task log cannot be
    // opened.
    Service(SimOptions const& options, std::string base_url, Now now,
            std::unique_ptr<StateFile> state = nullptr);

    Reply handle(Request const& request, Now now);
    // An error answer for a request the session could not read (413, 431, 400).
    Reply reject(unsigned status, std::string_view code, std::string_view message);

    void on_connection_accepted();
    void on_file_bytes_sent(std::uint64_t bytes, bool media);
    SimStats stats(SteadyTime now);

private:
    enum class Endpoint : std::uint8_t { create, task_read, batch_read, task_list, credits, file, media, other_api, other };
    struct Route {
        Endpoint endpoint = Endpoint::other;
        std::string_view id; // task id, for task_read and file
    };
    static Route route(std::string_view path) noexcept;

    void dispatch(Route const& r, Request const& request, Now now, Reply& reply);
    void garble(Reply& reply);
    void create(Request const& request, Now now, Reply& reply);
    void read_task(Route const& r, Request const& request, Now now, Reply& reply);
    void read_batch(Request const& request, Now now, Reply& reply);
    void read_credits(Request const& request, Now now, Reply& reply);
    void list_tasks(Request const& request, Now now, Reply& reply);
    void serve_file(Route const& r, Request const& request, Now now, Reply& reply);

    bool lies(FileLie lie) const noexcept;
    void add_digest_headers(std::string const& key, std::uint64_t size, bool video_box, bool whole, Reply& reply);
    bool authorized(Request const& request) const;
    bool draw(double ratio);
    std::string next_request_id();
    void count(Endpoint e);

    SimOptions const m_options;
    std::string const m_base_url;
    std::unique_ptr<StateFile> m_state; // before m_rng, whose seed depends on it
    std::mt19937_64 m_rng; // the one PRNG behind every random choice (SimOptions::seed)
    TaskBook m_book;
    TaskLog m_log;
    MediaHost m_media;
    TokenBucket m_bucket;
    WindowMax m_attempts; // every /v1 request
    WindowMax m_accepted; // /v1 requests the bucket let through
    std::uint64_t m_request_salt;
    std::uint64_t m_request_count = 0;
    SimStats m_stats;
    std::unordered_map<std::string, int> m_file_versions; // task id -> times its file changed (FileLie::changes)
    std::unordered_map<std::string, std::string> m_file_digests; // content key -> SHA-256 bytes (file_digests)
    std::mutex m_mutex;
};

} // namespace evobatch::sim
