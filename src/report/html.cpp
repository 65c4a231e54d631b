#include "evobatch/report/render.hpp"

#include "evobatch/util/duration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

namespace evobatch::report {

namespace {

// No script, no external URL: the CSP forbids both, so even text that escaped its escaping
// could neither run nor call home.
constexpr char const* k_head = R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>)";

constexpr char const* k_style = R"(<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px;color:#1a202c;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.meta{color:#4a5568;margin:0}code{font:12px/1.3 ui-monospace,"DejaVu Sans Mono",monospace}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:0;padding:0}
.card{border:1px solid #e2e8f0;border-radius:6px;padding:8px 14px;min-width:110px}
.card dt{color:#4a5568;font-size:12px}.card dd{margin:0;font-size:18px;font-weight:600}
.states{list-style:none;padding:0;margin:12px 0;display:flex;flex-wrap:wrap;gap:14px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse}th,td{border-bottom:1px solid #e2e8f0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f7fafc;font-weight:600;white-space:nowrap}td.num{text-align:right;white-space:nowrap}
td.time,td.task,td.file{white-space:nowrap}.scroll{overflow-x:auto}td.err{max-width:420px;overflow-wrap:anywhere}
.badge{display:inline-block;padding:0 6px;border-radius:9px;color:#fff;font-size:12px;white-space:nowrap}
svg{display:block;max-width:100%;height:auto;border:1px solid #e2e8f0;border-radius:6px}
svg text{font:11px system-ui,"DejaVu Sans",sans-serif;fill:#4a5568}svg .grid{stroke:#edf2f7}svg .eta{stroke:#1a202c;stroke-width:2}
.s-new{background:#a0aec0;fill:#a0aec0}.s-submitting{background:#718096;fill:#718096}
.s-running{background:#3182ce;fill:#3182ce}.s-completed{background:#2f855a;fill:#2f855a}
.s-failed{background:#c53030;fill:#c53030}.s-uncertain{background:#c05621;fill:#c05621}
.s-unsent{background:#4a5568;fill:#4a5568}.s-changed{background:#6b46c1;fill:#6b46c1}
.empty{color:#718096}
</style>
)";

// Bar chart geometry, in SVG user units.
constexpr double k_chart_width = 960;
constexpr double k_label_width = 150;
constexpr double k_right_pad = 20;
constexpr double k_axis_height = 24;

// A CSS class name from a state (our own words, but keep the class safe whatever they are).
std::string state_class(std::string_view state) {
    std::string out = "s-";
    for (char c : state) {
        out += (c >= 'a' && c <= 'z') ? c : '_';
    }
    return out;
}

std::string human_seconds(double s) {
    if (s < 60) {
        return fmt::format("{:.1f}s", s);
    }
    return util::format_duration(std::chrono::seconds(std::llround(s)));
}

std::string axis_label(double s, double step) {
    if (step < 1) {
        return fmt::format("{:.1f}s", s);
    }
    return util::format_duration(std::chrono::seconds(std::llround(s)));
}

// A round tick step giving at most about 10 ticks over `span_s`.
double tick_step(double span_s) {
    constexpr std::array<double, 17> k_steps = {0.1, 0.2, 0.5, 1,   2,   5,    10,   15,  30,
                                                60,  120, 300, 600, 900, 1800, 3600, 7200};
    for (double step : k_steps) {
        if (span_s / step <= 10) {
            return step;
        }
    }
    return std::ceil(span_s / 10 / 3600) * 3600;
}

// A table cell's time: to the second for reading, the exact ISO 8601 in the element.
std::string time_cell(std::int64_t t_ms) {
    if (t_ms <= 0) {
        return {};
    }
    std::string const iso = iso8601_utc(t_ms);
    return fmt::format("<time datetime=\"{0}\" title=\"{0}\">{1} {2}</time>", iso, iso.substr(0, 10),
                       iso.substr(11, 8));
}

void append_card(std::string& out, std::string_view name, std::string_view value, std::string_view id) {
    out += fmt::format("<div class=\"card\" id=\"{}\"><dt>{}</dt><dd>{}</dd></div>\n", id, name,
                       html_escape(value));
}

void append_totals(std::string& out, Report const& report) {
    Totals const& t = report.totals;
    out += "<section id=\"totals\">\n<h2>Totals</h2>\n<dl class=\"cards\">\n";
    append_card(out, "jobs", std::to_string(t.jobs), "total-jobs");
    append_card(out, "tasks", std::to_string(t.tasks), "total-tasks");
    append_card(out, "credits", sched::credits_text(t.credits), "total-credits");
    append_card(out, "wall time", t.first_t_ms > 0 ? human_seconds(t.wall_s) : "-", "total-wall");
    append_card(out, "files", fmt::format("{} ({:.1f} MB)", t.files, static_cast<double>(t.bytes) / 1e6),
                "total-files");
    out += "</dl>\n<ul class=\"states\">\n";
    for (auto const& [state, n] : t.states) {
        out += fmt::format("<li data-state=\"{0}\"><span class=\"swatch {1}\"></span>{0} <b>{2}</b></li>\n",
                           html_escape(state), state_class(state), n);
    }
    out += "</ul>\n";
    if (t.first_t_ms > 0) {
        out += fmt::format("<p class=\"meta\">first event {}, last event {}</p>\n", iso8601_utc(t.first_t_ms),
                           iso8601_utc(t.last_t_ms));
    }
    out += "<h3>Failure reasons</h3>\n";
    if (t.failure_reasons.empty()) {
        out += "<p class=\"empty\" id=\"failure-reasons\">none</p>\n";
    } else {
        out += "<table id=\"failure-reasons\">\n<thead><tr><th>error "
               "code</th><th>jobs</th></tr></thead>\n<tbody>\n";
        for (FailureReason const& reason : t.failure_reasons) {
            out +=
                fmt::format("<tr class=\"reason\"><td><code>{}</code></td><td class=\"num\">{}</td></tr>\n",
                            html_escape(reason.code), reason.jobs.size());
        }
        out += "</tbody>\n</table>\n";
    }
    out += "</section>\n";
}

void append_timeline(std::string& out, Report const& report) {
    out += "<section id=\"timeline\">\n<h2>Timeline</h2>\n";
    std::int64_t origin = 0;
    std::int64_t end = 0;
    std::size_t bars = 0;
    for (Row const& r : report.rows) {
        for (TaskRun const& run : r.runs) {
            std::int64_t s = 0;
            std::int64_t e = 0;
            if (task_span(run, report.totals, s, e)) {
                origin = bars == 0 ? s : std::min(origin, s);
                end = bars == 0 ? e : std::max(end, e);
                ++bars;
            }
        }
    }
    if (bars == 0) {
        out += "<p class=\"empty\">No task submitted yet.</p>\n</section>\n";
        return;
    }
    bool const labels = bars <= 200;
    double const row_h = labels ? 16 : 4;
    double const bar_h = labels ? 11 : 3;
    double const left = labels ? k_label_width : 10;
    double const plot_w = k_chart_width - left - k_right_pad;
    double const span_s = std::max(0.001, static_cast<double>(end - origin) / 1000.0);
    double const height = k_axis_height + static_cast<double>(bars) * row_h + 8;
    auto x_of = [&](std::int64_t t_ms) {
        return left + static_cast<double>(t_ms - origin) / 1000.0 / span_s * plot_w;
    };

    out +=
        fmt::format("<p class=\"meta\">One bar per task, from its submission to its end (a black tick: its "
                    "estimated end); x: time since the batch's first submission ({}).</p>\n",
                    iso8601_utc(origin));
    out += fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"timeline-chart\" role=\"img\" "
                       "width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\">\n",
                       k_chart_width, height);
    out += "<title>Task timeline</title>\n<g class=\"axis\">\n";
    double const step = tick_step(span_s);
    for (int i = 0; static_cast<double>(i) * step <= span_s + 1e-9; ++i) {
        double const s = static_cast<double>(i) * step;
        double const x = left + s / span_s * plot_w;
        out +=
            fmt::format("<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1:.0f}\" x2=\"{0:.1f}\" y2=\"{2:.0f}\"/>"
                        "<text x=\"{0:.1f}\" y=\"14\" text-anchor=\"middle\">{3}</text>\n",
                        x, k_axis_height - 6, height, axis_label(s, step));
    }
    out += "</g>\n<g class=\"bars\">\n";
    double y = k_axis_height;
    for (Row const& r : report.rows) {
        for (TaskRun const& run : r.runs) {
            std::int64_t s = 0;
            std::int64_t e = 0;
            if (!task_span(run, report.totals, s, e)) {
                continue;
            }
            std::string const id = html_escape(r.id);
            double const x0 = x_of(s);
            double const w = std::max(1.0, x_of(e) - x0);
            std::string const until =
                run.finished_t_ms > 0 ? iso8601_utc(e) : "still running at the ledger's last event";
            if (labels) {
                out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", left - 6,
                                   y + bar_h - 1, id);
            }
            out += fmt::format(
                "<rect class=\"bar {}\" data-job=\"{}\" data-state=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" "
                "width=\"{:.1f}\" height=\"{:.0f}\" rx=\"2\"><title>{}: {}, attempt {}, task {}, {} to {} ({})</title>"
                "</rect>\n",
                state_class(run.phase), id, html_escape(run.phase), x0, y + (row_h - bar_h) / 2, w, bar_h, id,
                html_escape(run.phase), run.attempt, html_escape(run.task), iso8601_utc(s), until,
                human_seconds(static_cast<double>(e - s) / 1000.0));
            if (run.estimated_s && labels) {
                // Where the create answer said the task would end: actual against estimated at a glance.
                double const xe = std::min(x_of(s + std::int64_t{*run.estimated_s} * 1000), k_chart_width - 1);
                out += fmt::format(
                    "<line class=\"eta\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>\n", xe,
                    y + 1, y + row_h - 1);
            }
            y += row_h;
        }
    }
    out += "</g>\n</svg>\n</section>\n";
}

void append_jobs(std::string& out, Report const& report) {
    out +=
        "<section id=\"jobs\">\n<h2>Jobs</h2>\n<div class=\"scroll\">\n<table "
        "id=\"job-table\">\n<thead><tr><th>id</th><th>state</th>"
        "<th>task</th><th>attempts</th><th>credits</th><th>submitted (UTC)</th><th>finished (UTC)</th>"
        "<th>actual</th><th>estimated</th><th>file</th><th>sha256</th><th>error</th></tr></thead>\n<tbody>\n";
    for (Row const& r : report.rows) {
        std::string const id = html_escape(r.id);
        std::string const state = html_escape(r.state);
        out += fmt::format(
            "<tr class=\"job\" id=\"job-{0}\" data-job=\"{0}\" data-state=\"{1}\">"
            "<td class=\"id\"><code>{0}</code></td><td class=\"state\"><span class=\"badge {2}\">{1}"
            "</span></td>",
            id, state, state_class(r.state));
        out += fmt::format("<td class=\"task\"><code>{}</code></td>", html_escape(r.task));
        out += fmt::format("<td class=\"num attempts\">{}</td>",
                           r.attempts > 0 ? std::to_string(r.attempts) : "");
        out += fmt::format("<td class=\"num credits\">{}</td>",
                           r.state != "new" ? std::to_string(r.credits) : "");
        out += fmt::format("<td class=\"time submitted\">{}</td>", time_cell(r.submitted_t_ms));
        out += fmt::format("<td class=\"time finished\">{}</td>", time_cell(r.finished_t_ms));
        out += fmt::format("<td class=\"num actual\">{}</td>", r.actual_s ? human_seconds(*r.actual_s) : "");
        out += fmt::format("<td class=\"num estimated\">{}</td>",
                           r.estimated_s ? human_seconds(static_cast<double>(*r.estimated_s)) : "");
        std::string files;
        std::string hashes;
        for (ResultFile const& f : r.files) {
            files += fmt::format("{}<code>{}</code>", files.empty() ? "" : "<br>", html_escape(f.file));
            hashes += fmt::format("{}<code title=\"{}\">{}</code>", hashes.empty() ? "" : "<br>",
                                  html_escape(f.sha256), html_escape(f.sha256.substr(0, 12)));
        }
        out += fmt::format("<td class=\"file\">{}</td><td class=\"sha256\">{}</td>", files, hashes);
        out += "<td class=\"err\">";
        if (r.error) {
            out +=
                fmt::format("<code>{}</code> {}", html_escape(r.error->code), html_escape(r.error->message));
        }
        out += "</td></tr>\n";
    }
    out += "</tbody>\n</table>\n</div>\n</section>\n";
}

} // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string render_html(Report const& report) {
    std::string out = k_head;
    out += "evobatch report: " + html_escape(report.manifest) + "</title>\n";
    out += k_style;
    out += "</head>\n<body>\n<header>\n<h1>evobatch report</h1>\n";
    out += fmt::format(
        "<p class=\"meta\">manifest <code>{}</code>, ledger <code>{}</code> ({} events), generated "
        "{}</p>\n</header>\n",
        html_escape(report.manifest), html_escape(report.ledger), report.events,
        iso8601_utc(report.generated_t_ms));
    append_totals(out, report);
    append_timeline(out, report);
    append_jobs(out, report);
    out += "</body>\n</html>\n";
    return out;
}

} // namespace evobatch::report
