#pragma once
// What the DownloadFsm tests (test_download_fsm*.cpp, a file per state) share: the printing of
// its enums, a task's file and answers to it, and machines driven to each state the ordinary way.

#include "download/download_fsm.hpp"

#include "evobatch/net/error.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace evobatch::download::detail {
inline std::ostream& operator<<(std::ostream& os, DownloadActionType t) { return os << to_string(t); }
inline std::ostream& operator<<(std::ostream& os, DownloadFsm::State s) { return os << to_string(s); }
} // namespace evobatch::download::detail

namespace download_fsm_test {

using namespace evobatch;
using namespace evobatch::download::detail;
using namespace std::chrono_literals;
using Type = DownloadActionType;
using State = DownloadFsm::State;
using boost::system::error_code;

std::string const k_task = "task-1";
std::string const k_url = "https://files.example.com/r/0.mp4";
std::string const k_etag = "\"v1\"";
std::string const k_sha = std::string(64, 'a');
std::string const k_mp4 = std::string("\0\0\0\x18" "ftypisom", 12);
TimePoint const k_now = TimePoint{} + 1000s;

inline DownloadFsmConfig config(int max_attempts = 3, int max_redirects = 2) {
    return {k_task, k_url, "/o/a.mp4.part", "/o/a.mp4", "mp4", max_attempts, max_redirects, 500ms, 1000};
}

inline net::HttpResponse head(int status, net::Headers headers = {}) {
    net::HttpResponse r;
    r.status = status;
    r.headers = std::move(headers);
    return r;
}

// A 200 of the whole 1000-byte file under k_etag.
inline net::HttpResponse whole(net::Headers more = {}) {
    net::Headers h{{"content-length", "1000"}, {"etag", k_etag}, {"content-type", "video/mp4"}};
    h.insert(h.end(), more.begin(), more.end());
    return head(200, std::move(h));
}

// A 206 of bytes [from, 999] of 1000 under `etag`.
inline net::HttpResponse rest(std::uint64_t from, std::string etag = k_etag) {
    return head(206, {{"content-range", "bytes " + std::to_string(from) + "-999/1000"},
                      {"content-length", std::to_string(1000 - from)},
                      {"etag", std::move(etag)}});
}

inline PartRecord record(std::string task = k_task, std::string url = k_url) {
    return {std::move(task), std::move(url), {Validator::Kind::etag, k_etag}, 1000, {}};
}

inline ev::ResponseEnded ended(std::uint64_t received, std::uint64_t part_size, bool record_written = false) {
    return {true, {}, "", {}, received, part_size, record_written};
}
inline ev::ResponseEnded cut(std::uint64_t received, std::uint64_t part_size, bool record_written = false) {
    return {true, net::NetErrc::timeout, "no byte for 30 s", {}, received, part_size, record_written};
}
inline ev::ResponseEnded unanswered(error_code error = net::NetErrc::timeout) {
    return {false, error, "connection refused", {}, 0, 0, false};
}

// A machine driven through `events` (each must be accepted); the last action.
struct Driven {
    DownloadFsm fsm;
    DownloadAction last;
    explicit Driven(DownloadFsmConfig c = config()) : fsm(std::move(c)) {}
    DownloadAction const& on(DownloadEvent const& e, TimePoint now = k_now) { return last = fsm.resume(e, now); }
};

// Fresh, opened with no part: the first request is about to go.
inline Driven requesting(DownloadFsmConfig c = config()) {
    Driven d(std::move(c));
    d.on(ev::Start{});
    d.on(ev::PartOpened{0, std::nullopt});
    d.on(ev::PartEmptied{});
    return d;
}

// A machine in each state, reached the ordinary way.
inline Driven in_state(State s) {
    Driven d;
    if (s == State::start) {
        return d;
    }
    d.on(ev::Start{});
    if (s == State::opening) {
        return d;
    }
    d.on(ev::PartOpened{0, std::nullopt});
    if (s == State::emptying) {
        return d;
    }
    d.on(ev::PartEmptied{});
    if (s == State::requesting) {
        return d;
    }
    if (s == State::sleeping) {
        d.on(unanswered());
        return d;
    }
    auto const h = whole();
    d.on(ev::HeadReceived{&h});
    if (s == State::receiving) {
        return d;
    }
    d.on(ended(1000, 1000, true));
    if (s == State::verifying) {
        return d;
    }
    d.on(ev::Sealed{k_sha, k_mp4});
    if (s == State::committing) {
        return d;
    }
    d.on(ev::Committed{});
    return d;
}

} // namespace download_fsm_test
