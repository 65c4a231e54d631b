// The timeline section: one SVG bar per task (every attempt of every request), each a link to
// its job's row, or the aggregate charts when bars would be too many to read.

#include "detail/charts.hpp"
#include "detail/page_parts.hpp"

#include "evobatch/report/render.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::report::detail {

namespace {

constexpr double k_label_width = 150;
constexpr double k_right_pad = 20;
constexpr double k_axis_height = 24;
// A label longer than this many characters would run out of the label column (11-unit text).
constexpr std::size_t k_label_chars = 20;

struct Span {
    std::int64_t origin_ms = 0;
    std::int64_t end_ms = 0;
    std::size_t bars = 0;
};

// Where the bars start and end, and how many there are.
Span bars_span(Report const& report) {
    Span span;
    for (Row const& r : report.rows) {
        for (TaskRun const& run : r.runs) {
            std::int64_t s = 0;
            std::int64_t e = 0;
            if (task_span(run, report.totals, s, e)) {
                span.origin_ms = span.bars == 0 ? s : std::min(span.origin_ms, s);
                span.end_ms = span.bars == 0 ? e : std::max(span.end_ms, e);
                ++span.bars;
            }
        }
    }
    return span;
}

// "shot-07", "shot-07 v2" (a later request), "shot-07 #2" (a later attempt): which task a bar is.
std::string run_name(std::string_view id, TaskRun const& run) {
    std::string name(id);
    if (run.version > 1) {
        name += fmt::format(" v{}", run.version);
    }
    if (run.attempt > 1) {
        name += fmt::format(" #{}", run.attempt);
    }
    return name;
}

std::string bar_label(std::string_view id, TaskRun const& run) {
    // Job ids are ASCII (manifest rules), so cutting bytes cuts whole characters.
    if (id.size() <= k_label_chars) {
        return run_name(id, run);
    }
    return run_name(std::string(id.substr(0, k_label_chars - 1)) + "\u2026", run);
}

std::string bar_title(std::string_view id, TaskRun const& run, std::int64_t s, std::int64_t e) {
    std::string const until =
        run.finished_t_ms > 0 ? iso8601_utc(e) : "still running at the ledger's last event";
    std::string text =
        fmt::format("{}: {}, attempt {}, task {}, {} to {} ({}", run_name(id, run), run.phase, run.attempt,
                    run.task, iso8601_utc(s), until, human_seconds(static_cast<double>(e - s) / 1000.0));
    if (run.estimated_s) {
        text += fmt::format("; estimated {}", human_seconds(static_cast<double>(*run.estimated_s)));
    }
    return text + ")";
}

struct BarRows {
    bool labels = false;
    double row_h = 0;
    double bar_h = 0;
    TimeAxis axis;
};

// One task's row at `y`: its label, its bar (a link to the job's row, hover for the times) and,
// with labels, a tick where the create answer said it would end.
void append_bar(std::string& out, BarRows const& g, std::string_view id, TaskRun const& run, std::int64_t s,
                std::int64_t e, double y) {
    std::string const job = html_escape(id);
    if (g.labels) {
        out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", g.axis.left - 6,
                           y + g.bar_h - 1, html_escape(bar_label(id, run)));
    }
    double const x0 = g.axis.x(s);
    out += fmt::format(
        "<a href=\"#job-{}\"><rect class=\"bar {}\" data-job=\"{}\" data-state=\"{}\" x=\"{:.1f}\" "
        "y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.0f}\" rx=\"2\"><title>{}</title></rect></a>\n",
        job, state_class(run.phase), job, html_escape(run.phase), x0, y + (g.row_h - g.bar_h) / 2,
        std::max(1.0, g.axis.x(e) - x0), g.bar_h, html_escape(bar_title(id, run, s, e)));
    if (run.estimated_s && g.labels) {
        double const xe = std::min(g.axis.x(s + std::int64_t{*run.estimated_s} * 1000), k_wide_chart - 4);
        out +=
            fmt::format("<line class=\"eta\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>\n",
                        xe, y + 1, y + g.row_h - 1);
    }
}

void append_task_bars(std::string& out, Report const& report, Span const& span) {
    BarRows g;
    g.labels = span.bars <= k_max_labelled_bars;
    g.row_h = g.labels ? 14 : 4;
    g.bar_h = g.labels ? 10 : 3;
    g.axis =
        TimeAxis{span.origin_ms, std::max(0.001, static_cast<double>(span.end_ms - span.origin_ms) / 1000.0),
                 g.labels ? k_label_width : 10, k_wide_chart - k_right_pad};
    double const height = k_axis_height + static_cast<double>(span.bars) * g.row_h + 8;
    out += fmt::format(
        "<p class=\"meta\">One bar per task, every attempt and earlier request included, from its "
        "submission to its end{}; click a bar for its job. x: time since the first submission "
        "({}).</p>\n",
        g.labels ? " (a black tick: its estimated end)" : "", iso8601_utc(span.origin_ms));
    open_svg(out, "timeline-chart", k_wide_chart, height, "Task timeline");
    time_grid(out, g.axis, k_axis_height - 6, height, 14);
    out += "<g class=\"bars\">\n";
    double y = k_axis_height;
    for (Row const& r : report.rows) {
        for (TaskRun const& run : r.runs) {
            std::int64_t s = 0;
            std::int64_t e = 0;
            if (task_span(run, report.totals, s, e)) {
                append_bar(out, g, r.id, run, s, e, y);
                y += g.row_h;
            }
        }
    }
    out += "</g>\n</svg>\n";
}

} // namespace

void append_timeline(std::string& out, Report const& report) {
    out += "<section id=\"timeline\">\n<h2>Timeline</h2>\n";
    Span const span = bars_span(report);
    if (span.bars == 0) {
        out += "<p class=\"empty\">No task submitted yet.</p>\n";
    } else if (span.bars <= k_max_task_bars) {
        append_task_bars(out, report, span);
    } else {
        append_aggregate_charts(out, report, span.origin_ms, span.end_ms);
    }
    out += "</section>\n";
}

} // namespace evobatch::report::detail
