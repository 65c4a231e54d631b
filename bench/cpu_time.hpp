#pragma once
// CPU seconds a benchmark spent: RUSAGE_THREAD (the calling thread, say the client's io
// thread) or RUSAGE_SELF (the whole process, an in-process simulator included).

#include <sys/resource.h>

namespace evobatch::bench {

inline double cpu_seconds(int who) {
    rusage usage{};
    getrusage(who, &usage);
    auto const secs = [](timeval tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
    return secs(usage.ru_utime) + secs(usage.ru_stime);
}

} // namespace evobatch::bench
