// The one file that sees MediaInfoLib (compiled with UNICODE, as Debian built the library: its
// strings are std::wstring). Options are set per object with their `File_` names: the names
// without the prefix change every later object in the process (docs/probe-prototype.md).

#include "evobatch/probe/video_probe.hpp"

#include <MediaInfo/MediaInfo.h>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace evobatch::probe {

namespace {

using MediaInfoLib::Stream_General;
using MediaInfoLib::Stream_Video;

constexpr std::uint64_t k_lost = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t k_finalized = 0x08; // Open_Buffer_Continue's status bit: nothing more wanted

std::uint64_t big_endian(std::string_view b, std::size_t at, std::size_t width) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < width; ++i) {
        v = (v << 8) | static_cast<unsigned char>(b[at + i]);
    }
    return v;
}

std::string ascii(MediaInfoLib::String const& w) {
    std::string out;
    out.reserve(w.size());
    for (wchar_t c : w) {
        out.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '?');
    }
    return out;
}

} // namespace

struct VideoProbe::Parser {
    MediaInfoLib::MediaInfo info;
    Parser() {
        info.Option(L"File_ParseSpeed", L"-1"); // stop after the moov: what we need is all there
        info.Option(L"File_ForceParser", L"Mpeg4"); // MP4/QuickTime only: anything else is refused at once
    }
};

VideoProbe::VideoProbe(ProbeBudget budget) : m_budget(budget), m_parser(std::make_unique<Parser>()) {}

VideoProbe::~VideoProbe() = default;

void VideoProbe::warm_up() {
    VideoProbe probe;
    std::string_view const nothing("\0\0\0\x08" "free", 8);
    (void)probe.resume(0, nothing, nothing.size());
}

ProbeStep VideoProbe::resume(std::uint64_t offset, std::string_view bytes, std::uint64_t total) {
    if (m_done) {
        return m_facts;
    }
    if (!m_started) {
        m_started = true;
        m_total = total;
        m_facts.size = total;
        if (total > m_budget.max_size) {
            return finish(false); // refused by its size; parsing it would prove nothing more
        }
        m_parser->info.Open_Buffer_Init(total, 0);
    }
    if (bytes.empty()) {
        return finish(false);
    }
    m_received += bytes.size();
    scan_boxes(offset, bytes);
    if (!m_malformed.empty()) {
        m_facts.malformed = m_malformed;
        return finish(false); // the parser never sees a table that lies about its size
    }
    // Feed from where the parser wants to read, for as long as this piece holds it, in slices
    // of one request's size so that it can stop or jump after each.
    while (m_pos >= offset && m_pos < offset + bytes.size()) {
        std::size_t const skip = static_cast<std::size_t>(m_pos - offset);
        std::size_t const length = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size() - skip, m_budget.next_request));
        auto const* data = reinterpret_cast<ZenLib::int8u const*>(bytes.data() + skip);
        std::size_t const status = m_parser->info.Open_Buffer_Continue(data, length);
        if ((status & k_finalized) != 0) {
            return finish(true);
        }
        std::uint64_t const wanted = m_parser->info.Open_Buffer_Continue_GoTo_Get();
        if (wanted != static_cast<std::uint64_t>(-1)) {
            if (wanted >= m_total) {
                return finish(true);
            }
            m_parser->info.Open_Buffer_Init(m_total, wanted); // the next bytes given start there
            m_jumped = wanted > m_pos + length;
            m_pos = wanted;
        } else {
            m_pos += length;
            m_jumped = false;
            if (m_pos >= m_total) {
                return finish(true);
            }
        }
    }
    return next_fetch();
}

ProbeStep VideoProbe::next_fetch() {
    if (m_received >= m_budget.max_bytes) {
        return finish(false);
    }
    std::uint64_t const length = m_jumped ? std::min(m_total - m_pos, m_budget.after_jump) : m_budget.next_request;
    return FetchRange{m_pos, std::max<std::uint64_t>(length, 1)};
}

