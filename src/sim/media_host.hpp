#pragma once
// The simulator's host of source media: GET /media/<name>[?lie=<lie>] serves an embedded file
// (media_files.hpp) with ETag, Last-Modified, Range and If-Range, answers 304 Not Modified to
// an If-None-Match or If-Modified-Since its file meets, or tells the lie the URL asks for
// (source_media.hpp). No key, no limits, no injected faults. Sans I/O, like the Service that
// owns it and calls it under its lock.

#include "media_files.hpp"
#include "reply.hpp"

#include "evobatch/sim/simulator.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace evobatch::sim {

class MediaHost {
public:
    // `base_url`: where redirects point; `stall`: how long `?lie=stall` stays silent.
    MediaHost(std::string base_url, std::chrono::milliseconds stall);

    // Answers one request under /media/, counting it in `stats` (media_requests is the caller's).
    void serve(Request const& request, Reply& reply, SimStats& stats);

private:
    std::string const& etag_of(MediaFile const& file);

    std::string const m_base_url;
    std::chrono::milliseconds const m_stall;
    std::unordered_set<std::string> m_flaky_seen;          // targets that have had their 503
    std::unordered_map<std::string_view, std::string> m_etags; // by file name
};

} // namespace evobatch::sim
