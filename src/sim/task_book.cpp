#include "task_book.hpp"

#include "source_media.hpp"
#include "validation.hpp"

#include "evobatch/api/pricing.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace evobatch::sim {

namespace urls = boost::urls;

namespace {

using std::chrono::nanoseconds;

// api.md's failed-task codes, by what a client should do about them.
constexpr std::array<std::string_view, 6> k_final_codes = {
    "content_policy_violation", "invalid_parameters", "image_processing_error",
    "image_dimension_mismatch", "request_cancelled",  "resource_not_found"};
constexpr std::array<std::string_view, 7> k_retryable_codes = {"generation_failed_no_content",
                                                               "service_error",
                                                               "generation_timeout",
                                                               "resource_exhausted",
                                                               "quota_exceeded",
                                                               "service_unavailable",
                                                               "unknown_error"};

constexpr std::string_view k_task_type = "video"; // every task the simulator makes
constexpr int k_min_video_seconds = 4;
constexpr int k_max_video_seconds = 24; // beyond the billed 6..20, so some are clamped
constexpr int k_base_estimate_seconds = 120;
constexpr int k_estimate_seconds_per_billed_second = 12;

std::uint64_t fnv1a(std::string_view text) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char const c : text) {
        h = (h ^ c) * 0x100000001b3ULL;
    }
    return h;
}

int billed_seconds(int seconds) noexcept {
    return std::clamp(seconds, api::k_min_billed_seconds, api::k_max_billed_seconds);
}

nanoseconds scaled(double simulated_seconds, double time_scale) {
    return std::chrono::duration_cast<nanoseconds>(
        std::chrono::duration<double>(simulated_seconds * time_scale));
}

int percent(nanoseconds elapsed, nanoseconds whole) noexcept {
    if (whole.count() <= 0) {
        return 99;
    }
    auto const p = static_cast<int>(
        std::floor(100.0 * static_cast<double>(elapsed.count()) / static_cast<double>(whole.count())));
    return std::clamp(p, 0, 99);
}

// What TaskIds::odd and ::unusable add to the n-th id, in turn.
std::string_view odd_tail(TaskIds ids, std::size_t n) noexcept {
    constexpr std::array<std::string_view, 6> k_odd = {" a b1", "/../x", "%2F", "?q=1#f", "-\xc3\xa9\xe2\x98\x83", "+&=;@:"};
    switch (ids) {
    case TaskIds::plain:
        return {};
    case TaskIds::odd:
        return k_odd[n % k_odd.size()];
    case TaskIds::unusable:
        return "\x1b]0;owned\x07\x1b[2J";
    }
    return {};
}

} // namespace

TaskBook::TaskBook(TaskBookConfig config, std::mt19937_64& rng) : m_config(std::move(config)), m_rng(rng) {}

int TaskBook::video_duration_of(std::string_view video_url) noexcept {
    return k_min_video_seconds +
           static_cast<int>(fnv1a(video_url) % (k_max_video_seconds - k_min_video_seconds + 1));
}

double TaskBook::balance() const noexcept {
    double const start = m_config.credits.value_or(k_unlimited_balance);
    return start - static_cast<double>(m_reserved) - static_cast<double>(m_spent);
}

std::string TaskBook::new_task_id(std::int64_t unix_now) {
    constexpr std::string_view k_alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<std::size_t> pick(0, k_alphabet.size() - 1);
    for (;;) {
        std::string suffix(8, 'a');
        for (char& c : suffix) {
            c = k_alphabet[pick(m_rng)];
        }
        std::string id = fmt::format("{}{}-{}", api::k_task_id_prefix, unix_now, suffix);
        id += odd_tail(m_config.task_ids, m_tasks.size());
        if (!m_by_id.contains(id)) { // 36^8 ids a second: a clash is rare, but must not alias two tasks
            return id;
        }
    }
}

