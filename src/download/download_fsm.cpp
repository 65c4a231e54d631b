#include "download_fsm.hpp"

#include "response_checks.hpp"

#include "evobatch/net/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>

namespace evobatch::download::detail {

namespace {

constexpr char const* k_event_names[] = {"start",         "part_opened",    "part_refused", "part_emptied",
                                         "stopped",       "head_received",  "response_ended", "sealed",
                                         "committed",     "keep_failed",    "slept"};
static_assert(std::size(k_event_names) == std::variant_size_v<DownloadEvent>);

DownloadAction action(DownloadActionType type) {
    DownloadAction a;
    a.type = type;
    return a;
}

} // namespace

std::string_view to_string(DownloadFsm::State state) noexcept {
    switch (state) {
    case DownloadFsm::State::start: return "start";
    case DownloadFsm::State::opening: return "opening";
    case DownloadFsm::State::emptying: return "emptying";
    case DownloadFsm::State::requesting: return "requesting";
    case DownloadFsm::State::receiving: return "receiving";
    case DownloadFsm::State::sleeping: return "sleeping";
    case DownloadFsm::State::verifying: return "verifying";
    case DownloadFsm::State::committing: return "committing";
    case DownloadFsm::State::finished: return "finished";
    }
    return "?";
}

std::string_view to_string(DownloadActionType type) noexcept {
    switch (type) {
    case DownloadActionType::open_part: return "open_part";
    case DownloadActionType::empty_part: return "empty_part";
    case DownloadActionType::send_request: return "send_request";
    case DownloadActionType::take_body: return "take_body";
    case DownloadActionType::refuse_body: return "refuse_body";
    case DownloadActionType::sleep_until: return "sleep_until";
    case DownloadActionType::verify: return "verify";
    case DownloadActionType::commit: return "commit";
    case DownloadActionType::done: return "done";
    }
    return "?";
}

DownloadFsm::DownloadFsm(DownloadFsmConfig config) : m_config(std::move(config)), m_url(m_config.url) {}

DownloadAction DownloadFsm::resume(DownloadEvent const& event, TimePoint now) {
    switch (m_state) {
    case State::start:
        if (std::holds_alternative<ev::Start>(event)) {
            m_state = State::opening;
            return action(DownloadActionType::open_part);
        }
        break;
    case State::opening:
        if (auto const* e = std::get_if<ev::PartOpened>(&event)) {
            return on_opened(*e, now);
        }
        if (auto const* e = std::get_if<ev::PartRefused>(&event)) {
            return finish(e->reason);
        }
        break;
    case State::emptying:
        if (auto const* e = std::get_if<ev::PartEmptied>(&event)) {
            return on_emptied(*e, now);
        }
        break;
    case State::requesting:
        if (std::holds_alternative<ev::Stopped>(event)) {
            return finish("stopped; the partial file is kept for the next run");
        }
        if (auto const* e = std::get_if<ev::HeadReceived>(&event)) {
            m_state = State::receiving;
            return on_head(*e->head);
        }
        if (auto const* e = std::get_if<ev::ResponseEnded>(&event); e && !e->answered) {
            return on_ended(*e, now);
        }
        break;
    case State::receiving:
        if (auto const* e = std::get_if<ev::ResponseEnded>(&event); e && e->answered) {
            return on_ended(*e, now);
        }
        break;
    case State::sleeping:
        if (std::holds_alternative<ev::Slept>(event)) {
            return next_attempt();
        }
        break;
    case State::verifying:
        if (auto const* e = std::get_if<ev::Sealed>(&event)) {
            return on_sealed(*e, now);
        }
        if (auto const* e = std::get_if<ev::KeepFailed>(&event)) {
            return keep_failed(*e);
        }
        break;
    case State::committing:
        if (std::holds_alternative<ev::Committed>(event)) {
            auto done = finish({});
            done.ok = true;
            done.resumed = m_answer.resumed;
            return done;
        }
        if (auto const* e = std::get_if<ev::KeepFailed>(&event)) {
            return keep_failed(*e);
        }
        break;
    case State::finished: break;
    }
    unexpected(k_event_names[event.index()]);
}

DownloadAction DownloadFsm::on_opened(ev::PartOpened const& e, TimePoint) {
    m_part_size = e.size;
    m_record = e.record;
    bool const ours = m_record && belongs_to(*m_record, m_config.task_id, m_config.url) && m_part_size > 0;
    if (!ours) { // another task's or URL's part, or one without a record
        return empty(AfterEmpty::send, false);
    }
    return next_attempt();
}

DownloadAction DownloadFsm::on_emptied(ev::PartEmptied const& e, TimePoint now) {
    if (e.error) {
        return finish(fmt::format("cannot empty {}: {}", m_config.part, e.error.message()));
    }
    m_record.reset();
    m_part_size = 0;
    return m_after_empty == AfterEmpty::send ? next_attempt() : back_off(now);
}

// The head decides whether the answer may be the result file at all, and whether it continues
// the part (206) or replaces it (200). Refused before the part is touched: an error page never
// costs what we have.
DownloadAction DownloadFsm::on_head(net::HttpResponse const& head) {
    Answer& a = m_answer;
    a.status = head.status;
    if (head.status != 200 && head.status != 206) {
        if (auto const where = head.header("location")) {
            a.location = std::string(*where);
        }
        return action(DownloadActionType::refuse_body);
    }
    if ((a.rejected = check_response(head, m_config.extension))) {
        return action(DownloadActionType::refuse_body);
    }
    a.content_length = content_length(head);
    if (head.status == 200) {
        a.expected = a.content_length;
        if (!fits(a.expected)) {
            return action(DownloadActionType::refuse_body);
        }
        a.digests = declared_sha256(head.headers, true);
        if (auto validator = validator_of(head)) { // else never continued: a later attempt starts over
            a.new_record = PartRecord{m_config.task_id, m_config.url, std::move(*validator), a.expected, a.digests};
        }
        m_record.reset(); // the part is emptied; the new record comes with the first byte
        m_part_size = 0;
        auto take = action(DownloadActionType::take_body);
        take.replace = true;
        take.record = a.new_record ? &*a.new_record : nullptr;
        return take;
    }
    if (!m_record || m_part_size == 0) {
        a.rejected = "a 206 answer to a request for the whole file";
        return action(DownloadActionType::refuse_body);
    }
    if ((a.rejected = check_continuation(head, *m_record, m_part_size))) {
        return action(DownloadActionType::refuse_body);
    }
    a.expected = net::parse_content_range(*head.header("content-range"))->total;
    a.digests = m_record->digests; // what the first answer declared, and what this one does
    auto more = declared_sha256(head.headers, false);
    a.digests.insert(a.digests.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    a.resumed = true;
    return action(fits(a.expected) ? DownloadActionType::take_body : DownloadActionType::refuse_body);
}

DownloadAction DownloadFsm::on_ended(ev::ResponseEnded const& e, TimePoint now) {
    if (!e.answered) {
        m_why = e.detail;
        if (e.error == net::NetErrc::insecure_url || e.error == net::NetErrc::bad_url) {
            return give_up(); // a redirect to plain http, or no URL at all: never retried
        }
        return back_off(now);
    }
    Answer const& a = m_answer;
    m_part_size = e.part_size;
    if (e.record_written && a.new_record) {
        m_record = a.new_record;
    }
    if (e.write_failure) {
        return finish(fmt::format("cannot write {}: {}", m_config.part, e.write_failure.message()));
    }
    std::optional<std::string> rejected = a.rejected;
    if (!rejected && a.accepted && !e.error) {
        // Whole as the answer declared it, and the file it declared: then the part's own checks.
        if (a.content_length && e.received != *a.content_length) {
            rejected = fmt::format("the answer declared {} bytes and sent {}", *a.content_length, e.received);
        } else if (a.expected && m_part_size != *a.expected) {
            rejected = fmt::format("got {} bytes, expected {}", m_part_size, *a.expected);
        } else {
            m_state = State::verifying;
            return action(DownloadActionType::verify);
        }
    }
    if (rejected) { // not the result, or not where the part ends: retried from byte 0
        return reject(std::move(*rejected));
    }
    if (a.too_large || e.error == net::NetErrc::body_too_large) {
        return finish(fmt::format("the file is larger than the cap of {} bytes", m_config.max_bytes));
    }
    if (a.accepted) { // the body broke off: continued with a Range when the part has a record
        m_why = e.detail;
        return m_record ? back_off(now) : empty(AfterEmpty::back_off, false);
    }
    if (a.status == 416) { // the part does not fit the file any more
        m_why = "the server did not continue where the partial file ends";
        return empty(AfterEmpty::back_off, false);
    }
    if (a.status >= 300 && a.status < 400 && a.location) {
        auto next = net::redirect_target(m_url, *a.location);
        if (!next || ++m_redirects > m_config.max_redirects) {
            return finish(next ? "too many redirects" : "a redirect to an unusable location");
        }
        m_url = std::move(*next);
        return next_attempt();
    }
    if (a.status == 403 || a.status == 404 || a.status == 410) {
        return finish(fmt::format("the result link answers {}: it has expired or is gone", a.status), true);
    }
    if (a.status == 429 || a.status >= 500) {
        m_why = fmt::format("HTTP {}", a.status);
        return back_off(now);
    }
    return finish(fmt::format("the result link answers HTTP {}", a.status));
}

DownloadAction DownloadFsm::on_sealed(ev::Sealed const& e, TimePoint) {
    if (auto why = check_digests(m_answer.digests, e.sha256)) {
        return reject(std::move(*why));
    }
    if (auto why = check_magic(m_config.extension, e.first_bytes)) {
        return reject(std::move(*why));
    }
    m_state = State::committing;
    return action(DownloadActionType::commit);
}

// The head of the loop: another attempt while any are left.
DownloadAction DownloadFsm::next_attempt() { return m_failures >= m_config.max_attempts ? give_up() : send(); }

DownloadAction DownloadFsm::give_up() {
    return finish(fmt::format("gave up after {} attempts: {}", m_failures, m_why.empty() ? "no reason given" : m_why));
}

// The file was checked whole and could not be kept: a file error, not retried.
DownloadAction DownloadFsm::keep_failed(ev::KeepFailed const& e) {
    auto done = finish(fmt::format("cannot keep {}: {}", m_config.target, e.what));
    done.resumed = m_answer.resumed;
    return done;
}

DownloadAction DownloadFsm::send() {
    m_state = State::requesting;
    m_answer = Answer{};
    auto send = action(DownloadActionType::send_request);
    send.url = m_url;
    if (m_part_size > 0 && m_record) { // Range from the part's end, If-Range with its validator
        send.range_from = m_part_size;
        send.if_range = m_record->validator.value;
    }
    return send;
}

DownloadAction DownloadFsm::empty(AfterEmpty then, bool rejected) {
    m_state = State::emptying;
    m_after_empty = then;
    auto empty = action(DownloadActionType::empty_part);
    empty.rejected = rejected;
    return empty;
}

DownloadAction DownloadFsm::back_off(TimePoint now) {
    ++m_failures;
    auto const wait = m_config.first_backoff * (1 << std::min(m_failures - 1, 10));
    m_state = State::sleeping;
    auto sleep = action(DownloadActionType::sleep_until);
    sleep.until = now + std::min<DownloadClock::duration>(wait, k_max_download_backoff);
    return sleep;
}

DownloadAction DownloadFsm::reject(std::string why) {
    m_why = std::move(why);
    return empty(AfterEmpty::back_off, true);
}

DownloadAction DownloadFsm::finish(std::string reason, bool expired) {
    m_state = State::finished;
    auto done = action(DownloadActionType::done);
    done.reason = std::move(reason);
    done.expired = expired;
    return done;
}

bool DownloadFsm::fits(std::optional<std::uint64_t> total) {
    m_answer.too_large = total && *total > m_config.max_bytes;
    m_answer.accepted = !m_answer.too_large;
    return m_answer.accepted;
}

void DownloadFsm::unexpected(char const* event) const {
    throw std::logic_error(fmt::format("download: event {} in state {}", event, to_string(m_state)));
}

} // namespace evobatch::download::detail
