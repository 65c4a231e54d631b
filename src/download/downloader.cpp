#include "evobatch/download/downloader.hpp"

#include "part_file.hpp"
#include "part_record.hpp"
#include "response_checks.hpp"

#include "evobatch/net/error.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/util/offload.hpp"
#include "evobatch/util/sha256.hpp"
#include "evobatch/util/text.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace evobatch::download {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using boost::system::error_code;

namespace {

constexpr auto k_max_backoff = std::chrono::seconds(10);

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

// The part of one download and what it belongs to: its record, removed before the part is
// emptied, written (for an answer that can be continued) before the part's first new byte.
struct Part {
    detail::PartFile& file;
    fs::path path;
    fs::path record_path;
    std::string task_id;
    std::string url;
    std::optional<detail::PartRecord> record;
    bool emptied_unsynced = false; // bytes were dropped and the empty part is not on disk yet

    // Forgets the record and empties the part: nothing of it will be continued. Only when
    // settled; a sync() must follow before a new record is written.
    error_code forget() {
        record.reset();
        std::error_code ignored;
        fs::remove(record_path, ignored); // a link is removed, never followed; gone already is fine
        if (file.size() == 0) {
            return {};
        }
        emptied_unsynced = true;
        return file.truncate();
    }

    // The empty part on disk before a record of other bytes: a power loss must not leave the
    // old bytes under a new record. Only after forget(), and only when bytes were dropped.
    asio::awaitable<error_code> sync() {
        if (!emptied_unsynced) {
            co_return error_code{};
        }
        emptied_unsynced = false;
        co_return co_await file.sync();
    }

    asio::awaitable<error_code> start_over() {
        if (auto const error = forget()) {
            co_return error;
        }
        co_return co_await sync();
    }

    error_code write_record(detail::PartRecord r) {
        if (auto const error = detail::write_small_file(record_path, detail::to_text(r))) {
            return error;
        }
        record = std::move(r);
        return {};
    }

    // The headers that continue the part: Range from its end, If-Range with its validator.
    void continue_with(net::HttpRequest& request) const {
        if (file.size() > 0 && record) {
            request.headers.emplace_back("range", fmt::format("bytes={}-", file.size()));
            request.headers.emplace_back("if-range", record->validator.value);
        }
    }
};

// Streams an answer's body to the part; decides from the head whether the answer may be the
// result file at all, and whether it continues the part (206) or replaces it (200).
class PartSink final : public net::BodySink {
public:
    PartSink(Part& part, std::string_view extension, std::uint64_t max_bytes, std::uint64_t& counter,
             bool const& stopped)
        : m_part(part), m_extension(extension), m_max(max_bytes), m_counter(counter), m_stopped(stopped) {}