namespace {

// Top-level boxes whose children are boxes and hold tables: the movie and a fragment.
bool is_top_container(std::string_view type) noexcept { return type == "moov" || type == "moof"; }

// Boxes whose children are boxes, on the way from those to their tables (ISO/IEC 14496-12).
bool is_container(std::string_view type) noexcept {
    return type == "trak" || type == "edts" || type == "mdia" || type == "minf" || type == "stbl" ||
           type == "mvex" || type == "traf";
}

// A table box's entry count, and the bytes each entry takes (0: not a table we check). The
// count sits after the full box's version and flags (stsz: after its sample size too).
struct TableShape {
    std::size_t count_at = 4;  // from the end of the box header
    std::uint64_t entry_bytes = 0;
    std::uint64_t before_entries = 0; // optional fields between the count and the entries
};

// A track run's samples take 4 bytes for each of duration, size, flags and composition offset
// its flags say are present. With none present the samples take no bytes at all (each uses
// the fragment's defaults), so a count can only be bounded: MediaInfoLib 23.04 sizes a vector
// of 8 bytes a sample from it (a 0x20667479 count asked for 4.3 GB; fuzz/probe_media_fuzz.cpp
// found it). A million samples is over nine hours at 30 frames a second.
constexpr std::uint64_t k_max_default_samples = 1u << 20;

TableShape track_run_shape(std::uint32_t flags) noexcept {
    std::uint64_t per_sample = 0;
    for (std::uint32_t field : {0x100u, 0x200u, 0x400u, 0x800u}) {
        per_sample += (flags & field) != 0 ? 4 : 0;
    }
    std::uint64_t const optional = ((flags & 0x001u) != 0 ? 4 : 0) + ((flags & 0x004u) != 0 ? 4 : 0);
    return {4, per_sample, optional};
}

TableShape table_shape(std::string_view type, unsigned version, std::uint32_t flags,
                       std::uint32_t stsz_sample_size) noexcept {
    if (type == "trun") return track_run_shape(flags);
    if (type == "elst") return {4, version == 1 ? 20u : 12u};
    if (type == "stts" || type == "ctts" || type == "co64") return {4, 8};
    if (type == "stsc") return {4, 12};
    if (type == "stco" || type == "stss") return {4, 4};
    if (type == "stsz") return {8, stsz_sample_size == 0 ? 4u : 0u};
    if (type == "stsd" || type == "dref") return {4, 8}; // entries are boxes: 8 bytes at least
    return {};
}

} // namespace

