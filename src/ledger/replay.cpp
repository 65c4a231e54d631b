#include "evobatch/ledger/replay.hpp"

#include "line_parser.hpp"
#include "owned.hpp"
#include "torn_tail.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace evobatch::ledger {

namespace {

constexpr std::size_t k_chunk = std::size_t{1} << 20U; // replay_file's read size

// The start of a bad line, printable: enough to recognise it, never a whole 1 MiB line.
std::string excerpt(std::string_view line) {
    constexpr std::size_t k_max = 80;
    std::string out;
    for (char const c : line.substr(0, k_max)) {
        auto const u = static_cast<unsigned char>(c);
        if (u < 0x20U || u == 0x7FU) {
            out += fmt::format("\\x{:02x}", u);
        } else {
            out += c;
        }
    }
    return line.size() > k_max ? out + "..." : out;
}

[[noreturn]] void throw_bad_line(std::uint64_t line, std::uint64_t offset, std::string_view text,
                                 std::string_view reason) {
    std::string const shown = text.empty() ? std::string() : fmt::format("; it reads `{}`", excerpt(text));
    throw ReplayError(line,
                      fmt::format("line {} (byte {}) is not a ledger event: {}{}. The ledger is damaged "
                                  "there, or was written by a newer evobatch: keep the file as it is and "
                                  "ask for help rather than editing it (it is what stops a resumed run "
                                  "from paying twice)",
                                  line, offset, reason, shown));
}

std::optional<EventError> error_of(detail::EventView const& e) {
    std::optional<EventError> error;
    detail::own(e.error, error);
    return error;
}

// Folds events into per-job histories. It reads the parser's views and copies only what it
// keeps, so replaying costs an allocation per job rather than several per line.
class Builder {
public:
    void apply(detail::EventView const& e) {
        ++m_replay.events;
        if (e.type == EventType::batch) {
            m_replay.batches.push_back(
                {e.t_ms, std::string(e.manifest.value_or("")), std::string(e.digest.value_or(""))});
            return;
        }
        std::size_t const i = position(e.job);
        JobHistory& h = m_replay.jobs[i];
        std::uint64_t& count = m_request_events[i];
        if (count == 0) {
            h.req = e.req; // a job's first event
        } else if (h.req != e.req) {
            // The manifest changed this job: a new request, whose current attempt starts from
            // nothing; the earlier request's attempts stay (their credits and files are real).
            std::uint64_t const superseded = h.superseded_events + count;
            int const version = h.version + 1;
            keep_current_attempt(h);
            JobHistory next;
            next.job = std::move(h.job);
            next.earlier = std::move(h.earlier);
            h = std::move(next);
            h.req = e.req;
            h.version = version;
            h.superseded_events = superseded;
            count = 0;
        }
        if (count++ == 0) {
            h.first_t_ms = e.t_ms;
        }
        h.last_t_ms = e.t_ms;
        if (e.type == EventType::probed) {
            apply_probe(e);
        }
        apply_to(h, e);
    }

    Replay& replay() { return m_replay; }

    // The replay with its index: the job ids are final now.
    Replay finish() {
        m_replay.index.reserve(m_replay.jobs.size());
        for (std::size_t i = 0; i < m_replay.jobs.size(); ++i) {
            m_replay.index.emplace(m_replay.jobs[i].job, i);
        }
        m_replay.probe_index = std::move(m_probe_positions);
        return std::move(m_replay);
    }

private:
    // Job id -> position in `jobs` while replaying: open addressing in one array of
    // {hash, position}, so that a lookup costs a hash, a probe or two and a compare. The
    // public index (an unordered_map) costs a division and cache misses per lookup, and is
    // filled once, at the end, by finish(): looked up line by line, it took a fifth of replay's time.
    struct Slot {
        std::uint32_t hash = 0;
        std::uint32_t position = 0; // + 1; 0 for an empty slot
    };

    std::size_t position(std::string_view job) {
        if ((m_replay.jobs.size() + 1) * 2 > m_slots.size()) {
            grow();
        }
        auto const hash = static_cast<std::uint32_t>(std::hash<std::string_view>{}(job));
        std::size_t const mask = m_slots.size() - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            Slot& slot = m_slots[i];
            if (slot.position == 0) {
                slot = {hash, static_cast<std::uint32_t>(m_replay.jobs.size() + 1)};
                m_replay.jobs.emplace_back().job = job;
                m_request_events.push_back(0);
                return m_replay.jobs.size() - 1;
            }
            if (slot.hash == hash && m_replay.jobs[slot.position - 1].job == job) {
                return slot.position - 1;
            }
        }
    }

