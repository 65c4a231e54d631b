#pragma once
// LedgerWriter: the one writer of a batch's ledger (design.md "Ledger"). Appends event lines in
// call order and makes them durable with group commit: while one write()+fdatasync() runs on
// the worker pool, lines appended meanwhile gather into the next group, so a thousand jobs
// awaiting durability cost a handful of fsyncs. An exclusive flock keeps other runs out.
//
// Thread safety: every member is called on the io thread (the io_context runs on one thread);
// only the write and the fdatasync run on the pool.

#include "evobatch/ledger/error.hpp"
#include "evobatch/ledger/event.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>

namespace boost::asio {
class thread_pool;
} // namespace boost::asio

namespace evobatch::ledger {

class LedgerWriter {
public:
    // Creates the parent folders, opens (creates) `path` for append (O_CLOEXEC) and takes an
    // exclusive non-blocking flock. Throws LedgerBusy when another process, or another open of
    // the file in this one (flock is per open file description), holds the lock;
    // std::runtime_error with the system's reason for other failures. Runs synchronously.
    //
    // A file left by a crash may end in a torn line. Now that we hold the lock, that tail is
    // repaired before anything is appended, so new lines never glue onto it: a tail that parses
    // as a whole event (only its '\n' was lost) gets its '\n'; otherwise it is cut off (it was
    // never reported durable) and stats().dropped_tail_bytes says how much. A last line that
    // does not even start like one of ours (`{"v":`) means this is not a ledger: we throw rather
    // than touch it.
    LedgerWriter(std::filesystem::path path, boost::asio::any_io_executor io, boost::asio::thread_pool& pool);
    // Releases the lock and the file. Co_await close() first: lines not yet durable are lost,
    // and a group commit still running keeps the file open until it ends.
    ~LedgerWriter();
    LedgerWriter(LedgerWriter const&) = delete;
    LedgerWriter& operator=(LedgerWriter const&) = delete;

    // Appends `event` and completes, on the io thread, once its line is written and
    // fdatasync'ed (with its whole group). Errors: LedgerErrc::moved when the path no longer
    // names the file (checked after each group; see rescued()); the write's or fdatasync's errno (every
    // waiter of a failed group gets it, and every later append fails fast with it: after a
    // failed fsync the file's state is unknown, so nothing more is written); LedgerErrc::closed
    // once close() has begun. Never throws for I/O. Not cancellable: once the event is appended
    // the wait ignores cancellation and completes within two group commits. (Asio's own rule
    // still applies at the call: co_await in a coroutine already cancelled throws
    // operation_aborted before anything is appended, unless it set throw_if_cancelled(false),
    // as job cleanup does, style.md §5.)
    boost::asio::awaitable<boost::system::error_code> append_durable(Event event);

    // Appends `event` without waiting; it becomes durable with the next group (for `progress`).
    // Returns the sticky write error or LedgerErrc::closed when the event was not taken.
    boost::system::error_code append(Event event);

    // Completes when everything appended so far is durable; yields the sticky write error, if any.
    boost::asio::awaitable<boost::system::error_code> flush();

    // Refuses new appends (LedgerErrc::closed), flushes, waits for the group commit to stop and
    // releases the lock. Yields flush()'s result. Calling it again is harmless.
    boost::asio::awaitable<boost::system::error_code> close();

    struct Stats {
        std::uint64_t events = 0;             // events durable in the file
        std::uint64_t bytes = 0;              // bytes written
        std::uint64_t fsyncs = 0;             // fdatasync() calls, one per group
        std::uint64_t writes = 0;             // write() calls: one per group unless a write came back short
        std::uint64_t dropped_tail_bytes = 0; // torn tail cut off when the file was opened
    };
    Stats stats() const;
    std::filesystem::path const& path() const;

    // After LedgerErrc::moved (the path was deleted, renamed or replaced while the run wrote the
    // file): the copy of everything the run's file held, beside the path; nothing when there is
    // none (not moved, or the copy failed too, and those events are lost with the descriptor).
    std::optional<std::filesystem::path> rescued() const;

private:
    class Impl;
    // Shared with the group-commit coroutine, which keeps the file open while a write runs.
    std::shared_ptr<Impl> m_impl;
};

} // namespace evobatch::ledger
