// Prototype A (issue 17): MediaInfoLib's buffer interface driven as a sans-io state machine
// whose only input is "here are the bytes [off, off+n) of a file of `total` bytes" and whose
// only outputs are "fetch [off, off+len)" and "done". Every byte comes through RangeSource,
// which counts requests and bytes as HTTP Range requests would.
//
//   g++ -O2 -std=c++20 probe_mediainfo.cpp $(pkg-config --cflags --libs libmediainfo) -o probe_mediainfo
//   ./probe_mediainfo [--first N] [--next N] [--iters N] [--opt Name=Value]... [--whole] FILE...
//     --first   bytes asked in the first request (default 65536)
//     --next    bytes asked in each later request (default 65536)
//     --tail-cap after a forward jump, ask up to N bytes to the end of file in one request
//     --whole   the server ignores Range: the first response is the whole file (200 OK)
//     --iters   probes of each file in a loop, for CPU per probe (default 1000)
#include "range_source.h"
#include <MediaInfo/MediaInfo.h>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <malloc.h>
#include <memory>
#include <optional>
#include <thread>

using namespace MediaInfoLib;

static std::string narrow(const String& w) {
    return std::string(w.begin(), w.end());
} // ASCII fields only

struct Result {
    std::string format, format_profile, video_format, image_format;
    double duration_ms = 0;
    uint64_t file_size = 0;
    size_t video_tracks = 0, audio_tracks = 0, images = 0;
    int width = 0, height = 0;
    bool complete = false; // the library said Finalized (or we reached the end of the file)
    std::string to_string() const {
        char b[512];
        snprintf(b, sizeof b,
                 "fmt=%s prof=%s dur=%.0fms size=%" PRIu64 " video=%zu(%s %dx%d) audio=%zu image=%zu(%s)%s",
                 format.c_str(), format_profile.c_str(), duration_ms, file_size, video_tracks,
                 video_format.c_str(), width, height, audio_tracks, images, image_format.c_str(),
                 complete ? "" : " [gave up]");
        return b;
    }
};

struct Action {
    enum Kind { Fetch, Done } kind;
    uint64_t off = 0, len = 0;
};

struct Options {
    uint64_t first = 65536, next = 65536;
    uint64_t max_requests = 6, max_bytes = 1 << 20; // the probe's budget: beyond it, "unknown"
    uint64_t tail_cap =
        0; // >0: a forward jump asks for [go, min(total, go+tail_cap)): the moov to EOF in one
    std::vector<std::pair<std::wstring, std::wstring>> mi_options;
};

// The state machine. One MediaInfo object per probe; not shared between threads.
class MediaInfoProbe {
public:
    explicit MediaInfoProbe(const Options& o) : o_(o) {
        for (auto& [k, v] : o_.mi_options)
            mi_.Option(k, v);
    }
    Action start() { return {Action::Fetch, 0, o_.first}; }