    void grow() {
        std::vector<Slot> old(std::max<std::size_t>(1024, m_slots.size() * 2));
        old.swap(m_slots);
        std::size_t const mask = m_slots.size() - 1;
        for (Slot const& slot : old) {
            if (slot.position == 0) {
                continue;
            }
            std::size_t i = slot.hash & mask;
            while (m_slots[i].position != 0) {
                i = (i + 1) & mask;
            }
            m_slots[i] = slot;
        }
    }

    // Moves the current attempt to `earlier` when it ever went out (a key or a task): an
    // attempt that is only a stray event of a new request made nothing.
    static void keep_current_attempt(JobHistory& h) {
        if (!h.key.empty() || !h.task.empty()) {
            h.earlier.push_back(static_cast<Attempt const&>(h));
        }
    }

    // A reconcile's evidence, when the event carries it (`span_from`): it replaces any earlier.
    static void keep_evidence(Attempt& a, detail::EventView const& e) {
        if (!e.span_from) {
            return;
        }
        ListEvidence evidence;
        evidence.verdict = e.verdict.value_or("");
        evidence.pages = e.pages.value_or(0);
        evidence.span_from = *e.span_from;
        evidence.span_to = e.span_to.value_or(*e.span_from);
        evidence.candidates = parse_candidates(e.candidates.value_or(""));
        a.listed = std::move(evidence);
    }

    // `adopted`: the attempt it names (its number and key) made task `task`. The current one
    // when it matches or the event names none, as a `submitted` is; an earlier attempt of the
    // job when that one matches (a forced resend moved on under the same key, a new number);
    // else the current one.
    static void adopt(JobHistory& h, detail::EventView const& e) {
        auto const names = [&](Attempt const& a) {
            return (!e.attempt || a.attempt == *e.attempt) && (!e.key || a.key == *e.key);
        };
        Attempt* target = &h;
        if (!names(h)) {
            auto const it = std::find_if(h.earlier.rbegin(), h.earlier.rend(),
                                         [&](Attempt const& a) { return a.req == h.req && names(a); });
            if (it != h.earlier.rend()) {
                target = &*it;
            }
        }
        Attempt& a = *target;
        a.phase = JobPhase::running;
        a.task = e.task.value_or("");
        a.credits = e.credits.value_or(0);
        a.submitted_t_ms = e.t_ms;
        a.finished_t_ms = 0;
        a.error.reset(); // the uncertainty it settles
        if (e.eta_s) {
            a.eta_s = e.eta_s;
        }
        if (e.progress) {
            a.progress = *e.progress;
        }
        keep_evidence(a, e);
    }

