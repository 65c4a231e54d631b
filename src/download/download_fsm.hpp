#pragma once
// What one result download does next, decided without I/O (issue 16 "Download FSM"): the
// retries, their backoff, range resumes under a part record, redirects, link expiry and the
// checks of an answer, as a state machine after Boost.MySQL's sansio_connection_node and
// Boost.Redis's exec_fsm. Downloader::fetch is the thin coroutine that performs each action
// and reports what came of it as the next event. The table is in ARCHITECTURE.md
// ("Download states"); tests/unit/download/test_download_fsm.cpp walks it.
//
// The machine keeps its own model of the part (its size and record, as the events report
// them), so that whether a request continues the part, and whether a 206 may be taken, is
// decided here. An event the current state does not expect is a bug: std::logic_error.

#include "digest_headers.hpp"
#include "part_record.hpp"

#include "evobatch/net/http_types.hpp"

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace evobatch::download::detail {

using DownloadClock = std::chrono::steady_clock;
using TimePoint = DownloadClock::time_point;

struct DownloadFsmConfig {
    std::string task_id;
    std::string url;       // the result URL as the task gave it
    std::string part;      // the part's path and the result's, for messages
    std::string target;
    std::string extension; // of the result's name, lower case without the dot: what the file must look like
    int max_attempts = 5;
    int max_redirects = 5;
    std::chrono::milliseconds first_backoff{500};
    std::uint64_t max_bytes = std::uint64_t{4} << 30;
};

inline constexpr std::chrono::seconds k_max_download_backoff{10};

// Events: what came of the last action.
namespace ev {
struct Start {};                    // before anything
struct PartOpened {                 // open_part: the part is open (created when missing)
    std::uint64_t size = 0;
    std::optional<PartRecord> record; // its .part.json, when one could be read
};
struct PartRefused {                // open_part: a link or odd file in the way, or no open
    std::string reason;
};
struct PartEmptied {                // empty_part: record removed, part truncated and synced
    boost::system::error_code error;
};
struct Stopped {};                  // send_request found the downloader stopped
struct HeadReceived {               // send_request: the answer's head, before its body
    net::HttpResponse const* head = nullptr;
};
struct ResponseEnded {              // send_request: the exchange is over
    bool answered = false;          // a head arrived (HeadReceived came first)
    boost::system::error_code error; // the body did not arrive whole, or nothing was answered
    std::string detail;             // the client's words for `error`
    boost::system::error_code write_failure; // the part or its record could not be written
    std::uint64_t received = 0;     // body bytes of this answer
    std::uint64_t part_size = 0;    // the part's size now, every piece written
    bool record_written = false;    // the record take_body asked for is on disk
};
struct Sealed {                     // verify: the part fsync'ed and hashed
    std::string sha256;
    std::string first_bytes;
};
struct Committed {};                // commit: renamed into place, folder synced
struct KeepFailed {                 // verify or commit threw
    std::string what;
};
struct Slept {};                    // sleep_until: the time came, or stop() cut it short
} // namespace ev

using DownloadEvent = std::variant<ev::Start, ev::PartOpened, ev::PartRefused, ev::PartEmptied, ev::Stopped,
                                   ev::HeadReceived, ev::ResponseEnded, ev::Sealed, ev::Committed,
                                   ev::KeepFailed, ev::Slept>;

enum class DownloadActionType : std::uint8_t {
    open_part,    // refuse links and odd files, open the part, read its record
    empty_part,   // forget the record, truncate the part, sync it
    send_request, // GET `url`, with Range/If-Range when `range_from` is set (unless stopped)
    take_body,    // (answer to a head) read the body; `replace`: empty the part first
    refuse_body,  // (answer to a head) close without reading the body
    sleep_until,  // back off until `until`
    verify,       // seal the part: fsync, SHA-256, first bytes
    commit,       // rename the part into place, remove the record, sync the folder
    done,         // ok, or failed for `reason` (`expired`: the link is gone)
};

struct DownloadAction {
    DownloadActionType type = DownloadActionType::done;
    std::string url;                        // send_request
    std::optional<std::uint64_t> range_from; // send_request: continue the part from this byte
    std::string if_range;                   // send_request with range_from: the record's validator
    bool replace = false;                   // take_body: a 200, the part starts over
    PartRecord const* record = nullptr;     // take_body: written before the body's first byte (null: none)
    bool rejected = false;                  // empty_part: an answer failed a check (counted)
    TimePoint until{};                      // sleep_until
    bool ok = false;                        // done
    bool expired = false;                   // done
    bool resumed = false;                   // done: the file was finished by a 206
    std::string reason;                     // done and not ok
};

class DownloadFsm {
public:
    enum class State : std::uint8_t { start, opening, emptying, requesting, receiving, sleeping, verifying, committing, finished };

    explicit DownloadFsm(DownloadFsmConfig config);

    // The next action after `event`, which must be one the current state expects.
    DownloadAction resume(DownloadEvent const& event, TimePoint now);

    [[nodiscard]] State state() const noexcept { return m_state; }
    [[nodiscard]] int failures() const noexcept { return m_failures; }
    [[nodiscard]] int redirects() const noexcept { return m_redirects; }
    [[nodiscard]] std::string const& url() const noexcept { return m_url; }
    [[nodiscard]] bool has_record() const noexcept { return m_record.has_value(); }

private:
    // What the head of the answer in progress said.
    struct Answer {
        int status = 0;
        std::optional<std::uint64_t> expected;       // the whole file's size, when the head said
        std::optional<std::uint64_t> content_length; // this body's
        std::vector<DeclaredDigest> digests;         // the whole file's SHA-256, as declared
        std::optional<std::string> location;
        std::optional<std::string> rejected; // why this answer is not (a piece of) the result
        std::optional<PartRecord> new_record; // of a 200 with a validator
        bool accepted = false;                // 200, or 206 continuing the part: the body is ours
        bool resumed = false;
        bool too_large = false;
    };
    enum class AfterEmpty : std::uint8_t { send, back_off };

    DownloadAction on_start();
    DownloadAction on_opened(ev::PartOpened const& e, TimePoint now);
    DownloadAction on_emptied(ev::PartEmptied const& e, TimePoint now);
    DownloadAction on_head(net::HttpResponse const& head);
    DownloadAction on_ended(ev::ResponseEnded const& e, TimePoint now);
    DownloadAction on_sealed(ev::Sealed const& e, TimePoint now);
    DownloadAction next_attempt();
    DownloadAction give_up();
    DownloadAction keep_failed(ev::KeepFailed const& e);
    DownloadAction send();
    DownloadAction empty(AfterEmpty then, bool rejected);
    DownloadAction back_off(TimePoint now);
    DownloadAction reject(std::string why);
    DownloadAction finish(std::string reason, bool expired = false);
    bool fits(std::optional<std::uint64_t> total);
    [[noreturn]] void unexpected(char const* event) const;

    DownloadFsmConfig m_config;
    State m_state = State::start;
    std::string m_url; // where the next request goes (after redirects)
    std::uint64_t m_part_size = 0;
    std::optional<PartRecord> m_record;
    int m_failures = 0;
    int m_redirects = 0;
    std::string m_why; // the last failed attempt's reason
    AfterEmpty m_after_empty = AfterEmpty::send;
    Answer m_answer;
};

std::string_view to_string(DownloadFsm::State state) noexcept;
std::string_view to_string(DownloadActionType type) noexcept;

} // namespace evobatch::download::detail
