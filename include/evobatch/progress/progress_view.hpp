#pragma once
// What the user sees of a running batch: a live bar on a terminal, a plain line every few
// seconds in a log, one JSON event per line for machines, or (quiet) only what went wrong.
// The scheduler feeds it snapshots and job notes; it only writes text to a FILE*, no other I/O.
// Time comes in as `now`. Single-threaded: call it from the scheduler's thread only.

#include "evobatch/progress/summary.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::progress {

enum class Mode { tty, plain, json, quiet };

// The batch's state at one moment; counts are jobs.
struct Snapshot {
    std::size_t total = 0, queued = 0, submitting = 0, running = 0, completed = 0, failed = 0, uncertain = 0,
                stale = 0, waiting_retry = 0;
    std::int64_t credits_reserved = 0, credits_ceiling = 0; // ceiling 0: none shown
    double request_rate = 0;                                // API requests a second, last 10 s
    std::optional<std::chrono::seconds> eta;                // nothing: not known yet
    std::chrono::seconds elapsed{0};
    std::string paused_reason; // empty when submitting is not paused (breaker, Retry-After, 402...)
    bool downloads = false;    // results are downloaded in this run: show the figures below
    std::size_t downloading = 0, downloaded = 0; // result files in transfer / safely on disk
    std::uint64_t download_bytes = 0;             // received so far
    double download_rate = 0;                     // bytes a second, last 10 s
};

// Something that happened to one job. Events: submitted, completed, failed, uncertain,
// rejected, unprobed, retrying, stale, ... JSON mode prints every note; tty and plain print
// failed, uncertain, rejected, unprobed, stale, warning and stopped (job may be empty for the
// last two: batch-wide); quiet prints failed, uncertain, rejected and stopped.
struct JobNote {
    std::string job;
    std::string event;
    std::string task;   // the API task id, when there is one
    std::string detail; // free text (server messages included): cleaned before printing
};

class ProgressView {
public:
    // `color`: the caller decides (out is a TTY and NO_COLOR is unset). `width`: the most
    // columns the bar may take (a narrower terminal's width, if the caller knows it).
    ProgressView(Mode mode, std::FILE* out, bool color, std::size_t width = k_default_width);

    // --json wins over --quiet; otherwise a terminal gets the bar and anything else plain lines.
    static Mode choose(bool json, bool quiet, std::FILE* out);

    // tty: redraws the bar in place, at most once per k_tty_interval (later calls inside it are
    // dropped); plain and json: one line per k_log_interval, and at once when the pause reason
    // changes; quiet: nothing.
    void update(Snapshot const& s, std::chrono::steady_clock::time_point now);

    // See JobNote. On a tty the bar is cleared, the note printed on its own line, the bar redrawn.
    void note(JobNote const& n);

    // Clears the bar and prints the summary with what to do next; json: one
    // {"ev":"summary",...} line. Quiet prints it too: it is what --quiet keeps.
    void finish(Summary const& s);

    // Called once, with errno, when a write to `out` fails: above all a reader that went away
    // (`run --json | head -1`; with SIGPIPE ignored, EPIPE). The view writes nothing after
    // that, so a closed pipe costs neither a crash nor a failed write per event.
    void on_write_failure(std::function<void(int)> handler);

    static constexpr std::size_t k_default_width = 100;
    static constexpr std::chrono::milliseconds k_tty_interval{250};
    static constexpr std::chrono::seconds k_log_interval{5};

private:
    void write(std::string_view text);
    void draw_bar(Snapshot const& s);
    void clear_bar();

    Mode m_mode;
    std::FILE* m_out;
    bool m_color;
    std::size_t m_width;
    std::optional<std::chrono::steady_clock::time_point> m_last_output;
    std::optional<Snapshot> m_last_snapshot;
    std::size_t m_bar_columns = 0; // columns of the bar on screen now; 0: none
    bool m_write_failed = false;
    std::function<void(int)> m_on_write_failure;
};

} // namespace evobatch::progress