    static void apply_to(JobHistory& h, detail::EventView const& e) {
        switch (e.type) {
        case EventType::submitting:
            if (h.key != e.key.value_or("") || h.attempt != e.attempt.value_or(1)) {
                // A new attempt (a new key, or a resend the user forced under the old key, which
                // a server that forgot it answers with a second task): the last one is history now.
                keep_current_attempt(h);
            }
            // A new POST (a new attempt, or the same key sent again): what the last one left is void.
            h.phase = JobPhase::submitting;
            h.attempt = e.attempt.value_or(1);
            if (h.key != e.key.value_or("") || h.key_first_sent_t_ms == 0) {
                h.key_first_sent_t_ms = e.t_ms; // a server keeps a key from its first use
            }
            h.key = e.key.value_or("");
            h.task.clear();
            h.submitting_t_ms = e.t_ms;
            h.submitted_t_ms = 0;
            h.finished_t_ms = 0;
            h.progress = 0;
            h.eta_s.reset();
            h.credits = 0;
            h.results.clear();
            h.error.reset();
            h.downloads.clear();
            h.listed.reset();
            break;
        case EventType::submitted:
            h.phase = JobPhase::running;
            h.task = e.task.value_or("");
            h.credits = e.credits.value_or(0);
            h.eta_s = e.eta_s;
            h.submitted_t_ms = e.t_ms;
            if (e.progress) {
                h.progress = *e.progress;
            }
            break;
        case EventType::progress:
            if (e.progress) {
                h.progress = *e.progress;
            }
            break;
        case EventType::completed:
            h.phase = JobPhase::completed;
            h.results.assign(e.results.begin(), e.results.end());
            if (e.credits) {
                h.credits = *e.credits;
            }
            if (e.error) {
                h.error = error_of(e);
            }
            h.finished_t_ms = e.t_ms;
            h.progress = 100;
            break;
        case EventType::failed:
            h.phase = JobPhase::failed;
            h.error = error_of(e);
            if (e.task) {
                h.task = *e.task;
            }
            h.finished_t_ms = e.t_ms;
            break;
        case EventType::uncertain:
            // A reconcile that could not decide (evidence on the event) keeps when the create
            // was last heard of: the end of its span, for the next reconcile too.
            if (!e.span_from || h.phase != JobPhase::uncertain || h.finished_t_ms == 0) {
                h.finished_t_ms = e.t_ms;
            }
            h.phase = JobPhase::uncertain;
            h.error = error_of(e);
            if (e.task) {
                h.task = *e.task; // a task was made whose id no read can use (api/task_id.hpp)
            }
            keep_evidence(h, e);
            break;
        case EventType::unsent:
            h.phase = JobPhase::unsent;
            h.error = error_of(e);
            keep_evidence(h, e);
            break;
        case EventType::adopted:
            adopt(h, e);
            break;
        case EventType::downloaded:
            h.downloads.push_back({std::string(e.file.value_or("")), e.bytes.value_or(0),
                                   std::string(e.sha256.value_or("")), e.t_ms});
            break;
        case EventType::rejected: {
            int next = h.attempt;
            if (!h.key.empty() || !h.task.empty()) {
                // A new attempt judged before its create (a retry whose source broke): the
                // earlier one went out and stays; this one never had a key.
                next = h.attempt + 1;
                keep_current_attempt(h);
                Attempt fresh;
                fresh.req = h.req;
                fresh.version = h.version;
                static_cast<Attempt&>(h) = std::move(fresh);
            }
            h.attempt = e.attempt.value_or(next);
            h.phase = JobPhase::rejected;
            h.error = error_of(e);
            h.finished_t_ms = e.t_ms;
            break;
        }
        case EventType::probed:
            if (h.key.empty() && h.task.empty() && h.phase == JobPhase::submitting) {
                h.phase = JobPhase::probed; // the default phase: nothing else happened to this request yet
            }
            break;
        case EventType::batch:
            break; // handled by apply()
        }
    }

    void apply_probe(detail::EventView const& e) {
        std::string_view const url = e.url.value_or("");
        auto [it, added] = m_probe_positions.try_emplace(std::string(url), m_replay.probes.size());
        if (added) {
            m_replay.probes.emplace_back();
        }
        ProbeRecord& p = m_replay.probes[it->second];
        p.url = url;
        p.job = e.job;
        p.t_ms = e.t_ms;
        p.bytes = e.bytes.value_or(0);
        p.duration_ms = e.duration_ms;
        p.format = e.format.value_or("");
        p.etag = e.etag.value_or("");
        p.last_modified = e.last_modified.value_or("");
        p.verdict = e.verdict.value_or("");
        p.error = error_of(e);
        p.credits = e.credits;
    }

    Replay m_replay;
    std::vector<std::uint64_t> m_request_events; // per job: events about its current request
    std::vector<Slot> m_slots;                   // a power of two, at most half full
    std::unordered_map<std::string, std::size_t, Replay::IdHash, std::equal_to<>> m_probe_positions;
};

// Reads ledger text in pieces as they come: whole lines first, then what follows the last '\n'.
class Reader {
public:
    // `text` is empty or ends in '\n'.
    void lines(std::string_view text) {
        while (!text.empty()) {
            auto const newline = text.find('\n');
            line(text.substr(0, newline));
            text.remove_prefix(newline + 1);
        }
    }

