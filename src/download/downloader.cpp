#include "evobatch/download/downloader.hpp"

#include "download_fsm.hpp"
#include "part_file.hpp"
#include "part_record.hpp"

#include "evobatch/net/error.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/util/offload.hpp"
#include "evobatch/util/sha256.hpp"
#include "evobatch/util/text.hpp"
#include "evobatch/util/wait_queue.hpp"

#include <boost/asio/error.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace evobatch::download {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using boost::system::error_code;

namespace {

// The part of one download: the file, its record (written for an answer that can be continued,
// before the part's first new byte; removed before the part is emptied). What the record says
// is the DownloadFsm's to know.
struct Part {
    std::shared_ptr<detail::PartFile> file;
    fs::path path;
    fs::path record_path;
    bool emptied_unsynced = false; // bytes were dropped and the empty part is not on disk yet

    // Removes the record and empties the part: nothing of it will be continued. Only when
    // settled; a sync() must follow before a new record is written.
    error_code forget() {
        std::error_code ignored;
        fs::remove(record_path, ignored); // a link is removed, never followed; gone already is fine
        if (file->size() == 0) {
            return {};
        }
        emptied_unsynced = true;
        return file->truncate();
    }

    // The empty part on disk before a record of other bytes: a power loss must not leave the
    // old bytes under a new record. Only after forget(), and only when bytes were dropped.
    asio::awaitable<error_code> sync() {
        if (!emptied_unsynced) {
            co_return error_code{};
        }
        emptied_unsynced = false;
        co_return co_await file->sync();
    }

    asio::awaitable<error_code> start_over() {
        if (auto const error = forget()) {
            co_return error;
        }
        co_return co_await sync();
    }
};

// Streams an answer's body to the part; the DownloadFsm decides from the head whether the
// answer may be the result file at all, and whether it continues the part (206) or replaces
// it (200).
class PartSink final : public net::BodySink {
public:
    PartSink(Part& part, detail::DownloadFsm& fsm, std::uint64_t max_bytes, std::uint64_t& counter,
             bool const& stopped)
        : m_part(part), m_fsm(fsm), m_max(max_bytes), m_counter(counter), m_stopped(stopped) {}

    bool on_head(net::HttpResponse const& head) override {
        auto const action = m_fsm.resume(detail::ev::HeadReceived{&head}, detail::DownloadClock::now());
        if (action.type != detail::DownloadActionType::take_body) {
            return false; // before the part is touched: an error page never costs what we have
        }
        m_new_record = action.record; // written with the first byte (on_body)
        if (action.replace) {
            failure = m_part.forget();
        }
        return !failure;
    }

    asio::awaitable<error_code> on_body(std::vector<char>& buffer, std::size_t size) override {
        if (m_stopped) {
            co_return boost::asio::error::operation_aborted;
        }
        if (m_part.file->size() + size > m_max) {
            co_return net::NetErrc::body_too_large;
        }
        if (m_new_record != nullptr) {
            auto const error = co_await m_part.sync();
            failure = error ? error
                            : detail::write_small_file(m_part.record_path, detail::to_text(*m_new_record));
            record_written = !failure;
            m_new_record = nullptr;
            if (failure) {
                co_return failure;
            }
        }
        m_counter += size;
        received += size;
        co_return co_await m_part.file->append(buffer, size);
    }

    std::uint64_t received = 0; // of this body
    bool record_written = false;
    error_code failure; // the part or its record could not be written

private:
    Part& m_part;
    detail::DownloadFsm& m_fsm;
    std::uint64_t m_max;
    std::uint64_t& m_counter;
    bool const& m_stopped;
    detail::PartRecord const* m_new_record = nullptr; // the FSM's, until the body's first byte
};
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
        : executor(ex), pool(worker_pool), options(std::move(opts)), client(ex, tls, client_options(options)),
          slots(ex, options.concurrency), stopping(ex) {}

    static net::ClientOptions client_options(DownloadOptions const& o) {
        net::ClientOptions c;
        c.max_connections_per_host = std::max<std::size_t>(1, o.concurrency);
        c.user_agent = o.user_agent;
        return c;
    }

    // Until `until`, or until stop() cuts the wait short; after stop() not at all (a body that
    // stop() broke off is a failed attempt: its back-off held a stopped fetch up to 10 s).
    asio::awaitable<void> pause(detail::TimePoint until) {
        if (stopped) {
            co_return;
        }
        co_await stopping.wait(until); // stop() wakes it
    }