    bool on_head(net::HttpResponse const& head) override {
        status = head.status;
        if (head.status != 200 && head.status != 206) {
            if (auto const where = head.header("location")) {
                location = std::string(*where);
            }
            return false;
        }
        if ((rejected = detail::check_response(head, m_extension))) {
            return false; // before the part is touched: an error page never costs what we have
        }
        content_length = detail::content_length(head);
        if (head.status == 200) {
            expected = content_length;
            if (!fits(expected)) {
                return false;
            }
            digests = detail::declared_sha256(head.headers, true);
            if (auto validator = detail::validator_of(head)) { // else never continued: a later attempt starts over
                m_new_record = detail::PartRecord{m_part.task_id, m_part.url, std::move(*validator), expected, digests};
            }
            failure = m_part.forget(); // the record comes with the first byte (on_body)
            return !failure;
        }
        if (!m_part.record || m_part.file.size() == 0) {
            rejected = "a 206 answer to a request for the whole file";
            return false;
        }
        if ((rejected = detail::check_continuation(head, *m_part.record, m_part.file.size()))) {
            return false;
        }
        expected = detail::parse_content_range(*head.header("content-range"))->total;
        digests = m_part.record->digests; // what the first answer declared, and what this one does
        auto more = detail::declared_sha256(head.headers, false);
        digests.insert(digests.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
        resumed = true;
        return fits(expected);
    }

    asio::awaitable<error_code> on_body(std::vector<char>& buffer, std::size_t size) override {
        if (m_stopped) {
            co_return boost::asio::error::operation_aborted;
        }
        if (m_part.file.size() + size > m_max) {
            co_return net::NetErrc::body_too_large;
        }
        if (m_new_record) {
            auto const error = co_await m_part.sync();
            failure = error ? error : m_part.write_record(std::move(*m_new_record));
            m_new_record.reset();
            if (failure) {
                co_return failure;
            }
        }
        m_counter += size;
        received += size;
        co_return co_await m_part.file.append(buffer, size);
    }

    int status = 0;
    std::optional<std::uint64_t> expected;       // the whole file's size, when the head said
    std::optional<std::uint64_t> content_length; // this body's
    std::uint64_t received = 0;                  // of this body
    std::vector<detail::DeclaredDigest> digests; // the whole file's SHA-256, as declared
    std::optional<std::string> location;
    std::optional<std::string> rejected; // why this answer is not (a piece of) the result
    bool accepted = false; // the head was 200, or 206 continuing the part: the body is ours
    bool resumed = false;
    bool too_large = false;
    error_code failure; // the part or its record could not be written

private:
    bool fits(std::optional<std::uint64_t> total) {
        too_large = total && *total > m_max;
        accepted = !too_large;
        return accepted;
    }

    Part& m_part;
    std::string_view m_extension;
    std::uint64_t m_max;
    std::uint64_t& m_counter;
    bool const& m_stopped;
    std::optional<detail::PartRecord> m_new_record; // of a 200 with a validator, until its first byte
};

// Why an answer whose body arrived whole is still not the file it declared; nothing when it is.
std::optional<std::string> check_lengths(PartSink const& sink, std::uint64_t part_size) {
    if (sink.content_length && sink.received != *sink.content_length) {
        return fmt::format("the answer declared {} bytes and sent {}", *sink.content_length, sink.received);
    }
    if (sink.expected && part_size != *sink.expected) {
        return fmt::format("got {} bytes, expected {}", part_size, *sink.expected);
    }
    return std::nullopt;
}

// Makes the checked part the result file: the part's name must still hold the file we wrote,
// the target must not be a link or another odd file, rename() (which replaces a link planted
// since, never follows it), the record goes, and the folder is fsync'ed so that the new name
// survives a power loss. Pool thread; throws.
void publish(detail::PartFile const& part_file, fs::path const& part, fs::path const& record, fs::path const& target) {
    if (!part_file.is_at(part)) {
        throw std::runtime_error(part.string() + " was replaced while it was being downloaded");
    }
    if (auto const refusal = detail::not_a_regular_file(target)) {
        throw std::runtime_error(*refusal);
    }
    fs::rename(part, target);
    std::error_code ignored;
    fs::remove(record, ignored); // a stale record without its part is never read as one: no part, no Range
    detail::Fd dir(::open(target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
        throw std::system_error(errno, std::generic_category(), "fsync of " + target.parent_path().string());
    }
}

// Why the part could not be opened, for people.
std::string open_failure(fs::path const& path, error_code const& error) {
    if (error == boost::system::errc::too_many_symbolic_link_levels || error == boost::system::errc::invalid_argument) {
        if (auto refusal = detail::not_a_regular_file(path)) {
            return *refusal;
        }
    }
    return fmt::format("cannot open {}: {}", path.string(), error.message());
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

    asio::awaitable<DownloadResult> fetch(std::string task_id, std::string url, fs::path target) {
        co_await enter();
        struct Leave {
            Impl& self;
            ~Leave() { self.leave(); }
        } const leave{*this};
        DownloadResult result;
        result.file = target;
        std::error_code fs_error;
        fs::create_directories(target.parent_path(), fs_error);
        fs::path const part_path = detail::part_path(target);
        fs::path const record_path = detail::record_path(target);
        for (fs::path const& path : {target, part_path, record_path}) {
            if (auto refusal = detail::not_a_regular_file(path)) {
                result.error = std::move(*refusal);
                co_return result;
            }
        }
        error_code open_error;
        auto const part_file = detail::PartFile::open(part_path, executor, pool, open_error);
        if (!part_file) {
            result.error = open_failure(part_path, open_error);
            co_return result;
        }
        Part part{*part_file, part_path, record_path, task_id, url, std::nullopt};
        if (auto text = detail::read_small_file(record_path)) {
            part.record = detail::parse_part_record(*text);
        }
        // A part that cannot be continued is emptied for the next attempt: false (with the
        // reason in the result) when even that fails.
        auto const started_over = [&]() -> asio::awaitable<bool> {
            if (auto const error = co_await part.start_over()) {
                result.error = fmt::format("cannot empty {}: {}", part_path.string(), error.message());
                co_return false;
            }
            co_return true;
        };
        bool const ours = part.record && detail::belongs_to(*part.record, task_id, url) && part_file->size() > 0;
        if (!ours && !co_await started_over()) { // another task's or URL's part, or one without a record
            co_return result;
        }
        // What the file will be called decides what it must look like (it is named after the URL's).
        std::string const dotted = target.extension().string();
        std::string const extension = util::ascii_lower(std::string_view(dotted).substr(dotted.empty() ? 0 : 1));
        int failures = 0;
        int redirects = 0;
        std::string why;
        while (failures < options.max_attempts) {
            if (stopped) {
                result.error = "stopped; the partial file is kept for the next run";
                co_return result;
            }
            net::HttpRequest request;
            request.url = url;
            part.continue_with(request);
            PartSink sink(part, extension, options.max_bytes, stats.bytes, stopped);
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
            if (sink.failure) {
                result.error = fmt::format("cannot write {}: {}", part_path.string(), sink.failure.message());
                co_return result;
            }
            std::optional<std::string> rejected = sink.rejected;
            if (!rejected && sink.accepted && !outcome.error) {
                if (!(rejected = check_lengths(sink, part_file->size()))) {
                    rejected = co_await finish(*part_file, part, target, extension, sink.digests, result);
                    if (!rejected) {
                        result.resumed = result.resumed || sink.resumed;
                        stats.resumes += sink.resumed ? 1 : 0;
                        co_return result; // whole and in place, or a file error in the result
                    }
                }
            }
            if (rejected) { // not the result, or not where the part ends: retried from byte 0
                why = std::move(*rejected);
                ++stats.rejected;
                if (!co_await started_over()) {
                    co_return result;
                }
                co_await pause(++failures);
                continue;
            }
            if (sink.too_large || outcome.error == net::NetErrc::body_too_large) {
                result.error = fmt::format("the file is larger than the cap of {} bytes", options.max_bytes);
                co_return result;
            }
            if (sink.accepted) { // the body broke off: continued with a Range when the part has a record
                why = outcome.detail;
                if (!part.record && !co_await started_over()) {
                    co_return result;
                }
                co_await pause(++failures);
                continue;
            }
            if (status == 416) {
                if (!co_await started_over()) { // the part does not fit the file any more
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

    // Checks the finished part and makes it the result file: durable, hashed, what the server
    // declared, the start of its kind of video, renamed. Why it is not the result (the part is
    // then started over and the download retried), or nothing: `result` is then ok, or holds a
    // file error. Everything by reference: the caller's frame outlives this one (and GCC 12
    // mishandles class-type by-value parameters of coroutines called inside co_await
    // expressions).
    asio::awaitable<std::optional<std::string>> finish(detail::PartFile& part_file, Part const& part,
                                                       fs::path const& target, std::string const& extension,
                                                       std::vector<detail::DeclaredDigest> const& digests,
                                                       DownloadResult& result) {
        try {
            auto const sealed = co_await part_file.seal();
            if (auto why = detail::check_digests(digests, sealed.sha256)) {
                co_return why;
            }
            if (auto why = detail::check_magic(extension, sealed.head)) {
                co_return why;
            }
            part_file.close();
            co_await util::offload(pool, [&] { publish(part_file, part.path, part.record_path, target); });
            result.sha256 = sealed.sha256;
            result.bytes = part_file.size();
        } catch (std::exception const& e) {
            result.error = fmt::format("cannot keep {}: {}", target.string(), e.what());
            co_return std::nullopt;
        }
        result.ok = true;
        ++stats.files;
        co_return std::nullopt;
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

asio::awaitable<DownloadResult> Downloader::fetch(std::string task_id, std::string url, fs::path target) {
    return m_impl->fetch(std::move(task_id), std::move(url), std::move(target));
}

DownloadStats Downloader::stats() const noexcept { return m_impl->stats; }

asio::awaitable<bool> Downloader::intact(fs::path file, std::string sha256) {
    error_code error;
    detail::Fd const fd = detail::open_regular(file, O_RDONLY, error);
    if (error) {
        co_return false; // missing, or a link planted where our result was: downloaded again
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
