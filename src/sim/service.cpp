#include "service.hpp"

#include "byte_range.hpp"
#include "source_media.hpp"
#include "validation.hpp"

#include "evobatch/api/json.hpp"
#include "evobatch/util/http_date.hpp"
#include "evobatch/util/sha256.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/url/pct_string_view.hpp>

#include "evobatch/util/http_date.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <unordered_set>

namespace evobatch::sim {

namespace json = boost::json;
namespace urls = boost::urls;

namespace {

constexpr std::string_view k_create_path = "/v1/videos/generations";
constexpr std::string_view k_batch_path = "/v1/tasks/batch";
constexpr std::string_view k_tasks_prefix = "/v1/tasks/";
constexpr std::string_view k_task_list_path = "/v1/tasks";
constexpr std::string_view k_credits_path = "/v1/credits";
constexpr std::string_view k_files_prefix = "/files/";
constexpr std::string_view k_file_name = "/0.mp4";

std::uint64_t splitmix(std::uint64_t z) noexcept {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// A simulator restarted on a state file draws other numbers than the ones before it: its
// request ids (and random choices) must not repeat theirs.
std::uint64_t seed_for(std::uint64_t seed, StateFile const* state) noexcept {
    return state == nullptr || state->starts() == 0 ? seed : splitmix(seed + state->starts());
}

// Whole seconds, rounded up, at least 1: Retry-After must never invite an immediate retry.
std::string retry_after_seconds(std::chrono::nanoseconds wait) {
    auto const s = std::chrono::ceil<std::chrono::seconds>(wait).count();
    return std::to_string(std::max<std::int64_t>(1, s));
}

// A path segment as the client meant it; one with a stray '%' stays as sent (and is not found).
std::string decoded_segment(std::string_view segment) {
    auto const pct = urls::make_pct_string_view(segment);
    return pct ? pct->decode() : std::string(segment);
}

} // namespace

Service::Service(SimOptions const& options, std::string base_url, Now now, std::unique_ptr<StateFile> state)
    : m_options(options), m_base_url(std::move(base_url)), m_state(std::move(state)),
      m_rng(seed_for(options.seed, m_state.get())),
      m_book(TaskBookConfig{options.time_scale, options.credits, options.max_concurrent_tasks,
                            options.fail_ratio, options.idempotency, m_base_url, options.file_bytes,
                            options.task_ids},
             m_rng),
      m_log(options.log_file), m_media(m_base_url, options.media_stall), m_bucket(options.rps, options.burst, now.steady),
      m_request_salt(splitmix(seed_for(options.seed, m_state.get()))) {
    now.wall += options.clock_skew; // the server's clock, as handle() reads it
    if (m_state) {
        for (TaskRecord& task : m_state->take_tasks()) {
            task.start = now.steady_at(task.created_ms);
            m_book.add(std::move(task));
            ++m_stats.tasks_reloaded;
        }
    }
}

Service::Route Service::route(std::string_view path) noexcept {
    if (path == k_create_path) {
        return {Endpoint::create, {}};
    }
    if (path == k_batch_path) {
        return {Endpoint::batch_read, {}};
    }
    if (path == k_credits_path) {
        return {Endpoint::credits, {}};
    }
    if (path == k_task_list_path) {
        return {Endpoint::task_list, {}};
    }
    if (path.starts_with(k_tasks_prefix)) {
        auto const id = path.substr(k_tasks_prefix.size());
        if (!id.empty() && id.find('/') == std::string_view::npos) {
            return {Endpoint::task_read, id};
        }
    }
    if (path.starts_with(k_files_prefix) && path.ends_with(k_file_name)) {
        auto const id =
            path.substr(k_files_prefix.size(), path.size() - k_files_prefix.size() - k_file_name.size());
        if (!id.empty() && id.find('/') == std::string_view::npos) {
            return {Endpoint::file, id};
        }
    }
    if (path.starts_with(k_media_prefix)) {
        return {Endpoint::media, {}};
    }
    if (path == "/v1" || path.starts_with("/v1/")) {
        return {Endpoint::other_api, {}};
    }
    return {Endpoint::other, {}};
}

Reply Service::handle(Request const& request, Now now) {
    std::lock_guard const lock(m_mutex);
    now.wall += m_options.clock_skew; // the server's clock from here on
    Reply reply;
    reply.request_id = next_request_id();
    auto const path = request.target.substr(0, request.target.find('?'));
    Route r = route(path);
    std::string const id = decoded_segment(r.id); // odd ids (TaskIds::odd) arrive percent-encoded
    r.id = id;
    count(r.endpoint);
    if (r.endpoint == Endpoint::file || r.endpoint == Endpoint::media || r.endpoint == Endpoint::other) {
        dispatch(r, request, now, reply); // the media hosts: no key, no limit, no faults
    } else {
        // api.md order: the gateway's rate limit first, then the key, then whatever the upstream does.
        ++m_stats.api_requests;
        reply.headers.emplace_back("date", util::http_date(now.unix_seconds()));
        m_attempts.add(now.steady);
        reply.delay = m_options.latency;
        if (auto const wait = m_bucket.try_take(now.steady); wait.count() > 0) {
            ++m_stats.rate_limited;
            set_error(reply, 429, "rate_limit_exceeded",
                      fmt::format("rate limit exceeded: at most {} requests a second", m_options.rps));
            reply.headers.emplace_back("retry-after", retry_after_seconds(wait));
        } else {
            m_accepted.add(now.steady);
            if (!authorized(request)) {
                // Echoes what was presented, as careless servers do: clients must not print it.
                set_error(reply, 401, "invalid_api_key",
                          "invalid or missing API key: '" + std::string(request.authorization) + "'");
            } else if (draw(m_options.error_ratio)) {
                constexpr std::array<std::pair<unsigned, std::string_view>, 3> k_faults = {
                    {{500, "internal_error"}, {502, "bad_gateway"}, {503, "service_unavailable"}}};
                auto const& [status, code] =
                    k_faults[std::uniform_int_distribution<std::size_t>(0, 2)(m_rng)];
                set_error(reply, status, code, "simulated server error");
            } else {
                dispatch(r, request, now, reply);
                if (reply.status == 200 && !reply.cut && draw(m_options.garbage_ratio)) {
                    garble(reply); // after the effect: a create's task exists all the same
                }
            }
        }
    }
    if (reply.cut) {
        ++m_stats.cut_connections;
    } else {
        ++m_stats.status_counts[reply.status];
    }
    return reply;
}

Reply Service::reject(unsigned status, std::string_view code, std::string_view message) {
    std::lock_guard const lock(m_mutex);
    Reply reply;
    reply.request_id = next_request_id();
    set_error(reply, status, code, message);
    ++m_stats.status_counts[status];
    return reply;
}

void Service::dispatch(Route const& r, Request const& request, Now now, Reply& reply) {
    switch (r.endpoint) {
    case Endpoint::create:
        create(request, now, reply);
        return;
    case Endpoint::task_read:
        read_task(r, request, now, reply);
        return;
    case Endpoint::batch_read:
        read_batch(request, now, reply);
        return;
    case Endpoint::task_list:
        list_tasks(request, now, reply);
        return;
    case Endpoint::credits:
        read_credits(request, now, reply);
        return;
    case Endpoint::file:
        serve_file(r, request, now, reply);
        return;
    case Endpoint::media:
        m_media.serve(request, reply, m_stats);
        return;
    case Endpoint::other_api:
    case Endpoint::other:
        break;
    }
    set_error(reply, 404, "not_found",
              fmt::format("no such endpoint: {} {}", request.method, request.target));
}

void Service::create(Request const& request, Now now, Reply& reply) {
    if (!method_is(request, "POST", reply)) {
        return;
    }
    std::optional<std::string_view> key;
    if (m_options.idempotency && request.idempotency_key) {
        if (!valid_idempotency_key(*request.idempotency_key)) {
            set_error(reply, 400, "invalid_parameters",
                      "Idempotency-Key must be 16 to 96 characters of [A-Za-z0-9._-]", "Idempotency-Key");
            return;
        }
        key = request.idempotency_key;
    }
    boost::system::error_code ec;
    json::value const body = json::parse(request.body, ec);
    if (ec) {
        set_error(reply, 400, "invalid_parameters",
                  fmt::format("the body is not valid JSON: {}", ec.message()));
        return;
    }
    auto const parsed = json::try_value_to<api::CreateRequest>(body);
    if (!parsed) {
        set_error(reply, 400, "invalid_parameters",
                  fmt::format("the body is not a create request: {}", parsed.error().message()));
        return;
    }
    if (auto const problem = validate_create(*parsed)) {
        set_error(reply, 400, "invalid_parameters", problem->message, problem->param);
        return;
    }
    // Bodies are at most 1 MiB: hashing one here costs well under a millisecond.
    std::string const digest = util::sha256_hex(request.body);
    CreateOutcome out = m_book.create(*parsed, key, digest, now);
    switch (out.status) {
    case CreateStatus::created:
        // Recorded before it is answered: no client ever holds a task that a simulator restarted
        // on the same state file would not know.
        if (m_state && !m_state->record_task(*out.record)) {
            set_error(reply, 503, "service_unavailable", "the task could not be recorded; none was made");
            return;
        }
        m_book.add(std::move(*out.record));
        ++m_stats.tasks_created;
        if (draw(m_options.foreign_task_ratio)) { // another client's, in the same second
            m_book.add(m_book.make_foreign(now));
            ++m_stats.foreign_tasks;
        }
        m_log.record(now.unix_milliseconds(), out.task.id, parsed->video_urls.front(), key, digest);
        reply.body = api::to_json_text(out.task);
        reply.cut = draw(m_options.cut_after_create_ratio);
        return;
    case CreateStatus::replayed:
        ++m_stats.replays;
        reply.body = api::to_json_text(out.task);
        reply.headers.emplace_back("idempotency-replayed", "true");
        return;
    case CreateStatus::conflict:
        ++m_stats.conflicts;
        set_error(reply, 409, "idempotency_conflict",
                  "this Idempotency-Key was already used with a different request body", "Idempotency-Key");
        return;
    case CreateStatus::insufficient_credits:
        set_error(
            reply, 402, "insufficient_quota",
            fmt::format("insufficient credits: the task needs {} and {} remain", out.cost, out.balance));
        return;
    case CreateStatus::too_many_tasks:
        ++m_stats.concurrency_limited;
        set_error(
            reply, 429, "rate_limit_exceeded",
            fmt::format("too many concurrent tasks: at most {} at once", m_options.max_concurrent_tasks));
        reply.headers.emplace_back("retry-after", retry_after_seconds(out.retry_after));
        return;
    }
}

void Service::read_task(Route const& r, Request const& request, Now now, Reply& reply) {
    if (!method_is(request, "GET", reply)) {
        return;
    }
    if (!r.id.starts_with(api::k_task_id_prefix)) {
        set_error(reply, 400, "invalid_task_id",
                  fmt::format("task ids start with '{}'", api::k_task_id_prefix), "task_id");
        return;
    }
    auto const task = m_book.find(r.id, now.steady);
    if (!task) {
        set_error(reply, 404, "task_not_found", fmt::format("no task {}", r.id), "task_id");
        return;
    }
    reply.body = api::to_json_text(*task);
}

void Service::read_batch(Request const& request, Now now, Reply& reply) {
    if (!m_options.batch_read) {
        set_error(reply, 404, "not_found", "no such endpoint: batch reads are not offered");
        return;
    }
    if (!method_is(request, "POST", reply)) {
        return;
    }
    if (m_options.batch_read_refused) {
        set_error(reply, 400, "invalid_parameters", "the body must be {\"ids\": [strings]}", "ids");
        return;
    }
    boost::system::error_code ec;
    json::value const body = json::parse(request.body, ec);
    auto const parsed = ec ? boost::system::result<api::BatchReadRequest>(ec)
                           : json::try_value_to<api::BatchReadRequest>(body);
    if (!parsed) {
        set_error(reply, 400, "invalid_parameters", "the body must be {\"task_ids\": [strings]}", "task_ids");
        return;
    }
    if (parsed->task_ids.size() > api::k_max_batch_read) {
        set_error(reply, 400, "invalid_parameters",
                  fmt::format("task_ids holds {} ids; the limit is {}", parsed->task_ids.size(),
                              api::k_max_batch_read),
                  "task_ids");
        return;
    }
    json::array data;
    std::unordered_set<std::string_view> seen;
    for (auto const& id : parsed->task_ids) {
        if (!seen.insert(id).second) {
            continue;
        }
        if (auto const task = m_book.find(id, now.steady)) {
            data.push_back(json::value_from(*task));
        }
    }
    reply.body = json::serialize(json::object{{"data", std::move(data)}});
}

void Service::list_tasks(Request const& request, Now now, Reply& reply) {
    if (!m_options.list_tasks) {
        set_error(reply, 404, "not_found", "no such endpoint: the task list is not offered");
        return;
    }
    if (!method_is(request, "GET", reply)) {
        return;
    }
    api::ListQuery query;
    auto const mark = request.target.find('?');
    std::string_view rest = mark == std::string_view::npos ? std::string_view() : request.target.substr(mark + 1);
    // Split by hand: Boost.URL 1.81's params iterator decoded the last value one byte too long
    // ("status=completed" came out as "completed" plus a stray byte).
    while (!rest.empty()) {
        auto const amp = rest.find('&');
        std::string_view const pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
        auto const eq = pair.find('=');
        std::string const name = decoded_segment(pair.substr(0, eq));
        std::string value = eq == std::string_view::npos ? std::string() : decoded_segment(pair.substr(eq + 1));
        if (name == "page" || name == "page_size") {
            int n = 0;
            auto const [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
            if (ec != std::errc{} || end != value.data() + value.size()) {
                set_error(reply, 400, "invalid_parameters", fmt::format("{} must be an integer", name), name);
                return;
            }
            (name == "page" ? query.page : query.page_size) = n;
        } else if (name == "status" || name == "type" || name == "model") {
            auto& filter = name == "status" ? query.status : name == "type" ? query.type : query.model;
            if (!value.empty()) {
                filter = std::move(value);
            }
        }
    }
    reply.body = api::to_json_text(m_book.list(query, now.steady));
}

void Service::read_credits(Request const& request, Now now, Reply& reply) {
    if (!method_is(request, "GET", reply)) {
        return;
    }
    CreditFigures const f = m_book.credits(now.steady);
    api::Credits credits;
    credits.remaining = f.remaining;
    credits.used = static_cast<double>(f.spent);
    credits.unlimited = f.unlimited;
    credits.user_remaining = f.remaining;
    reply.body = api::to_json_text(credits);
}

bool Service::authorized(Request const& request) const {
    if (m_options.revoke_key_after > 0 && m_stats.api_requests > m_options.revoke_key_after) {
        return false; // revoked in the middle of a batch (a key rotated or disabled)
    }
    if (!m_options.key) {
        return true;
    }
    constexpr std::string_view k_scheme = "Bearer ";
    return request.authorization.size() == k_scheme.size() + m_options.key->size() &&
           request.authorization.starts_with(k_scheme) && request.authorization.ends_with(*m_options.key);
}

// Draws only when the fault is enabled, so turning one fault on does not reshuffle the others.
void Service::garble(Reply& reply) {
    auto const& kinds = m_options.garbage_kinds;
    if (kinds.empty()) {
        return;
    }
    Garbage const kind = kinds[std::uniform_int_distribution<std::size_t>(0, kinds.size() - 1)(m_rng)];
    ++m_stats.garbage_answers;
    reply.garbage = kind;
    switch (kind) {
    case Garbage::truncated:
        reply.body.resize(reply.body.size() / 2);
        break;
    case Garbage::wrong_types:
        reply.body = R"({"id":42,"status":["completed"],"progress":"half","created":"yesterday",)"
                     R"("results":"https://cdn.example.com/x.mp4","task_info":7,"usage":[],"data":"none"})";
        break;
    case Garbage::missing_fields:
        reply.body = R"({"object":"video.generation.task","model":"kling-o1-video-edit-fast"})";
        break;
    case Garbage::huge:
        reply.body.insert(0, std::string(std::size_t{16} << 20, ' '));
        break;
    case Garbage::stalled:
    case Garbage::short_body:
        break; // the session sends a part of the body and stops
    }
}

bool Service::draw(double ratio) {
    return ratio > 0 && std::uniform_real_distribution<double>(0, 1)(m_rng) < ratio;
}

// Unique (splitmix is a bijection on 64 bits) and different from one seed to the next.
std::string Service::next_request_id() {
    return fmt::format("req-{:016x}", splitmix(m_request_salt + ++m_request_count));
}

void Service::count(Endpoint e) {
    switch (e) {
    case Endpoint::create:
        ++m_stats.create_requests;
        break;
    case Endpoint::task_read:
        ++m_stats.task_reads;
        break;
    case Endpoint::batch_read:
        ++m_stats.batch_reads;
        break;
    case Endpoint::task_list:
        ++m_stats.task_lists;
        break;
    case Endpoint::credits:
        ++m_stats.credit_reads;
        break;
    case Endpoint::file:
        ++m_stats.file_requests;
        break;
    case Endpoint::media:
        ++m_stats.media_requests;
        break;
    case Endpoint::other_api:
    case Endpoint::other:
        ++m_stats.other_requests;
        break;
    }
}

void Service::on_connection_accepted() {
    std::lock_guard const lock(m_mutex);
    ++m_stats.connections_accepted;
}

void Service::on_file_bytes_sent(std::uint64_t bytes, bool media) {
    std::lock_guard const lock(m_mutex);
    (media ? m_stats.media_bytes_sent : m_stats.file_bytes_sent) += bytes;
}

SimStats Service::stats(SteadyTime now) {
    std::lock_guard const lock(m_mutex);
    SimStats s = m_stats;
    CreditFigures const f = m_book.credits(now);
    s.credits_reserved_now = f.reserved;
    s.credits_spent = f.spent;
    s.credits_refunded = f.refunded;
    s.tasks_completed = m_book.tasks_completed();
    s.tasks_failed = m_book.tasks_failed();
    s.max_requests_in_any_1s_window = m_accepted.max();
    s.max_attempts_in_any_1s_window = m_attempts.max();
    return s;
}

} // namespace evobatch::sim
