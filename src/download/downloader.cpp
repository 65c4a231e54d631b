#include "evobatch/download/downloader.hpp"

#include "part_file.hpp"

#include "evobatch/net/error.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/util/offload.hpp"
#include "evobatch/util/sha256.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <deque>
#include <optional>
#include <system_error>
#include <vector>

namespace evobatch::download {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using boost::system::error_code;

namespace {

constexpr auto k_max_backoff = std::chrono::seconds(10);

// "bytes 100-199/1000" -> {100, 1000}; the total may be "*" (unknown).
std::optional<std::pair<std::uint64_t, std::optional<std::uint64_t>>> parse_content_range(std::string_view v) {
    if (!v.starts_with("bytes ")) {
        return std::nullopt;
    }
    v.remove_prefix(6);
    std::uint64_t first = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), first);
    auto const slash = v.find('/');
    if (ec != std::errc() || *p != '-' || slash == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view const total = v.substr(slash + 1);
    if (total == "*") {
        return std::pair{first, std::optional<std::uint64_t>()};
    }
    std::uint64_t n = 0;
    auto [q, ec2] = std::from_chars(total.data(), total.data() + total.size(), n);
    if (ec2 != std::errc() || q != total.data() + total.size()) {
        return std::nullopt;
    }
    return std::pair{first, std::optional<std::uint64_t>(n)};
}

std::optional<std::uint64_t> parse_length(std::optional<std::string_view> v) {
    std::uint64_t n = 0;
    if (!v || std::from_chars(v->data(), v->data() + v->size(), n).ec != std::errc()) {
        return std::nullopt;
    }
    return n;
}

// Where a redirect goes: absolute URLs as they are, "/path" on the same origin.
std::optional<std::string> redirect_target(std::string const& from, std::string_view location) {
    if (location.starts_with("https://") || location.starts_with("http://")) {
        return std::string(location); // http is refused by the client unless it is loopback
    }
    if (location.starts_with("/") && !location.starts_with("//")) {
        auto const scheme = from.find("://");
        auto const path = from.find('/', scheme == std::string::npos ? 0 : scheme + 3);
        return from.substr(0, path) + std::string(location);
    }
    return std::nullopt;
}

// Streams an answer's body to the .part file; decides from the head whether the bytes
// continue the part (206 at its end) or replace it (200).
class PartSink final : public net::BodySink {
public:
    PartSink(detail::PartFile& part, std::uint64_t max_bytes, std::uint64_t& counter, bool const& stopped)
        : m_part(part), m_max(max_bytes), m_counter(counter), m_stopped(stopped) {}

    bool on_head(net::HttpResponse const& head) override {
        status = head.status;
        if (head.status == 200) {
            if (m_part.size() > 0) {
                failure = m_part.truncate();
                if (failure) {
                    return false;
                }
            }
            expected = parse_length(head.header("content-length"));
            return fits(expected);
        }
        if (head.status == 206) {
            auto const range = head.header("content-range");
            auto const parsed = range ? parse_content_range(*range) : std::nullopt;
            if (!parsed || parsed->first != m_part.size()) {
                misplaced_range = true; // not where our part ends: start over
                return false;
            }
            resumed = true;
            expected = parsed->second;
            return fits(expected);
        }
        if (auto const where = head.header("location")) {
            location = std::string(*where);
        }
        return false;
    }

    asio::awaitable<error_code> on_body(std::vector<char>& buffer, std::size_t size) override {
        if (m_stopped) {
            co_return boost::asio::error::operation_aborted;
        }
        if (m_part.size() + size > m_max) {
            co_return net::NetErrc::body_too_large;
        }
        m_counter += size;
        co_return co_await m_part.append(buffer, size);
    }

    int status = 0;
    std::optional<std::uint64_t> expected; // the whole file's size, when the head said
    std::optional<std::string> location;
    bool accepted = false; // the head was 200 or 206 at the right offset: the body is ours
    bool resumed = false;
    bool misplaced_range = false;
    bool too_large = false;
    error_code failure;

private:
    bool fits(std::optional<std::uint64_t> total) {
        too_large = total && *total > m_max;
        accepted = !too_large;
        return accepted;
    }