CreateOutcome TaskBook::create(api::CreateRequest const& request, std::optional<std::string_view> key,
                               std::string_view digest, Now now) {
    settle(now.steady);
    CreateOutcome out;
    if (m_config.idempotency && key) {
        if (auto const it = m_by_key.find(std::string(*key)); it != m_by_key.end()) {
            TaskRecord const& original = m_tasks[it->second];
            if (original.digest != digest) {
                out.status = CreateStatus::conflict;
                return out;
            }
            out.status = CreateStatus::replayed;
            out.task = view(original, now.steady);
            return out;
        }
    }

    TaskRecord r;
    r.video_url = request.video_urls.empty() ? std::string() : request.video_urls.front();
    // A source on this simulator's media host is billed by its real duration, or refused (not
    // billed) as the API would; any other URL gets a duration from its hash.
    auto const source = media_source_verdict(r.video_url, m_config.base_url);
    bool const refused = source && source->failure;
    r.video_duration = source ? source->seconds : video_duration_of(r.video_url);
    r.cost = refused ? 0 : api::credits_for_duration(r.video_duration);
    if (m_config.credits && balance() < static_cast<double>(r.cost)) {
        out.status = CreateStatus::insufficient_credits;
        out.cost = r.cost;
        out.balance = balance();
        return out;
    }
    if (m_config.max_concurrent_tasks > 0 &&
        m_running.size() >= static_cast<std::size_t>(m_config.max_concurrent_tasks)) {
        out.status = CreateStatus::too_many_tasks;
        out.retry_after = std::max(nanoseconds{0}, m_running.top().first - now.steady);
        return out;
    }

    r.id = new_task_id(now.unix_seconds());
    if (m_config.idempotency && key) {
        r.key = std::string(*key);
    }
    r.digest = std::string(digest);
    r.created_ms = now.unix_milliseconds();
    r.start = now.steady;
    r.file_bytes = m_config.file_bytes;
    schedule(r);
    if (m_config.fail_ratio > 0 &&
        std::uniform_real_distribution<double>(0, 1)(m_rng) < m_config.fail_ratio) {
        bool const retryable = std::bernoulli_distribution(0.5)(m_rng);
        std::size_t const count = retryable ? k_retryable_codes.size() : k_final_codes.size();
        std::size_t const index = std::uniform_int_distribution<std::size_t>(0, count - 1)(m_rng);
        std::string const code(retryable ? k_retryable_codes[index] : k_final_codes[index]);
        r.failure = api::TaskError{code, fmt::format("simulated failure: {}", code), "task_error"};
        double const at = std::uniform_real_distribution<double>(0.3, 1.0)(m_rng);
        r.ends_after = std::chrono::duration_cast<nanoseconds>(r.run_time * at);
    }
    if (refused) { // found out when the API fetches the source, before any generating
        r.failure = source->failure;
        r.ends_after = r.run_time / 10;
    }

    out.status = CreateStatus::created;
    out.cost = r.cost;
    out.task = view(r, now.steady);
    // The create answer always shows a fresh task, even when the time scale is 0.
    out.task.status = api::TaskStatus::pending;
    out.task.status_text = std::string(api::to_string(api::TaskStatus::pending));
    out.task.progress = 0;
    out.task.results.clear();
    out.task.error.reset();
    out.task.credits_used.reset();
    out.record = std::move(r);
    return out;
}

void TaskBook::schedule(TaskRecord& r) {
    int const estimate =
        k_base_estimate_seconds + k_estimate_seconds_per_billed_second * billed_seconds(r.video_duration);
    // Answered on the scaled clock, like everything else the client sees: with --time-scale
    // 0.01 a task estimated at 300 s says 3 s, so a client plans its polls as it would for real.
    r.estimated_time = std::max(1, static_cast<int>(std::lround(estimate * m_config.time_scale)));
    // Real tasks finish both sooner and later than estimated.
    double const factor = std::uniform_real_distribution<double>(0.6, 1.6)(m_rng);
    r.run_time = scaled(estimate * factor, m_config.time_scale);
    r.ends_after = r.run_time;
}

TaskRecord TaskBook::make_foreign(Now now) {
    TaskRecord r;
    r.foreign = true;
    r.video_duration = std::uniform_int_distribution<int>(k_min_video_seconds, k_max_video_seconds)(m_rng);
    r.cost = api::credits_for_duration(r.video_duration);
    r.id = new_task_id(now.unix_seconds());
    r.created_ms = now.unix_milliseconds();
    r.start = now.steady;
    r.file_bytes = m_config.file_bytes;
    schedule(r);
    return r;
}

