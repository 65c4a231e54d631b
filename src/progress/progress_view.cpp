#include "evobatch/progress/progress_view.hpp"

#include "detail/lines.hpp"

#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <array>

namespace evobatch::progress {

namespace {

// Notes worth a line of their own where people read (see JobNote).
constexpr std::array<std::string_view, 7> k_shown_events = {"failed",  "uncertain", "rejected", "unprobed",
                                                            "stale",   "warning",   "stopped"};
constexpr std::array<std::string_view, 4> k_quiet_events = {"failed", "uncertain", "rejected", "stopped"};

template <std::size_t N> bool listed(std::array<std::string_view, N> const& events, std::string_view event) {
    return std::find(events.begin(), events.end(), event) != events.end();
}

} // namespace

ProgressView::ProgressView(Mode mode, std::FILE* out, bool color, std::size_t width)
    : m_mode(mode), m_out(out), m_color(color), m_width(width) {}

Mode ProgressView::choose(bool json, bool quiet, std::FILE* out) {
    if (json) {
        return Mode::json;
    }
    if (quiet) {
        return Mode::quiet;
    }
    return ::isatty(::fileno(out)) != 0 ? Mode::tty : Mode::plain;
}

void ProgressView::on_write_failure(std::function<void(int)> handler) {
    m_on_write_failure = std::move(handler);
}

void ProgressView::write(std::string_view text) {
    if (m_write_failed) {
        return;
    }
    errno = 0;
    bool const written = std::fwrite(text.data(), 1, text.size(), m_out) == text.size();
    // A bar has no line end, so line buffering would hold it back; machines reading --json want
    // each event when it happens.
    if (std::fflush(m_out) == 0 && written) {
        return;
    }
    int const error = errno;
    m_write_failed = true;
    if (m_on_write_failure) {
        m_on_write_failure(error);
    }
}

void ProgressView::draw_bar(Snapshot const& s) {
    detail::BarLine const line = detail::bar_line(s, m_width, m_color);
    // Spaces rather than an erase-line sequence overwrite a longer previous bar, so that
    // without color the output holds no escape sequence at all.
    std::size_t const pad = m_bar_columns > line.columns ? m_bar_columns - line.columns : 0;
    write("\r" + line.text + std::string(pad, ' '));
    m_bar_columns = line.columns + pad;
}

void ProgressView::clear_bar() {
    if (m_bar_columns > 0) {
        write("\r" + std::string(m_bar_columns, ' ') + "\r");
        m_bar_columns = 0;
    }
}

void ProgressView::update(Snapshot const& s, std::chrono::steady_clock::time_point now) {
    if (m_mode == Mode::quiet) {
        return;
    }
    bool const paused_changed =
        m_last_snapshot && m_last_snapshot->paused_reason != s.paused_reason && m_mode != Mode::tty;
    auto const interval = m_mode == Mode::tty ? std::chrono::steady_clock::duration(k_tty_interval)
                                              : std::chrono::steady_clock::duration(k_log_interval);
    bool const due = !m_last_output || now - *m_last_output >= interval;
    m_last_snapshot = s;
    if (!due && !paused_changed) {
        return;
    }
    m_last_output = now;
    switch (m_mode) {
    case Mode::tty:
        draw_bar(s);
        break;
    case Mode::plain:
        write(detail::plain_line(s) + "\n");
        break;
    case Mode::json:
        write(detail::progress_json(s) + "\n");
        break;
    case Mode::quiet:
        break;
    }
}

void ProgressView::note(JobNote const& n) {
    switch (m_mode) {
    case Mode::json:
        write(detail::note_json(n) + "\n");
        break;
    case Mode::quiet:
        if (listed(k_quiet_events, n.event)) {
            write(detail::note_line(n, m_color) + "\n");
        }
        break;
    case Mode::plain:
        if (listed(k_shown_events, n.event)) {
            write(detail::note_line(n, m_color) + "\n");
        }
        break;
    case Mode::tty:
        if (listed(k_shown_events, n.event)) {
            bool const had_bar = m_bar_columns > 0;
            clear_bar();
            write(detail::note_line(n, m_color) + "\n");
            if (had_bar && m_last_snapshot) {
                draw_bar(*m_last_snapshot);
            }
        }
        break;
    }
}

void ProgressView::finish(Summary const& s) {
    switch (m_mode) {
    case Mode::json:
        write(detail::summary_json(s) + "\n");
        break;
    case Mode::tty:
        clear_bar();
        write(detail::summary_text(s, m_color));
        break;
    case Mode::plain:
    case Mode::quiet:
        write(detail::summary_text(s, m_color));
        break;
    }
}

} // namespace evobatch::progress