    // A thin loop: the DownloadFsm decides, this performs and reports back (download_fsm.hpp).
    asio::awaitable<DownloadResult> fetch(std::string task_id, std::string url, fs::path target) {
        using Type = detail::DownloadActionType;
        DownloadResult result;
        result.file = target;
        auto const slot = co_await slots.acquire(); // one of `concurrency`, in arrival order
        if (!slot) {
            result.error = "cancelled while waiting for a download slot";
            co_return result;
        }
        detail::DownloadFsm fsm(fsm_config(task_id, url, target));
        Part part{nullptr, detail::part_path(target), detail::record_path(target)};
        detail::PartFile::Sealed sealed;
        detail::DownloadEvent event = detail::ev::Start{};
        while (true) {
            auto const action = fsm.resume(event, detail::DownloadClock::now());
            switch (action.type) {
            case Type::open_part: event = open_part(part, target); break;
            case Type::empty_part:
                stats.rejected += action.rejected ? 1 : 0;
                event = detail::ev::PartEmptied{co_await part.start_over()};
                break;
            case Type::send_request:
                if (stopped) {
                    event = detail::ev::Stopped{};
                } else {
                    event = co_await exchange(part, fsm, action);
                }
                break;
            case Type::sleep_until:
                co_await pause(action.until);
                event = detail::ev::Slept{};
                break;
            case Type::verify: event = co_await seal(part, sealed); break;
            case Type::commit: event = co_await commit(part, target, sealed, result); break;
            case Type::done:
                result.ok = action.ok;
                result.expired = action.expired;
                result.resumed = action.resumed;
                result.error = action.reason;
                stats.files += action.ok ? 1 : 0;
                stats.resumes += action.resumed ? 1 : 0;
                co_return result;
            case Type::take_body:
            case Type::refuse_body: throw std::logic_error("download: a head's verdict outside an exchange");
            }
        }
    }

    detail::DownloadFsmConfig fsm_config(std::string const& task_id, std::string const& url, fs::path const& target) const {
        // What the file will be called decides what it must look like (it is named after the URL's).
        std::string const dotted = target.extension().string();
        return {task_id,
                url,
                detail::part_path(target).string(),
                target.string(),
                util::ascii_lower(std::string_view(dotted).substr(dotted.empty() ? 0 : 1)),
                options.max_attempts,
                options.max_redirects,
                options.first_backoff,
                options.max_bytes};
    }

    // The folder made, no link or odd file in the way, the part open and its record read.
    detail::DownloadEvent open_part(Part& part, fs::path const& target) {
        std::error_code fs_error;
        fs::create_directories(target.parent_path(), fs_error);
        for (fs::path const& path : {target, part.path, part.record_path}) {
            if (auto refusal = detail::not_a_regular_file(path)) {
                return detail::ev::PartRefused{std::move(*refusal)};
            }
        }
        error_code open_error;
        part.file = detail::PartFile::open(part.path, executor, pool, open_error);
        if (!part.file) {
            return detail::ev::PartRefused{open_failure(part.path, open_error)};
        }
        detail::ev::PartOpened opened{part.file->size(), std::nullopt};
        if (auto text = detail::read_small_file(part.record_path)) {
            opened.record = detail::parse_part_record(*text);
        }
        return opened;
    }

    // One GET, its body streamed to the part (the head decided by the FSM, see PartSink), and
    // every piece written. By reference: see finish's note below on GCC 12.
    asio::awaitable<detail::DownloadEvent> exchange(Part& part, detail::DownloadFsm& fsm,
                                                    detail::DownloadAction const& action) {
        net::HttpRequest request;
        request.url = action.url;
        if (action.range_from) {
            request.headers.emplace_back("range", fmt::format("bytes={}-", *action.range_from));
            request.headers.emplace_back("if-range", action.if_range);
        }
        PartSink sink(part, fsm, options.max_bytes, stats.bytes, stopped);
        ++stats.attempts;
        auto outcome = co_await client.stream(std::move(request), sink, options.idle_timeout);
        if (auto const write_error = co_await part.file->settle(); write_error && !sink.failure) {
            sink.failure = write_error;
            outcome.error = write_error; // the body is not whole on disk
        }
        co_return detail::ev::ResponseEnded{outcome.answered(), outcome.error,          std::move(outcome.detail),
                                            sink.failure,       sink.received,          part.file->size(),
                                            sink.record_written};
    }

    // The finished part fsync'ed and hashed, with its first bytes, for the FSM's checks.
    // Everything by reference: the caller's frame outlives this one (and GCC 12 mishandles
    // class-type by-value parameters of coroutines called inside co_await expressions).
    asio::awaitable<detail::DownloadEvent> seal(Part& part, detail::PartFile::Sealed& sealed) {
        try {
            sealed = co_await part.file->seal();
        } catch (std::exception const& e) {
            co_return detail::ev::KeepFailed{e.what()};
        }
        co_return detail::ev::Sealed{sealed.sha256, sealed.head};
    }

    // The checked part made the result file (publish), its hash and size in `result`.
    asio::awaitable<detail::DownloadEvent> commit(Part& part, fs::path const& target,
                                                  detail::PartFile::Sealed const& sealed, DownloadResult& result) {
        try {
            part.file->close();
            co_await util::offload(pool, [&] { publish(*part.file, part.path, part.record_path, target); });
        } catch (std::exception const& e) {
            co_return detail::ev::KeepFailed{e.what()};
        }
        result.sha256 = sealed.sha256;
        result.bytes = part.file->size();
        co_return detail::ev::Committed{};
    }

    asio::any_io_executor executor;
    asio::thread_pool& pool;
    DownloadOptions options;
    net::HttpsClient client;
    DownloadStats stats;
    util::Slots slots;
    bool stopped = false;
    util::WaitQueue stopping; // backoff waits, ended by stop()
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
    m_impl->stopping.notify_all();
}

} // namespace evobatch::download
