#include "evobatch/jobs/probe_record.hpp"

#include "evobatch/ledger/replay.hpp"

#include <array>
#include <chrono>
#include <utility>

namespace evobatch::jobs {

namespace {

using probe::Container;
using probe::ImageFormat;
using probe::ProbeOutcome;
using probe::Usability;

// The ledger's spelling of what a source is; one table each way.
constexpr std::array k_containers{
    std::pair{Container::mp4, std::string_view("mp4")},
    std::pair{Container::quicktime, std::string_view("mov")},
    std::pair{Container::unknown, std::string_view("other")},
};
constexpr std::array k_image_formats{
    std::pair{ImageFormat::jpeg, std::string_view("jpeg")}, std::pair{ImageFormat::png, std::string_view("png")},
    std::pair{ImageFormat::webp, std::string_view("webp")}, std::pair{ImageFormat::gif, std::string_view("gif")},
    std::pair{ImageFormat::bmp, std::string_view("bmp")},   std::pair{ImageFormat::tiff, std::string_view("tiff")},
    std::pair{ImageFormat::heic, std::string_view("heic")}, std::pair{ImageFormat::avif, std::string_view("avif")},
    std::pair{ImageFormat::html, std::string_view("html")}, std::pair{ImageFormat::unknown, std::string_view("other")},
};
constexpr std::array k_verdicts{
    std::pair{Usability::usable, std::string_view("usable")},
    std::pair{Usability::warned, std::string_view("warned")},
    std::pair{Usability::rejected, std::string_view("rejected")},
};

template <class Table, class Key> std::string_view spelling(Table const& table, Key key) {
    for (auto const& [k, name] : table) {
        if (k == key) {
            return name;
        }
    }
    return "other";
}

template <class Table> auto parsed(Table const& table, std::string_view name) {
    for (auto const& [k, n] : table) {
        if (n == name) {
            return std::optional(k);
        }
    }
    return std::optional<decltype(table[0].first)>();
}

} // namespace

ledger::Event probed_event(probe::SourceResult const& s, std::string_view job, std::string_view req) {
    ledger::Event e;
    e.type = ledger::EventType::probed;
    e.t_ms = ledger::now_ms();
    e.job = job;
    e.req = req;
    e.url = s.url;
    if (!s.host.etag.empty()) {
        e.etag = s.host.etag;
    }
    if (!s.host.last_modified.empty()) {
        e.last_modified = s.host.last_modified;
    }
    switch (s.host.outcome) {
    case ProbeOutcome::unreachable:
    case ProbeOutcome::transient:
        e.verdict = s.host.outcome == ProbeOutcome::unreachable ? "unreachable" : "transient";
        e.error = ledger::EventError{*e.verdict, s.host.detail};
        return e;
    case ProbeOutcome::unchanged:
        // probe_job hands back the earlier facts instead (SourceResult::reused); a bare 304
        // brings none, and is written as what it is.
        e.verdict = "unchanged";
        return e;
    case ProbeOutcome::probed: break;
    }
    if (s.is_video) {
        e.bytes = s.video.size;
        e.format = spelling(k_containers, s.video.container);
        if (s.video.duration) {
            e.duration_ms = s.video.duration->count();
        }
    } else {
        e.bytes = s.image.size;
        e.format = spelling(k_image_formats, s.image.format);
    }
    probe::Verdict const& v = s.verdict;
    e.verdict = spelling(k_verdicts, v.usability);
    e.credits = v.credits;
    if (!v.reason.empty() || !v.note.empty()) {
        // rejected: its code; warned: the billed duration; usable: why its cost is not known
        e.error = ledger::EventError{v.code, v.reason.empty() ? v.note : v.reason};
    }
    return e;
}

std::optional<probe::SourceResult> remembered_source(ledger::ProbeRecord const& record, bool is_video) {
    auto const usability = parsed(k_verdicts, record.verdict);
    if (!usability || (record.etag.empty() && record.last_modified.empty())) {
        return std::nullopt; // the host's facts were not had, or cannot be checked
    }
    probe::SourceResult s;
    s.url = record.url;
    s.is_video = is_video;
    s.host.outcome = ProbeOutcome::probed;
    s.host.etag = record.etag;
    s.host.last_modified = record.last_modified;
    if (is_video) {
        s.video.size = record.bytes;
        s.video.container = parsed(k_containers, record.format).value_or(Container::unknown);
        if (record.duration_ms) {
            s.video.duration = std::chrono::milliseconds(*record.duration_ms);
        }
    } else {
        s.image.size = record.bytes;
        s.image.format = parsed(k_image_formats, record.format).value_or(ImageFormat::unknown);
    }
    s.verdict.usability = *usability;
    s.verdict.credits = record.credits;
    if (record.error) {
        s.verdict.code = record.error->code;
        (*usability == Usability::usable ? s.verdict.note : s.verdict.reason) = record.error->message;
    }
    return s;
}

decltype(probe::SourceAccess::recall) recall_from(ledger::Replay const& replay) {
    return [&replay](std::string_view url, bool is_video) -> std::optional<probe::SourceResult> {
        ledger::ProbeRecord const* record = replay.find_probe(url);
        return record != nullptr ? remembered_source(*record, is_video) : std::nullopt;
    };
}

} // namespace evobatch::jobs
