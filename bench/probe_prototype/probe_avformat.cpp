// Prototype B (issue 17): libavformat through a custom AVIOContext whose read/seek callbacks
// go through the same counted "Range requests" as prototype A. libavformat pulls bytes
// (read_packet blocks until it has them), so this is measured synchronously; an async client
// would need a thread or a stackful coroutine per probe, not a sans-io state machine.
//
//   g++ -O2 -std=c++20 probe_avformat.cpp $(pkg-config --cflags --libs libavformat libavcodec libavutil) -o
//   probe_avformat
//   ./probe_avformat [--first N] [--next N] [--iters N] [--avio-buf N] [--find-stream-info] [--no-hint]
//   [--replay] FILE...
#include "range_source.h"
extern "C" {
#include <libavformat/avformat.h>
#include <libavutil/log.h>
}
#include <cinttypes>

// --replay: the read callback only serves bytes already fetched; a miss records the offset and
// fails the read (AVERROR_EXIT), the driver fetches that range and reruns avformat_open_input from
// scratch. This turns libavformat into a sans-io step at the cost of one rerun per miss.
struct Cache {
    std::vector<std::pair<uint64_t, std::vector<uint8_t>>> ranges;
    const std::vector<uint8_t>* find(uint64_t pos, uint64_t* base) const {
        for (auto& [o, b] : ranges)
            if (pos >= o && pos < o + b.size()) {
                *base = o;
                return &b;
            }
        return nullptr;
    }
};

struct Fetcher { // a one-response cache in front of RangeSource: read() never refetches what it holds
    RangeSource* src = nullptr;
    uint64_t first = 0, next = 0;
    bool keep_log = false;
    uint64_t pos = 0;
    uint64_t buf_off = 0;
    std::vector<uint8_t> buf;
    bool any = false;
    Cache* cache = nullptr; // replay mode
    int64_t miss = -1;
    int read(uint8_t* out, int n) {
        if (pos >= src->size())
            return AVERROR_EOF;
        if (cache) {
            uint64_t base;
            auto* b = cache->find(pos, &base);
            if (!b) {
                miss = pos;
                return AVERROR_EXIT;
            }
            uint64_t k = std::min<uint64_t>(n, base + b->size() - pos);
            memcpy(out, b->data() + (pos - base), k);
            pos += k;
            return int(k);
        }
        if (!any || pos < buf_off || pos >= buf_off + buf.size()) {
            buf = src->fetch(pos, any ? next : first, keep_log);
            buf_off = pos;
            any = true;
        }
        uint64_t k = std::min<uint64_t>(n, buf_off + buf.size() - pos);
        memcpy(out, buf.data() + (pos - buf_off), k);
        pos += k;
        return int(k);
    }
};

static int read_cb(void* opaque, uint8_t* out, int n) {
    return static_cast<Fetcher*>(opaque)->read(out, n);
}
static int64_t seek_cb(void* opaque, int64_t off, int whence) {
    auto* f = static_cast<Fetcher*>(opaque);
    whence &= ~AVSEEK_FORCE;
    if (whence == AVSEEK_SIZE)
        return f->src->size(); // known from Content-Range of the first response
    if (whence == SEEK_SET)
        f->pos = off;
    else if (whence == SEEK_CUR)
        f->pos += off;
    else if (whence == SEEK_END)
        f->pos = f->src->size() + off;
    else
        return -1;
    return f->pos;
}

struct Result {
    std::string format;
    double duration_s = 0;
    int video = 0, audio = 0, width = 0, height = 0;
    std::string vcodec;
    int err = 0;
};

struct Conf {
    uint64_t first = 65536, next = 65536;
    int avio_buf = 32768;
    bool fsi = false, hint = true, replay = false;
};