    // A response: bytes [off, off+n) of a file of `total` bytes (from Content-Range, or
    // Content-Length on a 200). `off` may be below what was asked (a 200 whole body: off 0).
    Action on_bytes(uint64_t off, const uint8_t* p, size_t n, uint64_t total) {
        ++responses_;
        if (!inited_) {
            mi_.Open_Buffer_Init(total, 0);
            inited_ = true;
            total_ = total;
            pos_ = 0;
        }
        // feed from pos_ (where the library wants to read) as long as this response holds it
        while (pos_ >= off && pos_ < off + n) {
            size_t skip = pos_ - off;
            // Feed at most one request's worth at a time, so a whole-file 200 is consumed as if
            // it had been ranged and the library can stop or jump after each slice.
            size_t len = std::min<uint64_t>(n - skip, o_.next);
            size_t st = mi_.Open_Buffer_Continue(p + skip, len);
            uint64_t go_peek = mi_.Open_Buffer_Continue_GoTo_Get();
            trace_ += "feed[" + std::to_string(pos_) + ",+" + std::to_string(len) +
                      ")->st=" + std::to_string(st & 15) +
                      (go_peek != uint64_t(-1) ? ",goto=" + std::to_string(go_peek) : "") + " ";
            if (st & 0x08)
                return finish(true);
            uint64_t go = mi_.Open_Buffer_Continue_GoTo_Get();
            if (go != uint64_t(-1)) {
                ++jumps_;
                if (go >= total_)
                    return finish(true);
                mi_.Open_Buffer_Init(total_, go); // "the next bytes I give you start at go"
                jumped_forward_ = go > pos_;
                pos_ = go;
            } else {
                pos_ += len;
                if (pos_ >= total_)
                    return finish(true);
            }
        }
        if (responses_ >= o_.max_requests || fed_budget_exceeded(n))
            return finish(false);
        if (o_.tail_cap && jumped_forward_) {
            jumped_forward_ = false;
            return {Action::Fetch, pos_, std::min<uint64_t>(total_ - pos_, o_.tail_cap)};
        }
        return {Action::Fetch, pos_, o_.next};
    }
    const Result& result() const { return r_; }
    bool in_progress_feed(const uint8_t* p, size_t n, uint64_t total) {
        return on_bytes(0, p, n, total).kind == Action::Fetch;
    }
    uint64_t jumps() const { return jumps_; }
    const std::string& trace() const { return trace_; }

private:
    bool fed_budget_exceeded(size_t n) {
        bytes_ += n;
        return bytes_ >= o_.max_bytes;
    }
    Action finish(bool complete) {
        mi_.Open_Buffer_Finalize();
        r_.complete = complete;
        r_.format = narrow(mi_.Get(Stream_General, 0, L"Format"));
        r_.format_profile = narrow(mi_.Get(Stream_General, 0, L"Format_Profile"));
        r_.duration_ms = std::wcstod(mi_.Get(Stream_General, 0, L"Duration").c_str(), nullptr);
        r_.file_size = std::wcstoull(mi_.Get(Stream_General, 0, L"FileSize").c_str(), nullptr, 10);
        r_.video_tracks = mi_.Count_Get(Stream_Video);
        r_.audio_tracks = mi_.Count_Get(Stream_Audio);
        r_.images = mi_.Count_Get(Stream_Image);
        if (r_.video_tracks) {
            r_.video_format = narrow(mi_.Get(Stream_Video, 0, L"Format"));
            r_.width = std::wcstol(mi_.Get(Stream_Video, 0, L"Width").c_str(), nullptr, 10);
            r_.height = std::wcstol(mi_.Get(Stream_Video, 0, L"Height").c_str(), nullptr, 10);
        } else if (r_.images) {
            r_.image_format = narrow(mi_.Get(Stream_Image, 0, L"Format"));
            r_.width = std::wcstol(mi_.Get(Stream_Image, 0, L"Width").c_str(), nullptr, 10);
            r_.height = std::wcstol(mi_.Get(Stream_Image, 0, L"Height").c_str(), nullptr, 10);
        }
        return {Action::Done};
    }

    Options o_;
    MediaInfo mi_;
    bool inited_ = false, jumped_forward_ = false;
    uint64_t total_ = 0, pos_ = 0, responses_ = 0, bytes_ = 0, jumps_ = 0;
    Result r_;
    std::string
        trace_; // what Open_Buffer_Continue returned (bits: 1 accepted, 2 filled, 4 updated, 8 finalized)
};

// Drives one probe against the simulated server.
static std::string g_trace;
static Result run(RangeSource& src, const Options& o, bool whole, bool keep_log, uint64_t* jumps = nullptr) {
    MediaInfoProbe probe(o);
    Action a = probe.start();
    bool first = true;
    while (a.kind == Action::Fetch) {
        std::vector<uint8_t> body;
        uint64_t off = a.off;
        if (whole && first) {
            body = src.fetch(0, src.size(), keep_log);
            off = 0;
        } // 200, whole body
        else
            body = src.fetch(a.off, a.len, keep_log);
        first = false;
        if (body.empty()) {
            a = probe.on_bytes(off, nullptr, 0, src.size());
            continue;
        }
        a = probe.on_bytes(off, body.data(), body.size(), src.size());
    }
    if (jumps)
        *jumps = probe.jumps();
    if (keep_log)
        g_trace = probe.trace();
    return probe.result();
}

