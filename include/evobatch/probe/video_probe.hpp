#pragma once
// Probing a source video from byte ranges, as a sans-io state machine: start() says which bytes
// to fetch first; each resume() takes bytes the host sent and says which bytes to fetch next,
// or that the facts are known. The driver (the HTTP part) decides how to get a range: a Range
// request, or reading on in a body the host sends whole. The parsing is MediaInfoLib's
// (Debian libmediainfo, its buffer interface: it says which offset it wants next, so a file
// with its `moov` at the end costs a jump, not a download); this class only feeds it and keeps
// the budget. docs/probe-prototype.md has the measurements behind the numbers below.
// Not thread-safe: one probe per coroutine; separate probes may run on separate threads.

#include "evobatch/probe/media_facts.hpp"
#include "evobatch/probe/rules.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace evobatch::probe {

struct ProbeBudget {
    std::uint64_t first_request = 64 * 1024;  // a faststart file's moov is in its first 64 KiB
    std::uint64_t next_request = 256 * 1024;  // reading on where the parser wants more
    std::uint64_t after_jump = 1024 * 1024;   // after a jump forward (the moov at the end): up to this, to the end
    // Bytes given to resume() before the facts stay partial (VideoFacts::parsed false). How many
    // requests those take is the driver's to bound: a host that ignores Range sends one body.
    std::uint64_t max_bytes = 4 * 1024 * 1024;
    // Larger than this (the host's size) is not parsed at all: the rules refuse it by its size.
    std::uint64_t max_size = k_max_video_bytes;
};

struct FetchRange {
    std::uint64_t offset = 0;
    std::uint64_t length = 0; // at least 1; may run past the end (the host clips it)
};

using ProbeStep = std::variant<FetchRange, VideoFacts>;

class VideoProbe {
public:
    explicit VideoProbe(ProbeBudget budget = {});
    ~VideoProbe();
    VideoProbe(VideoProbe const&) = delete;
    VideoProbe& operator=(VideoProbe const&) = delete;

    [[nodiscard]] FetchRange start() const noexcept { return {0, m_budget.first_request}; }

    // `bytes` are the file's bytes from `offset`, of a file of `total` bytes (the host's size:
    // Content-Range's total, or a 200's Content-Length). They may start before what was asked
    // (a host that ignores Range sends the body from 0) or hold more than asked; an empty
    // `bytes` means the host has nothing more (the facts are what is known so far). Call once
    // per piece the driver has, in order; after VideoFacts, not again.
    ProbeStep resume(std::uint64_t offset, std::string_view bytes, std::uint64_t total);


    // Warms MediaInfoLib's global tables (about 20 ms the first time in a process), so that the
    // first real probe is not the slow one. Optional.
    static void warm_up();

private:
    struct Parser; // MediaInfoLib, kept out of this header
    // Follows the top-level boxes through the pieces given, for what MediaInfoLib does not say:
    // whether the moov has an `mvex` (a fragmented file, whose header holds no duration).
    void scan_boxes(std::uint64_t offset, std::string_view bytes);
    ProbeStep finish(bool parsed);
    ProbeStep next_fetch();

    ProbeBudget m_budget;
    std::unique_ptr<Parser> m_parser;
    std::uint64_t m_total = 0;
    std::uint64_t m_pos = 0;       // where the parser wants its next byte
    std::uint64_t m_received = 0;  // bytes given to resume(), for the budget
    std::uint64_t m_next_box = 0;  // offset of the next box header to read (max: lost track)
    std::vector<std::uint64_t> m_parents; // where each box the cursor is inside ends (the moov first)
    std::string m_malformed;       // a table that claims more entries than its box holds
    std::string m_carry;           // the first bytes of a header the last piece cut, from m_carry_at
    std::uint64_t m_carry_at = 0;
    bool m_started = false;
    bool m_jumped = false;         // the last move was a jump forward: fetch up to the end
    bool m_done = false;
    VideoFacts m_facts;
};

} // namespace evobatch::probe
