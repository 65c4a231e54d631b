// A file served only through counted "Range requests", as the HTTP(S) probe would see it.
// Shared by the prototypes; not part of the build (see README.md next to it).
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <time.h>
#include <vector>

struct RangeSource {
    std::vector<uint8_t> file; // what the server holds
    uint64_t requests = 0, bytes = 0;
    std::string log; // "[off,+len) " per request

    explicit RangeSource(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in)
            throw std::runtime_error("cannot open " + path);
        file.assign(std::istreambuf_iterator<char>(in), {});
    }
    uint64_t size() const { return file.size(); }
    void reset() {
        requests = bytes = 0;
        log.clear();
    }
    // One "GET with Range: bytes=off-(off+len-1)": returns up to len bytes (fewer at the end).
    std::vector<uint8_t> fetch(uint64_t off, uint64_t len, bool keep_log) {
        ++requests;
        if (off >= file.size())
            return {};
        uint64_t n = std::min<uint64_t>(len, file.size() - off);
        bytes += n;
        if (keep_log)
            log += "[" + std::to_string(off) + ",+" + std::to_string(n) + ") ";
        return std::vector<uint8_t>(file.begin() + off, file.begin() + off + n);
    }
};

inline double cpu_seconds() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