// --extras FILE: cost of an empty object, heap held by 16 probes in flight, and 2 threads
// probing at once with their own objects (results must match the single-threaded ones).
static void extras(const std::string& file, const Options& o) {
    double t0 = cpu_seconds();
    for (int i = 0; i < 1000; ++i) {
        MediaInfo mi;
        mi.Option(L"ParseSpeed", L"-1");
    }
    printf("construct+Option+destroy: %.0f us\n", (cpu_seconds() - t0) * 1e6 / 1000);

    RangeSource src(file);
    auto first = src.fetch(0, o.first, false);
    struct mallinfo2 m0 = mallinfo2();
    std::vector<std::unique_ptr<MediaInfoProbe>> live;
    for (int i = 0; i < 16; ++i) {
        live.push_back(std::make_unique<MediaInfoProbe>(o));
        live.back()->in_progress_feed(first.data(), first.size(), src.size());
    }
    struct mallinfo2 m1 = mallinfo2();
    printf("heap per probe in flight (after its first %zu bytes): %.0f KiB\n", first.size(),
           (double(m1.uordblks) - double(m0.uordblks)) / 16 / 1024);
    live.clear();

    Result ref = run(src, o, false, false);
    std::atomic<int> bad{0};
    auto worker = [&] {
        RangeSource s(file);
        for (int i = 0; i < 2000; ++i) {
            s.reset();
            Result r = run(s, o, false, false);
            if (r.to_string() != ref.to_string())
                ++bad;
        }
    };
    double w0 = cpu_seconds();
    auto wall0 = std::chrono::steady_clock::now();
    std::thread a(worker), b(worker);
    a.join();
    b.join();
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    printf("2 threads x 2000 probes: %d mismatches, %.0f probes/s wall, %.0f us CPU/probe\n", bad.load(),
           4000 / wall, (cpu_seconds() - w0) * 1e6 / 4000);
}

int main(int argc, char** argv) {
    Options o;
    int iters = 1000;
    bool whole = false;
    std::string mode;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&] { return std::string(argv[++i]); };
        if (a == "--first")
            o.first = std::stoull(val());
        else if (a == "--next")
            o.next = std::stoull(val());
        else if (a == "--iters")
            iters = std::stoi(val());
        else if (a == "--max-requests")
            o.max_requests = std::stoull(val());
        else if (a == "--whole")
            whole = true;
        else if (a == "--extras")
            mode = "extras";
        else if (a == "--tail-cap")
            o.tail_cap = std::stoull(val());
        else if (a == "--opt") {
            std::string kv = val();
            auto eq = kv.find('=');
            o.mi_options.emplace_back(std::wstring(kv.begin(), kv.begin() + eq),
                                      std::wstring(kv.begin() + eq + 1, kv.end()));
        } else
            files.push_back(a);
    }
    if (mode == "extras") {
        extras(files.at(0), o);
        return 0;
    }
    printf("file\trequests\tbytes\tjumps\tcpu_us\tresult\tranges\n");
    for (auto& f : files) {
        RangeSource src(f);
        uint64_t jumps = 0;
        Result r = run(src, o, whole, true, &jumps);
        uint64_t req = src.requests, bytes = src.bytes;
        std::string log = src.log;
        double t0 = cpu_seconds();
        for (int i = 0; i < iters; ++i) {
            src.reset();
            run(src, o, whole, false);
        }
        double us = iters ? (cpu_seconds() - t0) * 1e6 / iters : 0;
        std::string name = f.substr(f.find_last_of('/') + 1);
        printf("%s\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%.0f\t%s\t%s\n", name.c_str(), req, bytes, jumps,
               us, r.to_string().c_str(), (log + " | " + g_trace).c_str());
    }
}