static Result probe_once(RangeSource& src, const Conf& c, bool keep_log, Cache* cache, int64_t* miss) {
    Result r;
    Fetcher f;
    f.src = &src;
    f.first = c.first;
    f.next = c.next;
    f.keep_log = keep_log;
    f.cache = cache;
    auto* iobuf = static_cast<uint8_t*>(av_malloc(c.avio_buf));
    AVIOContext* io = avio_alloc_context(iobuf, c.avio_buf, 0, &f, read_cb, nullptr, seek_cb);
    AVFormatContext* fc = avformat_alloc_context();
    fc->pb = io;
    fc->flags |= AVFMT_FLAG_CUSTOM_IO;
    AVDictionary* opts = nullptr;
    av_dict_set(&opts, "probesize", "32768", 0);
    av_dict_set(&opts, "analyzeduration", "0", 0);
    const AVInputFormat* fmt = c.hint ? av_find_input_format("mov") : nullptr; // "mov,mp4,m4a,3gp,3g2,mj2"
    int e = avformat_open_input(&fc, nullptr, fmt, &opts);
    av_dict_free(&opts);
    if (e < 0) {
        r.err = e;
    } else {
        if (c.fsi)
            avformat_find_stream_info(fc, nullptr);
        r.format = fc->iformat->name;
        r.duration_s = fc->duration > 0 ? fc->duration / double(AV_TIME_BASE) : 0;
        for (unsigned i = 0; i < fc->nb_streams; ++i) {
            auto* p = fc->streams[i]->codecpar;
            if (p->codec_type == AVMEDIA_TYPE_VIDEO &&
                !(fc->streams[i]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
                if (!r.video++) {
                    r.width = p->width;
                    r.height = p->height;
                    r.vcodec = avcodec_get_name(p->codec_id);
                }
            } else if (p->codec_type == AVMEDIA_TYPE_AUDIO)
                ++r.audio;
        }
        // the container's major brand tells MP4 from QuickTime: "qt  " for .mov
        if (auto* t = av_dict_get(fc->metadata, "major_brand", nullptr, 0))
            r.format += std::string("/") + t->value;
        avformat_close_input(&fc);
    }
    if (fc)
        avformat_free_context(fc);
    av_freep(&io->buffer);
    avio_context_free(&io);
    if (miss)
        *miss = f.miss;
    return r;
}

static int g_runs = 0;
static Result probe(RangeSource& src, const Conf& c, bool keep_log) {
    if (!c.replay) {
        g_runs = 1;
        return probe_once(src, c, keep_log, nullptr, nullptr);
    }
    Cache cache;
    cache.ranges.emplace_back(0, src.fetch(0, c.first, keep_log));
    for (int run = 1;; ++run) {
        int64_t miss = -1;
        Result r = probe_once(src, c, keep_log, &cache, &miss);
        g_runs = run;
        if (miss < 0 || run >= 6)
            return r;
        // a miss past the first response is taken to be the moov at the end: ask to EOF (capped)
        uint64_t len = miss > int64_t(c.first) ? std::min<uint64_t>(src.size() - miss, 1 << 20) : c.next;
        cache.ranges.emplace_back(miss, src.fetch(miss, len, keep_log));
    }
}

int main(int argc, char** argv) {
    av_log_set_level(AV_LOG_QUIET);
    Conf c;
    int iters = 1000;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&] { return std::string(argv[++i]); };
        if (a == "--first")
            c.first = std::stoull(val());
        else if (a == "--next")
            c.next = std::stoull(val());
        else if (a == "--iters")
            iters = std::stoi(val());
        else if (a == "--avio-buf")
            c.avio_buf = std::stoi(val());
        else if (a == "--find-stream-info")
            c.fsi = true;
        else if (a == "--no-hint")
            c.hint = false;
        else if (a == "--replay")
            c.replay = true;
        else
            files.push_back(a);
    }
    printf("file\trequests\tbytes\truns\tcpu_us\tresult\tranges\n");
    for (auto& fn : files) {
        RangeSource src(fn);
        Result r = probe(src, c, true);
        uint64_t req = src.requests, bytes = src.bytes;
        int runs = g_runs;
        std::string log = src.log;
        double t0 = cpu_seconds();
        for (int i = 0; i < iters; ++i) {
            src.reset();
            probe(src, c, false);
        }
        double us = iters ? (cpu_seconds() - t0) * 1e6 / iters : 0;
        char res[256];
        if (r.err) {
            char eb[128];
            av_strerror(r.err, eb, sizeof eb);
            snprintf(res, sizeof res, "error: %s", eb);
        } else
            snprintf(res, sizeof res, "fmt=%s dur=%.3fs video=%d(%s %dx%d) audio=%d", r.format.c_str(),
                     r.duration_s, r.video, r.vcodec.c_str(), r.width, r.height, r.audio);
        printf("%s\t%" PRIu64 "\t%" PRIu64 "\t%d\t%.0f\t%s\t%s\n",
               fn.substr(fn.find_last_of('/') + 1).c_str(), req, bytes, runs, us, res, log.c_str());
    }
}