    // `tail` is what follows the last '\n': nothing, an event that lost its '\n', or a torn line.
    Replay finish(std::string_view tail) {
        if (tail.empty()) {
            return m_builder.finish();
        }
        ++m_line;
        auto const ec = m_parser.parse(tail);
        if (!ec) {
            m_builder.apply(m_parser.view()); // only its '\n' was lost
        } else if (detail::could_be_our_line(tail)) { // as LedgerFile's tail repair decides
            // Never reported durable (its fdatasync never returned): no job relied on it.
            m_builder.replay().torn_tail_bytes = tail.size();
        } else {
            throw_bad_line(
                m_line, m_offset, tail,
                fmt::format("{}, and as the last line without a newline it is not one cut "
                            "short by a crash either (those start with {} and are shorter than 1 MiB)",
                            ec.message(), detail::k_line_start));
        }
        return m_builder.finish();
    }

private:
    void line(std::string_view text) {
        ++m_line;
        if (text.empty()) {
            // The writer never writes one (every line is a whole event, and repair adds a '\n'
            // only after a line), so something else touched the file.
            throw_bad_line(m_line, m_offset, text, "the line is empty");
        }
        if (auto const ec = m_parser.parse(text)) {
            throw_bad_line(m_line, m_offset, text, ec.message());
        }
        m_builder.apply(m_parser.view());
        m_offset += text.size() + 1;
    }

    Builder m_builder;
    detail::LineParser m_parser;
    std::uint64_t m_line = 0;   // 1-based number of the line being read
    std::uint64_t m_offset = 0; // byte offset of its start
};

} // namespace

std::string_view to_string(JobPhase phase) noexcept {
    switch (phase) {
    case JobPhase::submitting:
        return "submitting";
    case JobPhase::running:
        return "running";
    case JobPhase::completed:
        return "completed";
    case JobPhase::failed:
        return "failed";
    case JobPhase::uncertain:
        return "uncertain";
    case JobPhase::unsent:
        return "unsent";
    case JobPhase::rejected:
        return "rejected";
    case JobPhase::probed:
        return "probed";
    }
    return "unknown";
}

JobHistory const* Replay::find(std::string_view job) const {
    auto const it = index.find(job);
    return it == index.end() ? nullptr : &jobs[it->second];
}

ProbeRecord const* Replay::find_probe(std::string_view url) const {
    auto const it = probe_index.find(url);
    return it == probe_index.end() ? nullptr : &probes[it->second];
}

Replay replay_text(std::string_view text) {
    auto const last = text.rfind('\n');
    std::size_t const whole = last == std::string_view::npos ? 0 : last + 1;
    Reader reader;
    reader.lines(text.substr(0, whole));
    return reader.finish(text.substr(whole));
}

Replay replay_file(std::filesystem::path const& path) {
    auto const fail = [&](int err) {
        return ReplayError(0, fmt::format("cannot read {}: {}", path.string(), std::strerror(err)));
    };
    int fd = -1;
    do {
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (errno == ENOENT) {
            return {}; // no run has written it yet
        }
        throw fail(errno);
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } const closer{fd};
    // Read in chunks, not all at once: a buffer as big as the file costs a page fault per 4 KiB
    // (0.2 s for a 200 MiB ledger, a fifth of the budget, plus its size in RSS), while one
    // chunk reused stays in cache. A run may be appending meanwhile (`status` takes no lock):
    // we read to the end we find, and a line caught half-written is a torn tail.
    std::string buffer(k_chunk, '\0');
    std::size_t held = 0; // the start of an unfinished line, kept at the front of the buffer
    Reader reader;
    for (;;) {
        if (held == buffer.size()) {
            buffer.resize(buffer.size() * 2); // a line longer than the buffer
        }
        ssize_t const n = ::read(fd, buffer.data() + held, buffer.size() - held);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw fail(errno);
        }
        if (n == 0) {
            break;
        }
        std::size_t const size = held + static_cast<std::size_t>(n);
        // The held bytes have no '\n': look in the new ones only.
        auto const newline = std::string_view(buffer.data() + held, static_cast<std::size_t>(n)).rfind('\n');
        if (newline == std::string_view::npos) {
            held = size;
            continue;
        }
        std::size_t const whole = held + newline + 1;
        reader.lines(std::string_view(buffer.data(), whole));
        held = size - whole;
        std::memmove(buffer.data(), buffer.data() + whole, held);
    }
    return reader.finish(std::string_view(buffer.data(), held));
}

} // namespace evobatch::ledger
