#include "evobatch/ledger/ledger_writer.hpp"

#include "ledger_file.hpp"

#include "evobatch/util/offload.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/assert.hpp>

#include <deque>
#include <optional>
#include <exception>
#include <string>
#include <utility>
#include <vector>

namespace evobatch::ledger {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
using WaitHandler = asio::any_completion_handler<void(error_code)>;

} // namespace

// Events are numbered in append order. Waiters wait for a number (their own event, or the last
// one for flush), not for a group: the group an event lands in is decided by the committer, and
// a waiter that registers after its group was taken must still be woken by that group.
class LedgerWriter::Impl : public std::enable_shared_from_this<Impl> {
public:
    Impl(std::filesystem::path path, asio::any_io_executor io, asio::thread_pool& pool)
        : m_path(std::move(path)), m_io(std::move(io)), m_pool(pool), m_file(m_path) {
        m_stats.dropped_tail_bytes = m_file.dropped_tail_bytes();
    }

    error_code append(Event const& event) {
        if (m_closing) {
            return make_error_code(LedgerErrc::closed);
        }
        if (m_error) {
            return m_error;
        }
        append_json_line(event, m_pending);
        ++m_appended;
        start_committer();
        return {};
    }

    asio::awaitable<error_code> append_durable(Event event) {
        if (auto ec = append(event)) {
            co_return ec;
        }
        co_return co_await wait_durable(m_appended);
    }

    // A coroutine, not a forwarder: the target is read when the caller co_awaits, in the same
    // step as the waiter registers, which keeps m_waiters sorted.
    asio::awaitable<error_code> flush() { co_return co_await wait_durable(m_appended); }

    asio::awaitable<error_code> close() {
        m_closing = true;
        error_code const ec = co_await wait_durable(m_appended);
        if (m_committing) {
            // The committer is between its last group and its exit; it stops without another write.
            co_await asio::async_initiate<decltype(use_nothrow), void(error_code)>(
                [this](auto handler) { m_idle_waiters.emplace_back(std::move(handler)); }, use_nothrow);
        }
        BOOST_ASSERT(!m_committing);
        m_file.close();
        co_return ec;
    }

    Stats stats() const { return m_stats; }
    std::filesystem::path const& path() const { return m_path; }
    std::optional<std::filesystem::path> const& rescued() const { return m_rescued; }

private:
    struct Waiter {
        std::uint64_t target; // durable once m_durable reaches it
        WaitHandler handler;
    };

    asio::awaitable<error_code> wait_durable(std::uint64_t target) {
        if (m_error) {
            co_return m_error;
        }
        if (m_durable >= target) {
            co_return error_code{};
        }
        auto [ec] = co_await asio::async_initiate<decltype(use_nothrow), void(error_code)>(
            [this, target](auto handler) {
                BOOST_ASSERT(m_waiters.empty() || m_waiters.back().target <= target);
                m_waiters.push_back({target, WaitHandler(std::move(handler))});
            },
            use_nothrow);
        co_return ec;
    }

    // Completions are posted, never called here: a resumed coroutine may append or close while
    // we are still walking the list.
    void complete(WaitHandler handler, error_code ec) {
        asio::post(m_io, asio::append(std::move(handler), ec));
    }

    void start_committer() {
        if (m_committing) {
            return;
        }
        m_committing = true;
        // Owned by this Impl: m_committing says it runs, close() waits until it has stopped, and
        // the completion handler reports an escaped exception as the ledger's error.
        asio::co_spawn(m_io, commit_loop(shared_from_this()),
                       [self = shared_from_this()](std::exception_ptr e) {
                           if (e) {
                               self->on_committer_exception();
                           }
                       });
    }

