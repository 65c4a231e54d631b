// VideoProbe over the committed test media (tests/media, made by scripts/make-test-media),
// through a host played here that answers exactly the ranges asked, or ignores Range and sends
// the whole file in pieces: the facts each file yields, and what each probe costs in ranges and
// bytes (issue 17's targets: a faststart file in one range of at most 64 KiB, a moov at the end
// in at most 4).

#include "evobatch/probe/image_magic.hpp"
#include "evobatch/probe/video_probe.hpp"

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <string>
#include <variant>

using namespace evobatch::probe;
using namespace std::chrono_literals;

namespace evobatch::probe {
std::ostream& operator<<(std::ostream& os, Container c) { return os << name_of(c); }
std::ostream& operator<<(std::ostream& os, ImageFormat f) { return os << name_of(f); }
} // namespace evobatch::probe

namespace {

std::string media(std::string const& name) {
    // A path, not string concatenation: GCC 12 warns (-Warray-bounds, falsely) on the latter here.
    std::ifstream in(std::filesystem::path(EVOBATCH_TEST_MEDIA_DIR) / name, std::ios::binary);
    BOOST_TEST_REQUIRE(in.good(), "missing test media " << name);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

struct Probed {
    VideoFacts facts;
    int ranges = 0;
    std::uint64_t bytes = 0;
};

// A host that honours Range: each FetchRange is one answer of exactly those bytes (clipped).
Probed probe_ranged(std::string const& file, ProbeBudget budget = {}) {
    VideoProbe probe(budget);
    Probed out;
    FetchRange range = probe.start();
    for (;;) {
        ++out.ranges;
        BOOST_TEST_REQUIRE(out.ranges <= 50, "the probe never ends");
        std::string_view const body = std::string_view(file).substr(std::min<std::size_t>(range.offset, file.size()),
                                                                    range.length);
        out.bytes += body.size();
        ProbeStep const step = probe.resume(range.offset, body, file.size());
        if (auto const* facts = std::get_if<VideoFacts>(&step)) {
            out.facts = *facts;
            return out;
        }
        range = std::get<FetchRange>(step);
    }
}

// A host that ignores Range: one 200 with the whole body, read in pieces (16 KiB, or cut
// anywhere); reading stops once the probe has its facts.
Probed probe_streamed(std::string const& file, std::size_t piece_size = 16 * 1024) {
    VideoProbe probe;
    Probed out{{}, 1, 0};
    for (std::size_t at = 0;; at += piece_size) {
        std::string_view const piece = std::string_view(file).substr(std::min(at, file.size()), piece_size);
        out.bytes += piece.size();
        ProbeStep const step = probe.resume(at, piece, file.size());
        if (auto const* facts = std::get_if<VideoFacts>(&step)) {
            out.facts = *facts;
            return out;
        }
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(video_probe)

BOOST_AUTO_TEST_CASE(faststart_files_cost_one_range_of_at_most_64_kib) {
    struct Case {
        char const* file;
        std::chrono::milliseconds duration;
    };
    for (Case const c : {Case{"faststart_4s.mp4", 4000ms}, Case{"faststart_9s.mp4", 9000ms},
                         Case{"faststart_25s.mp4", 25000ms}}) {
        BOOST_TEST_CONTEXT(c.file) {
            std::string const file = media(c.file);
            Probed const p = probe_ranged(file);
            BOOST_TEST(p.ranges == 1);
            BOOST_TEST(p.bytes <= 64u * 1024);
            BOOST_TEST(p.facts.parsed);
            BOOST_TEST(p.facts.size == file.size());
            BOOST_TEST(p.facts.container == Container::mp4);
            BOOST_TEST(p.facts.video_tracks == 1u);
            BOOST_TEST(p.facts.width == 160);
            BOOST_TEST(p.facts.height == 90);
            BOOST_TEST(!p.facts.fragmented);
            BOOST_TEST_REQUIRE(p.facts.duration.has_value());
            BOOST_TEST(p.facts.duration->count() == c.duration.count());
        }
    }
}

BOOST_AUTO_TEST_CASE(a_moov_at_the_end_is_reached_by_a_jump_not_a_download) {
    ProbeBudget small_first;
    small_first.first_request = 4096; // below the files' mdat, so that the parser must jump over it
    for (char const* name : {"moov_at_end_9s.mp4", "clip_9s.mov"}) {
        BOOST_TEST_CONTEXT(name) {
            std::string const file = media(name);
            Probed const p = probe_ranged(file, small_first);
            BOOST_TEST(p.ranges <= 4);
            BOOST_TEST(p.bytes < file.size() / 4); // the mdat between is never fetched
            BOOST_TEST(p.facts.parsed);
            BOOST_TEST_REQUIRE(p.facts.duration.has_value());
            BOOST_TEST(p.facts.duration->count() == 9000);
            BOOST_TEST(p.facts.video_tracks == 1u);
        }
    }
    BOOST_TEST((probe_ranged(media("clip_9s.mov")).facts.container == Container::quicktime));
    BOOST_TEST((probe_ranged(media("moov_at_end_9s.mp4")).facts.container == Container::mp4));
}

BOOST_AUTO_TEST_CASE(a_host_that_ignores_range_is_read_only_until_the_facts_are_known) {
    std::string const file = media("faststart_25s.mp4");
    Probed const p = probe_streamed(file);
    BOOST_TEST(p.facts.parsed);
    BOOST_TEST(p.facts.duration->count() == 25000);
    BOOST_TEST(p.bytes < file.size()); // stopped reading before the end
    Probed const end = probe_streamed(media("moov_at_end_9s.mp4"));
    BOOST_TEST(end.facts.parsed);
    BOOST_TEST(end.facts.duration->count() == 9000);
}

BOOST_AUTO_TEST_CASE(what_is_not_a_usable_video_says_so) {
    Probed const audio = probe_ranged(media("audio_only.mp4"));
    BOOST_TEST((audio.facts.container == Container::mp4));
    BOOST_TEST(audio.facts.video_tracks == 0u);

    Probed const html = probe_ranged(media("not_video.mp4"));
    BOOST_TEST((html.facts.container == Container::unknown));
    BOOST_TEST(html.facts.video_tracks == 0u);
    BOOST_TEST(!html.facts.duration.has_value());

    std::string const png = media("image.png");
    Probed const image = probe_ranged(png);
    BOOST_TEST((image.facts.container == Container::unknown));
}

BOOST_AUTO_TEST_CASE(a_fragmented_file_has_no_duration_to_trust) {
    // In pieces that cut the moov's children apart too (a host streaming its whole body).
    for (std::size_t piece : {std::size_t{7}, std::size_t{100}, std::size_t{16 * 1024}}) {
        BOOST_TEST_CONTEXT("pieces of " << piece) {
            VideoFacts const facts = probe_streamed(media("fragmented_9s.mp4"), piece).facts;
            BOOST_TEST(facts.fragmented);
            BOOST_TEST(!facts.duration.has_value());
        }
    }
    Probed const p = probe_ranged(media("fragmented_9s.mp4"));
    BOOST_TEST(p.facts.fragmented);
    BOOST_TEST(!p.facts.duration.has_value()); // MediaInfoLib says 2 s: its first fragment
    BOOST_TEST(p.facts.video_tracks == 1u);
    for (char const* other : {"faststart_9s.mp4", "moov_at_end_9s.mp4", "clip_9s.mov", "audio_only.mp4"}) {
        BOOST_TEST_CONTEXT(other) { BOOST_TEST(!probe_ranged(media(other)).facts.fragmented); }
    }
}

// A box: its 32-bit size, its type, its body.
std::string box(std::string_view type, std::string const& body) {
    std::uint32_t const size = static_cast<std::uint32_t>(8 + body.size());
    std::string out;
    out.reserve(size);
    for (int shift : {24, 16, 8, 0}) {
        out.push_back(static_cast<char>((size >> shift) & 0xFF));
    }
    out.append(type);
    out.append(body);
    return out;
}

BOOST_AUTO_TEST_CASE(a_table_that_claims_more_entries_than_it_holds_is_refused_before_the_parser_sees_it) {
    // MediaInfoLib 23.04 believes an edit list's count: this one held it for minutes and
    // gigabytes (found by fuzz/probe_media_fuzz.cpp; fuzz/corpus/probe_media/elst_count_lie.bin).
    std::string elst_body(20, '\0'); // version 0, no flags, then the count, then one 12-byte entry
    elst_body[5] = elst_body[6] = elst_body[7] = '\xFF';
    std::string file = box("ftyp", std::string("isom\0\0\x02\0isom", 12));
    file.append(box("moov", box("trak", box("edts", box("elst", elst_body)))));
    for (std::size_t piece : {file.size(), std::size_t{5}}) {
        VideoFacts const facts = probe_streamed(file, piece).facts;
        BOOST_TEST(facts.malformed == "its 'elst' box claims 16777215 entries in 28 bytes");
        BOOST_TEST(!facts.parsed);
    }
    // The committed media pass the same check.
    for (char const* name : {"faststart_9s.mp4", "moov_at_end_9s.mp4", "clip_9s.mov", "fragmented_9s.mp4",
                             "audio_only.mp4", "faststart_25s.mp4"}) {
        BOOST_TEST_CONTEXT(name) { BOOST_TEST(probe_ranged(media(name)).facts.malformed.empty()); }
    }
}

BOOST_AUTO_TEST_CASE(a_fragments_track_run_is_checked_like_the_movies_tables) {
    // MediaInfoLib 23.04 sizes a vector of 8 bytes a sample from a track run's count: a fuzzed
    // file asked for 4.3 GB (fuzz/corpus/probe_media/trun_count_lie.bin).
    std::string const ftyp = box("ftyp", std::string("isom\0\0\x02\0isom", 12));
    std::string const moov = box("moov", box("mvex", box("trex", std::string(24, '\0'))));
    auto const run = [](std::uint32_t flags, std::uint32_t count, std::size_t entry_bytes) {
        std::string body;
        for (std::uint32_t word : {flags, count}) { // version 0 in the top byte of the first word
            for (int shift : {24, 16, 8, 0}) {
                body.push_back(static_cast<char>((word >> shift) & 0xFF));
            }
        }
        body.append(entry_bytes, '\0');
        return box("moof", box("traf", box("trun", body)));
    };
    struct Case {
        char const* what;
        std::string fragment;
        char const* malformed;
    };
    Case const cases[] = {
        // durations and sizes, 8 bytes a sample: room for 2, not 3
        {"sized samples", run(0x300, 3, 16), "its 'trun' box claims 3 entries in 32 bytes"},
        {"a data offset before them", run(0x301, 3, 4 + 16), "its 'trun' box claims 3 entries in 36 bytes"},
        {"the fuzzed count with no fields", run(0x000, 0x20667479, 0),
         "its 'trun' box claims 543585401 entries in 16 bytes"},
        {"honest sized samples", run(0x301, 2, 4 + 16), nullptr},
        {"a plausible count of defaults", run(0x000, 900, 0), nullptr},
    };
    for (Case const& c : cases) {
        BOOST_TEST_CONTEXT(c.what) {
            std::string const& fragment = c.fragment;
            for (std::size_t piece : {ftyp.size() + moov.size() + fragment.size(), std::size_t{7}}) {
                VideoFacts const facts = probe_streamed(ftyp + moov + fragment, piece).facts;
                BOOST_TEST(facts.malformed == (c.malformed == nullptr ? "" : c.malformed));
            }
        }
    }
    // A box in the moov that claims more than the moov holds ends with it, so the fragment
    // after the moov is still checked (fuzz/corpus/probe_media/trun_in_oversized_minf.bin).
    std::string oversized = moov;
    oversized[8 + 3] = '\x7F'; // the mvex's size: 40 becomes 127
    VideoFacts const facts = probe_streamed(ftyp + oversized + cases[2].fragment, 4096).facts;
    BOOST_TEST(facts.malformed == cases[2].malformed);
}

BOOST_AUTO_TEST_CASE(a_file_over_the_size_limit_is_not_parsed) {
    ProbeBudget budget;
    budget.max_size = 1000;
    VideoProbe probe(budget);
    std::string const file = media("faststart_9s.mp4");
    ProbeStep const step = probe.resume(0, std::string_view(file).substr(0, 64 * 1024), 150'000'000);
    auto const* facts = std::get_if<VideoFacts>(&step);
    BOOST_TEST_REQUIRE(facts != nullptr);
    BOOST_TEST(facts->size == 150'000'000u);
    BOOST_TEST(!facts->parsed);
    BOOST_TEST(!facts->duration.has_value());
}

BOOST_AUTO_TEST_CASE(the_budget_ends_a_probe_that_keeps_asking) {
    ProbeBudget budget;
    budget.first_request = 512;
    budget.next_request = 512;
    budget.max_bytes = 1024;
    Probed const p = probe_ranged(media("faststart_25s.mp4"), budget);
    BOOST_TEST(p.ranges == 2); // 512 + 512 bytes: the budget, with the moov still ahead
    BOOST_TEST(!p.facts.parsed);
}

BOOST_AUTO_TEST_CASE(an_empty_answer_ends_the_probe_with_what_is_known) {
    VideoProbe probe;
    ProbeStep const step = probe.resume(0, {}, 0);
    auto const* facts = std::get_if<VideoFacts>(&step);
    BOOST_TEST_REQUIRE(facts != nullptr);
    BOOST_TEST(!facts->parsed);
    BOOST_TEST((facts->container == Container::unknown));
}

BOOST_AUTO_TEST_CASE(images_are_known_by_their_first_bytes_not_their_names) {
    BOOST_TEST((image_format_of(media("image.png")) == ImageFormat::png));
    BOOST_TEST((image_format_of(media("image.jpg")) == ImageFormat::jpeg));
    BOOST_TEST((image_format_of(media("image.webp")) == ImageFormat::webp));
    BOOST_TEST((image_format_of(media("image.gif")) == ImageFormat::gif));
    BOOST_TEST((image_format_of(media("not_video.mp4")) == ImageFormat::html));
    BOOST_TEST((image_format_of(media("faststart_4s.mp4")) == ImageFormat::unknown));
    BOOST_TEST((image_format_of(media("image.png").substr(0, k_image_magic_bytes)) == ImageFormat::png));
    BOOST_TEST((image_format_of("RIFF\x10\0\0\0WAVE") == ImageFormat::unknown)); // RIFF, but audio
    BOOST_TEST((image_format_of("") == ImageFormat::unknown));
    BOOST_TEST((image_format_of(" \r\n<!doctype html>") == ImageFormat::html));
}

BOOST_AUTO_TEST_SUITE_END()