    detail::PartFile& m_part;
    std::uint64_t m_max;
    std::uint64_t& m_counter;
    bool const& m_stopped;
};

// rename() then fsync of the folder, so the new name survives a power loss. Pool thread.
void publish(fs::path const& part, fs::path const& target) {
    fs::rename(part, target);
    detail::Fd dir(::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
        throw std::system_error(errno, std::generic_category(), "fsync of " + target.parent_path().string());
    }
}

} // namespace

struct Downloader::Impl {
    Impl(asio::any_io_executor ex, net::TlsContext& tls, asio::thread_pool& worker_pool, DownloadOptions opts)
        : executor(ex), pool(worker_pool), options(std::move(opts)), client(ex, tls, client_options(options)) {}

    static net::ClientOptions client_options(DownloadOptions const& o) {
        net::ClientOptions c;
        c.max_connections_per_host = std::max<std::size_t>(1, o.concurrency);
        c.user_agent = o.user_agent;
        return c;
    }

    // A slot among `concurrency`; waiters are served in order.
    asio::awaitable<void> enter() {
        if (active < options.concurrency) {
            ++active;
            co_return;
        }
        asio::steady_timer timer(executor, asio::steady_timer::time_point::max());
        waiting.push_back(&timer);
        struct Unqueue { // a waiter destroyed in its wait (shutdown) gives up its place
            std::deque<asio::steady_timer*>& queue;
            asio::steady_timer* timer;
            ~Unqueue() { queue.erase(std::remove(queue.begin(), queue.end(), timer), queue.end()); }
        } const unqueue{waiting, &timer};
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable)); // leave() hands us the slot
    }

    void leave() {
        if (waiting.empty()) {
            --active;
            return;
        }
        auto* next = waiting.front();
        waiting.pop_front();
        next->cancel(); // the slot passes on
    }

    asio::awaitable<void> pause(int failures) {
        auto wait = options.first_backoff * (1 << std::min(failures - 1, 10));
        asio::steady_timer timer(executor, std::min<std::chrono::steady_clock::duration>(wait, k_max_backoff));
        pausing.push_back(&timer);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable)); // stop() cancels it
        pausing.erase(std::remove(pausing.begin(), pausing.end(), &timer), pausing.end());
    }

    asio::awaitable<DownloadResult> fetch(std::string url, fs::path target) {
        co_await enter();
        struct Leave {
            Impl& self;
            ~Leave() { self.leave(); }
        } const leave{*this};
        DownloadResult result;
        result.file = target;
        std::error_code fs_error;
        fs::create_directories(target.parent_path(), fs_error);
        fs::path const part = fs::path(target).concat(".part");
        error_code open_error;
        auto const part_file = detail::PartFile::open(part, executor, pool, open_error);
        if (!part_file) {
            result.error = fmt::format("cannot open {}: {}", part.string(), open_error.message());
            co_return result;
        }
        // The part cannot be continued (wrong size, or the server will not resume it): empty it
        // for the next attempt; false (with the reason in the result) when even that fails.
        auto const emptied = [&] {
            if (auto const error = part_file->truncate()) {
                result.error = fmt::format("cannot empty {}: {}", part.string(), error.message());
                return false;
            }
            return true;
        };
        int failures = 0;
        int redirects = 0;
        std::string why;
        while (failures < options.max_attempts) {
            if (stopped) {
                result.error = "stopped; the partial file is kept for the next run";
                co_return result;
            }
            auto const on_disk = part_file->size();
            net::HttpRequest request;
            request.url = url;
            if (on_disk > 0) {
                request.headers.emplace_back("range", fmt::format("bytes={}-", on_disk));
            }
            PartSink sink(*part_file, options.max_bytes, stats.bytes, stopped);
            ++stats.attempts;
            auto outcome = co_await client.stream(std::move(request), sink, options.idle_timeout);
            if (auto const write_error = co_await part_file->settle(); write_error && !sink.failure) {
                sink.failure = write_error;
                outcome.error = write_error; // the body is not whole on disk
            }
            if (!outcome.answered()) {
                why = outcome.detail;
                if (outcome.error == net::NetErrc::insecure_url || outcome.error == net::NetErrc::bad_url) {
                    break; // a redirect to plain http, or no URL at all: never retried
                }
                co_await pause(++failures);
                continue;
            }
            int const status = sink.status;
            if (sink.accepted && !outcome.error) {
                if (sink.expected && part_file->size() != *sink.expected) {
                    why = fmt::format("got {} bytes, expected {}", part_file->size(), *sink.expected);
                    if (!emptied()) {
                        co_return result;
                    }
                    co_await pause(++failures);
                    continue;
                }
                result.resumed = result.resumed || sink.resumed;
                stats.resumes += sink.resumed ? 1 : 0;
                result.bytes = part_file->size();
                co_await finish(*part_file, part, target, result);
                co_return result;
            }
            if (sink.too_large || outcome.error == net::NetErrc::body_too_large) {
                result.error = fmt::format("the file is larger than the cap of {} bytes", options.max_bytes);
                co_return result;
            }
            if (sink.failure) {
                result.error = fmt::format("cannot write {}: {}", part.string(), sink.failure.message());
                co_return result;
            }
            if (sink.accepted) { // the body broke off: continue with a Range next time
                why = outcome.detail;
                co_await pause(++failures);
                continue;
            }
            if (sink.misplaced_range || status == 416) {
                if (!emptied()) { // the part does not fit the file any more: start over
                    co_return result;
                }
                why = "the server did not continue where the partial file ends";
                co_await pause(++failures);
                continue;
            }
            if (status >= 300 && status < 400 && sink.location) {
                auto next = redirect_target(url, *sink.location);
                if (!next || ++redirects > options.max_redirects) {
                    result.error = next ? "too many redirects" : "a redirect to an unusable location";
                    co_return result;
                }
                url = std::move(*next);
                continue;
            }
            if (status == 403 || status == 404 || status == 410) {
                result.expired = true;
                result.error = fmt::format("the result link answers {}: it has expired or is gone", status);
                co_return result;
            }
            if (status == 429 || status >= 500) {
                why = fmt::format("HTTP {}", status);
                co_await pause(++failures);
                continue;
            }
            result.error = fmt::format("the result link answers HTTP {}", status);
            co_return result;
        }
        result.error = fmt::format("gave up after {} attempts: {}", failures, why.empty() ? "no reason given" : why);
        co_return result;
    }

    // Makes the finished part the result file: durable, hashed, renamed. Everything by
    // reference: the caller's frame outlives this one (and GCC 12 mishandles class-type
    // by-value parameters of coroutines called inside co_await expressions).
    asio::awaitable<void> finish(detail::PartFile& part_file, fs::path const& part, fs::path const& target,
                                 DownloadResult& result) {
        try {
            result.sha256 = co_await part_file.seal();
            part_file.close();
            co_await util::offload(pool, [&part, &target] { publish(part, target); });
        } catch (std::exception const& e) {
            result.error = fmt::format("cannot keep {}: {}", target.string(), e.what());
            co_return;
        }
        result.ok = true;
        ++stats.files;
    }

    asio::any_io_executor executor;
    asio::thread_pool& pool;
    DownloadOptions options;
    net::HttpsClient client;
    DownloadStats stats;
    std::size_t active = 0;
    std::deque<asio::steady_timer*> waiting;
    bool stopped = false;
    std::vector<asio::steady_timer*> pausing; // backoff waits, ended by stop()
};

Downloader::Downloader(asio::any_io_executor executor, net::TlsContext& tls, asio::thread_pool& pool,
                       DownloadOptions options)
    : m_impl(std::make_unique<Impl>(std::move(executor), tls, pool, std::move(options))) {}

Downloader::~Downloader() = default;

asio::awaitable<DownloadResult> Downloader::fetch(std::string url, fs::path target) {
    return m_impl->fetch(std::move(url), std::move(target));
}

DownloadStats Downloader::stats() const noexcept { return m_impl->stats; }

asio::awaitable<bool> Downloader::intact(fs::path file, std::string sha256) {
    detail::Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        co_return false;
    }
    int const raw = fd.get();
    try {
        co_return co_await util::offload(m_impl->pool, [raw] {
            util::Sha256 hash;
            detail::hash_from(raw, 0, hash);
            return hash.hex_digest();
        }) == sha256;
    } catch (std::exception const&) {
        co_return false;
    }
}

void Downloader::stop() {
    m_impl->stopped = true;
    for (auto* timer : m_impl->pausing) {
        timer->cancel();
    }
}

} // namespace evobatch::download