    asio::awaitable<void> commit_loop([[maybe_unused]] std::shared_ptr<Impl> self) {
        // `self` keeps the file open and m_writing alive while a group is on the pool.
        while (!m_pending.empty() && !m_error) {
            m_writing.swap(m_pending);
            m_pending.clear();
            std::uint64_t const group_end = m_appended;
            detail::WriteOutcome outcome;
            try {
                outcome = co_await util::offload(
                    m_pool, [this, fd = m_file.fd(), data = std::string_view(m_writing)] {
                        detail::WriteOutcome written = detail::write_and_sync(fd, data);
                        // Durable, but in the file the path still names? A ledger deleted or
                        // replaced under the run would take these events with its descriptor:
                        // copy them beside it and stop, so the run stops submitting.
                        if (!written.ec && !detail::still_named(fd, m_path)) {
                            written.ec = make_error_code(LedgerErrc::moved);
                            m_rescued = detail::rescue_copy(fd, m_path);
                        }
                        return written;
                    });
            } catch (std::exception const&) {
                outcome.ec = make_error_code(boost::system::errc::not_enough_memory);
            }
            m_stats.writes += outcome.writes;
            m_stats.bytes += outcome.bytes;
            m_stats.fsyncs += outcome.synced ? 1 : 0;
            if (outcome.ec) {
                fail(outcome.ec);
                break;
            }
            m_stats.events += group_end - m_durable;
            m_durable = group_end;
            while (!m_waiters.empty() && m_waiters.front().target <= m_durable) {
                complete(std::move(m_waiters.front().handler), {});
                m_waiters.pop_front();
            }
            // Let the coroutines just woken append their next events before the next group is
            // taken. Without this yield the group right after a big one holds only what trickled
            // in during the fsync, and groups alternate big/small, doubling the fsyncs.
            co_await asio::post(m_io, asio::use_awaitable);
        }
        stop_committer();
    }

    // A failed write or fsync: the file's state past the last durable group is unknown, so
    // everything not yet durable fails with the same error and nothing more is written.
    void fail(error_code ec) {
        m_error = ec;
        m_pending.clear();
        while (!m_waiters.empty()) {
            complete(std::move(m_waiters.front().handler), ec);
            m_waiters.pop_front();
        }
    }

    void stop_committer() {
        m_committing = false;
        for (auto& handler : std::exchange(m_idle_waiters, {})) {
            complete(std::move(handler), {});
        }
    }

    void on_committer_exception() {
        if (!m_committing) {
            return; // it had already stopped cleanly; the exception came after
        }
        fail(make_error_code(boost::system::errc::io_error));
        stop_committer();
    }

    std::filesystem::path m_path;
    asio::any_io_executor m_io;
    asio::thread_pool& m_pool;
    detail::LedgerFile m_file;
    std::string m_pending;        // lines of the next group
    std::string m_writing;        // the group on the pool; the io thread leaves it alone meanwhile
    std::uint64_t m_appended = 0; // events appended
    std::uint64_t m_durable = 0;  // events durable (a prefix of those appended)
    std::deque<Waiter> m_waiters; // ascending targets: appends and flushes come in order
    std::vector<WaitHandler> m_idle_waiters;
    error_code m_error; // sticky: the first failed write or fsync
    // Where the events went when the path stopped naming our file (LedgerErrc::moved). Written
    // on the pool before the group completes, read on the io thread after: the offload orders them.
    std::optional<std::filesystem::path> m_rescued;
    bool m_closing = false;
    bool m_committing = false;
    Stats m_stats;
};

LedgerWriter::LedgerWriter(std::filesystem::path path, asio::any_io_executor io, asio::thread_pool& pool)
    : m_impl(std::make_shared<Impl>(std::move(path), std::move(io), pool)) {}

LedgerWriter::~LedgerWriter() = default;

asio::awaitable<error_code> LedgerWriter::append_durable(Event event) {
    return m_impl->append_durable(std::move(event));
}

error_code LedgerWriter::append(Event event) {
    return m_impl->append(event);
}

asio::awaitable<error_code> LedgerWriter::flush() {
    return m_impl->flush();
}

asio::awaitable<error_code> LedgerWriter::close() {
    return m_impl->close();
}

LedgerWriter::Stats LedgerWriter::stats() const {
    return m_impl->stats();
}

std::filesystem::path const& LedgerWriter::path() const {
    return m_impl->path();
}

std::optional<std::filesystem::path> LedgerWriter::rescued() const {
    return m_impl->rescued();
}

} // namespace evobatch::ledger