void VideoProbe::scan_boxes(std::uint64_t offset, std::string_view bytes) {
    // One cursor over box headers: the top level, the moov and the containers on the way to
    // its tables. A box may span pieces, and so may a header: its first bytes wait for the next
    // piece. Each table's entry count must fit in its box before the parser sees it: MediaInfoLib
    // 23.04 believes an edit list's count and spins on it (a 335-byte file held it for minutes
    // and gigabytes; fuzz/probe_media_fuzz.cpp found it).
    std::string joined;
    if (!m_carry.empty() && offset == m_carry_at + m_carry.size()) {
        joined = m_carry;
        joined.append(bytes); // rare: only a piece that completes a cut header is copied
        offset = m_carry_at;
        bytes = joined;
    }
    m_carry.clear();
    auto const wait_for_more = [&](std::uint64_t at) {
        if (at < bytes.size()) {
            m_carry.assign(bytes.substr(static_cast<std::size_t>(at)));
            m_carry_at = m_next_box;
        }
    };
    while (m_next_box != k_lost && m_next_box < m_total) {
        while (!m_parents.empty() && m_next_box >= m_parents.back()) {
            m_next_box = m_parents.back(); // the parent's last child ended: back up a level
            m_parents.pop_back();
        }
        if (m_next_box < offset) {
            m_next_box = k_lost; // its header was skipped over: no more to learn here
            return;
        }
        std::uint64_t const at64 = m_next_box - offset;
        if (at64 + 8 > bytes.size()) {
            wait_for_more(at64); // in a later piece
            return;
        }
        auto const at = static_cast<std::size_t>(at64);
        std::uint64_t size = big_endian(bytes, at, 4);
        std::string_view const type = bytes.substr(at + 4, 4);
        std::uint64_t header = 8;
        if (size == 1) {
            if (at + 16 > bytes.size()) {
                wait_for_more(at64);
                return;
            }
            size = big_endian(bytes, at + 8, 8);
            header = 16;
        } else if (size == 0) {
            size = (m_parents.empty() ? m_total : m_parents.back()) - m_next_box; // to the end of its parent
        }
        if (size < header) {
            m_next_box = k_lost; // not boxes: MediaInfoLib will say what it is
            return;
        }
        // A box claiming more than its parent holds ends with the parent, as MediaInfoLib reads
        // it: the boxes after it are its parent's siblings, and their tables are checked too.
        size = std::min(size, (m_parents.empty() ? m_total : m_parents.back()) - m_next_box);
        bool const nested = !m_parents.empty(); // in a moov or a moof
        if (nested && m_parents.size() == 1 && type == "mvex") {
            m_facts.fragmented = true; // a child of the moov
        }
        if ((!nested && is_top_container(type)) || (nested && is_container(type))) {
            m_parents.push_back(m_next_box + size);
            m_next_box += header; // into its children
            continue;
        }
        if (nested) {
            // The version, flags and up to two words: what the box has of them (a short box
            // reads as zeros past its end, as a count it cannot hold would be refused anyway).
            auto const fields = static_cast<std::size_t>(std::min<std::uint64_t>(header + 12, size));
            if (at + fields > bytes.size()) {
                wait_for_more(at64);
                return;
            }
            std::string words(bytes.substr(at + static_cast<std::size_t>(header), fields - header));
            words.resize(12, '\0');
            auto const version = static_cast<unsigned>(static_cast<unsigned char>(words[0]));
            auto const flags = static_cast<std::uint32_t>(big_endian(words, 1, 3));
            auto const sample_size = static_cast<std::uint32_t>(big_endian(words, 4, 4));
            TableShape const shape = table_shape(type, version, flags, sample_size);
            if (shape.entry_bytes > 0 || type == "trun") {
                std::uint64_t const count = big_endian(words, shape.count_at, 4);
                std::uint64_t const room = size - std::min(size, header + shape.count_at + 4 + shape.before_entries);
                std::uint64_t const most = shape.entry_bytes > 0 ? room / shape.entry_bytes : k_max_default_samples;
                if (count > most) {
                    m_malformed = fmt::format("its '{}' box claims {} entries in {} bytes", type, count, size);
                    return;
                }
            }
        }
        m_next_box += size;
    }
}

ProbeStep VideoProbe::finish(bool parsed) {
    m_done = true;
    m_facts.parsed = parsed;
    if (!m_started || m_total > m_budget.max_size) {
        return m_facts;
    }
    MediaInfoLib::MediaInfo& info = m_parser->info;
    info.Open_Buffer_Finalize();
    m_facts.format = ascii(info.Get(Stream_General, 0, L"Format"));
    if (m_facts.format == "MPEG-4") {
        std::string const codec = ascii(info.Get(Stream_General, 0, L"CodecID"));
        m_facts.container = codec.rfind("qt", 0) == 0 ? Container::quicktime : Container::mp4;
    }
    m_facts.video_tracks = info.Count_Get(Stream_Video);
    if (m_facts.video_tracks > 0) {
        m_facts.width = static_cast<int>(std::wcstol(info.Get(Stream_Video, 0, L"Width").c_str(), nullptr, 10));
        m_facts.height = static_cast<int>(std::wcstol(info.Get(Stream_Video, 0, L"Height").c_str(), nullptr, 10));
    }
    double const ms = std::wcstod(info.Get(Stream_General, 0, L"Duration").c_str(), nullptr);
    // A fragmented file's header says only its first fragment's length: not the duration.
    if (!m_facts.fragmented && std::isfinite(ms) && ms > 0) {
        m_facts.duration = std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
    }
    return m_facts;
}

} // namespace evobatch::probe