api::TaskList TaskBook::list(api::ListQuery const& query, SteadyTime now) {
    settle(now);
    auto const matches = [&](api::Task const& t) {
        if (query.status) {
            bool const processing = *query.status == "processing" &&
                                    (t.status == api::TaskStatus::pending || t.status == api::TaskStatus::processing);
            if (!processing && *query.status != api::to_string(t.status)) {
                return false;
            }
        }
        return (!query.type || *query.type == k_task_type) && (!query.model || *query.model == t.model);
    };
    std::vector<api::Task> found;
    for (TaskRecord const& r : m_tasks) {
        api::Task t = view(r, now);
        if (matches(t)) {
            found.push_back(std::move(t));
        }
    }
    std::sort(found.begin(), found.end(), [](api::Task const& a, api::Task const& b) {
        return a.created != b.created ? a.created > b.created : a.id > b.id;
    });
    int const page_size = std::clamp(query.page_size, 1, api::k_max_list_page_size);
    int const page = std::max(query.page, 1);
    api::TaskList out;
    out.total = static_cast<std::int64_t>(found.size());
    out.page = page;
    out.page_size = page_size;
    auto const first = static_cast<std::size_t>(page - 1) * static_cast<std::size_t>(page_size);
    for (std::size_t i = first; i < found.size() && i < first + static_cast<std::size_t>(page_size); ++i) {
        api::Task const& t = found[i];
        api::ListedTask item;
        item.id = t.id;
        item.model = t.model;
        item.type = std::string(k_task_type);
        item.status = t.status;
        item.status_text = t.status_text;
        item.progress = t.progress;
        item.created_at = t.created;
        item.duration = t.video_duration;
        item.has_results = !t.results.empty();
        item.result_count = static_cast<int>(t.results.size());
        item.has_error = t.error.has_value();
        item.credits_used = t.credits_used.value_or(0); // 0 until it completes, as on a refund
        out.tasks.push_back(std::move(item));
    }
    return out;
}

void TaskBook::add(TaskRecord r) {
    std::size_t const index = m_tasks.size();
    m_by_id.emplace(r.id, index);
    if (r.foreign) { // billed to another key: nothing reserved or settled here
        m_tasks.push_back(std::move(r));
        return;
    }
    if (m_config.idempotency && r.key) {
        m_by_key.emplace(*r.key, index);
    }
    m_running.emplace(r.start + r.ends_after, index);
    m_reserved += r.cost;
    m_tasks.push_back(std::move(r));
}

void TaskBook::settle(SteadyTime now) {
    while (!m_running.empty() && m_running.top().first <= now) {
        TaskRecord& r = m_tasks[m_running.top().second];
        m_running.pop();
        m_reserved -= r.cost;
        if (r.failure) {
            m_refunded += r.cost;
            ++m_failed;
        } else {
            m_spent += r.cost;
            ++m_completed;
        }
    }
}

std::optional<api::Task> TaskBook::find(std::string_view id, SteadyTime now) {
    settle(now);
    auto const it = m_by_id.find(std::string(id));
    if (it == m_by_id.end()) {
        return std::nullopt;
    }
    return view(m_tasks[it->second], now);
}

std::optional<std::uint64_t> TaskBook::result_size(std::string_view id, SteadyTime now) const {
    auto const it = m_by_id.find(std::string(id));
    if (it == m_by_id.end()) {
        return std::nullopt;
    }
    TaskRecord const& r = m_tasks[it->second];
    if (r.failure || now - r.start < r.ends_after) {
        return std::nullopt;
    }
    return r.file_bytes;
}

CreditFigures TaskBook::credits(SteadyTime now) {
    settle(now);
    return {!m_config.credits.has_value(), balance(), m_reserved, m_spent, m_refunded};
}

api::Task TaskBook::view(TaskRecord const& r, SteadyTime now) const {
    api::Task t;
    t.id = r.id;
    t.model = std::string(k_model);
    t.created = r.created_ms / 1000;
    t.estimated_time = r.estimated_time;
    t.video_duration = r.video_duration;
    t.credits_reserved = r.cost;
    auto const elapsed = now - r.start;
    if (elapsed >= r.ends_after) {
        if (r.failure) {
            t.status = api::TaskStatus::failed;
            t.progress = percent(r.ends_after, r.run_time);
            t.error = r.failure;
            t.credits_used = 0; // refunded
        } else {
            t.status = api::TaskStatus::completed;
            t.progress = 100;
            // One path segment whatever the id holds (TaskIds::odd): the service decodes it.
            t.results.push_back(fmt::format("{}/files/{}/0.mp4", m_config.base_url,
                                            urls::encode(r.id, urls::unreserved_chars)));
            t.credits_used = r.cost;
        }
    } else if (elapsed * 10 < r.run_time) {
        t.status = api::TaskStatus::pending;
        t.progress = 0;
    } else {
        t.status = api::TaskStatus::processing;
        t.progress = percent(elapsed, r.run_time);
    }
    t.status_text = std::string(api::to_string(t.status));
    return t;
}

} // namespace evobatch::sim
