// The timeline of a big batch: instead of thousands of task bars, what a reader asks of them,
// drawn over sampled moments. How many jobs were waiting, running, done or failed; how long tasks
// took against their estimates; what was charged and held. Each chart is a few kilobytes of
// SVG whatever the batch's size.

#include "detail/charts.hpp"
#include "detail/page_parts.hpp"

#include "evobatch/report/render.hpp"
#include "evobatch/jobs/credits.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace evobatch::report::detail {

namespace {

// Moments sampled over the batch's span: about 5 units apart on a wide chart, finer than a
// reader sees, and 240 x jobs x attempts steps stay milliseconds for 100,000 jobs.
constexpr int k_samples = 240;

// Plot margins inside a chart: value labels on the left, time labels below.
constexpr double k_left = 56;
constexpr double k_right_pad = 20;
constexpr double k_top = 12;
constexpr double k_bottom_pad = 28;
constexpr double k_wide_height = 240;
constexpr double k_half_height = 220;

// Actual/estimated histogram: bins of 0.1 up to 2.5, and one for everything slower.
constexpr double k_ratio_bin = 0.1;
constexpr int k_ratio_bins = 26;

struct Series {
    std::string_view name;
    std::string_view state;     // its colour: a state's class
    std::vector<double> values; // one per sample
};

struct Plot {
    TimeAxis x;
    ValueAxis y;
    double width = 0;
    double height = 0;
};

Plot time_plot(std::int64_t origin_ms, std::int64_t end_ms, double width, double height, double data_max) {
    double const span_s = std::max(0.001, static_cast<double>(end_ms - origin_ms) / 1000.0);
    return Plot{TimeAxis{origin_ms, span_s, k_left, width - k_right_pad},
                value_axis(data_max, true, k_top, height - k_bottom_pad), width, height};
}

std::vector<std::int64_t> sample_times(std::int64_t origin_ms, std::int64_t end_ms) {
    std::vector<std::int64_t> times;
    times.reserve(k_samples + 1);
    for (int i = 0; i <= k_samples; ++i) {
        times.push_back(origin_ms + (end_ms - origin_ms) * i / k_samples);
    }
    return times;
}

// What a job is doing at a moment, in the order the jobs chart stacks them from the bottom.
enum class Load { done, failed, running, waiting };

// What a job was doing at `t_ms`, from its attempts (oldest first): its latest attempt sent by
// then says. Before any: waiting, as between a failed attempt and the next; a task not ended:
// running; then done, or failed (uncertain too) when no attempt follows.
Load load_at(Row const& row, std::int64_t t_ms) {
    std::size_t sent = 0;
    for (TaskRun const& run : row.runs) {
        std::int64_t const start = run.submitting_t_ms > 0 ? run.submitting_t_ms : run.submitted_t_ms;
        if (start <= 0 || start > t_ms) {
            break;
        }
        ++sent;
    }
    if (sent == 0) {
        return Load::waiting;
    }
    TaskRun const& run = row.runs[sent - 1];
    bool const last = sent == row.runs.size();
    if (run.task.empty() || run.submitted_t_ms <= 0 || run.submitted_t_ms > t_ms) {
        return last && run.phase == "uncertain" ? Load::failed : Load::waiting;
    }
    if (run.finished_t_ms <= 0 || run.finished_t_ms > t_ms) {
        return Load::running;
    }
    if (run.phase == "completed") {
        return Load::done;
    }
    return last ? Load::failed : Load::waiting;
}

// Each layer on the one below, the first at the bottom: one closed path per series.
void stacked_areas(std::string& out, Plot const& p, std::vector<std::int64_t> const& times,
                   std::vector<Series> const& series) {
    std::vector<double> base(times.size(), 0.0);
    for (Series const& s : series) {
        std::string d;
        for (std::size_t k = 0; k < times.size(); ++k) {
            d += fmt::format("{}{:.1f},{:.1f}", k == 0 ? 'M' : 'L', p.x.x(times[k]),
                             p.y.y(base[k] + s.values[k]));
        }
        for (std::size_t k = times.size(); k-- > 0;) {
            d += fmt::format("L{:.1f},{:.1f}", p.x.x(times[k]), p.y.y(base[k]));
            base[k] += s.values[k];
        }
        out += fmt::format("<path class=\"area {}\" d=\"{}Z\"><title>{}</title></path>\n",
                           state_class(s.state), d, s.name);
    }
}

std::string legend(std::vector<Series> const& series) {
    std::string out = "<span class=\"legend\">";
    for (Series const& s : series) {
        out += fmt::format("<span><span class=\"swatch {}\"></span>{}</span>", state_class(s.state), s.name);
    }
    return out + "</span>";
}

// A wide or half chart of stacked series over the sampled times, in a <figure>.
void append_area_figure(std::string& out, std::string_view id, std::string_view title,
                        std::string_view caption, Plot const& p, std::vector<std::int64_t> const& times,
                        std::vector<Series> const& series) {
    out += fmt::format("<figure class=\"chart{}\">\n", p.width >= k_wide_chart ? " wide" : "");
    open_svg(out, id, p.width, p.height, title);
    value_grid(out, p.y, p.x.left, p.x.right);
    time_grid(out, p.x, p.y.top, p.y.bottom, p.height - 10);
    stacked_areas(out, p, times, series);
    out += fmt::format("</svg>\n<figcaption><b>{}</b> {} {}</figcaption>\n</figure>\n", title, caption,
                       legend(series));
}

void append_jobs_chart(std::string& out, Report const& report, std::vector<std::int64_t> const& times,
                       std::int64_t origin_ms, std::int64_t end_ms) {
    std::vector<Series> series{{"done", "completed", {}},
                               {"failed or uncertain", "failed", {}},
                               {"task running", "running", {}},
                               {"waiting to be sent or retried", "new", {}}};
    for (Series& s : series) {
        s.values.assign(times.size(), 0.0);
    }
    std::size_t sent = 0;
    for (Row const& row : report.rows) {
        if (row.runs.empty()) {
            continue; // never sent: not part of any run's time
        }
        ++sent;
        for (std::size_t k = 0; k < times.size(); ++k) {
            series[static_cast<std::size_t>(load_at(row, times[k]))].values[k] += 1;
        }
    }
    std::string const caption = fmt::format(
        "The {} jobs the ledger has sent (of {} in the manifest) by what each was doing; x: time since "
        "the first submission ({}).",
        sent, report.rows.size(), iso8601_utc(origin_ms));
    append_area_figure(out, "jobs-chart", "Jobs over time", caption,
                       time_plot(origin_ms, end_ms, k_wide_chart, k_wide_height, static_cast<double>(sent)),
                       times, series);
}

// What a task held at `t_ms` (reserved while it ran) and what it was charged by then.
void add_credits_at(TaskRun const& run, std::int64_t t_ms, double& charged, double& held) {
    if (run.task.empty() || run.submitted_t_ms <= 0 || run.submitted_t_ms > t_ms) {
        return;
    }
    if (run.finished_t_ms <= 0 || run.finished_t_ms > t_ms) {
        // A failed task's reservation is what came back; a completed one's, what it was charged.
        held += static_cast<double>(run.phase == "failed" ? run.refunded : run.credits);
    } else if (run.phase == "completed") {
        charged += static_cast<double>(run.credits);
    }
}

void append_credits_chart(std::string& out, Report const& report, std::vector<std::int64_t> const& times,
                          std::int64_t origin_ms, std::int64_t end_ms) {
    std::vector<Series> series{{"charged", "completed", {}}, {"reserved by running tasks", "running", {}}};
    for (Series& s : series) {
        s.values.assign(times.size(), 0.0);
    }
    for (Row const& row : report.rows) {
        for (TaskRun const& run : row.runs) {
            for (std::size_t k = 0; k < times.size(); ++k) {
                add_credits_at(run, times[k], series[0].values[k], series[1].values[k]);
            }
        }
    }
    double top = 1;
    for (std::size_t k = 0; k < times.size(); ++k) {
        top = std::max(top, series[0].values[k] + series[1].values[k]);
    }
    Totals const& t = report.totals;
    std::string const caption =
        fmt::format("By the ledger's last event: {} ({} charged at {:g} credits per USD).",
                    jobs::credits_text(t.credits), jobs::usd_text(t.credits.charged, t.credits_per_usd),
                    t.credits_per_usd);
    append_area_figure(out, "credits-chart", "Credits over time", caption,
                       time_plot(origin_ms, end_ms, k_half_chart, k_half_height, top), times, series);
}

// actual / estimated of every completed task that had an estimate.
std::vector<double> duration_ratios(Report const& report) {
    std::vector<double> ratios;
    for (Row const& row : report.rows) {
        for (TaskRun const& run : row.runs) {
            if (run.phase == "completed" && run.actual_s && run.estimated_s && *run.estimated_s > 0) {
                ratios.push_back(*run.actual_s / *run.estimated_s);
            }
        }
    }
    return ratios;
}

void append_ratio_bars(std::string& out, Plot const& p, std::vector<int> const& bins) {
    double const bin_w = (p.x.right - p.x.left) / k_ratio_bins;
    for (int b = 0; b < k_ratio_bins; ++b) {
        int const n = bins[static_cast<std::size_t>(b)];
        double const lo = b * k_ratio_bin;
        std::string const range = b + 1 < k_ratio_bins ? fmt::format("{:.1f} to {:.1f}", lo, lo + k_ratio_bin)
                                                       : fmt::format("{:.1f} or more", lo);
        out += fmt::format(
            "<rect class=\"s-completed\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\">"
            "<title>{} tasks took {} times their estimate</title></rect>\n",
            p.x.left + b * bin_w + 1, p.y.y(n), bin_w - 2, p.y.bottom - p.y.y(n), n, range);
    }
    for (int b = 0; b <= k_ratio_bins; b += 5) {
        out += fmt::format("<text x=\"{:.1f}\" y=\"{:.0f}\" text-anchor=\"middle\">{:g}\u00d7{}</text>\n",
                           p.x.left + b * bin_w, p.height - 10, b * k_ratio_bin,
                           b == k_ratio_bins - 1 ? "+" : "");
    }
    double const x1 = p.x.left + 10 * bin_w; // actual = estimated
    out += fmt::format("<line class=\"eta\" x1=\"{0:.1f}\" y1=\"{1:.0f}\" x2=\"{0:.1f}\" y2=\"{2:.0f}\"/>"
                       "<text x=\"{3:.1f}\" y=\"{4:.0f}\">as estimated</text>\n",
                       x1, p.y.top, p.y.bottom, x1 + 4, p.y.top + 10);
}

void append_duration_chart(std::string& out, Report const& report) {
    std::vector<double> ratios = duration_ratios(report);
    out += "<figure class=\"chart\">\n";
    if (ratios.empty()) {
        out += "<figcaption><b>Actual against estimated duration</b> No completed task had an estimate."
               "</figcaption>\n</figure>\n";
        return;
    }
    std::vector<int> bins(k_ratio_bins, 0);
    for (double r : ratios) {
        ++bins[static_cast<std::size_t>(std::clamp(static_cast<int>(r / k_ratio_bin), 0, k_ratio_bins - 1))];
    }
    std::sort(ratios.begin(), ratios.end());
    auto const within = std::upper_bound(ratios.begin(), ratios.end(), 1.0) - ratios.begin();
    Plot p;
    p.width = k_half_chart;
    p.height = k_half_height;
    p.x = TimeAxis{0, 1, k_left, k_half_chart - k_right_pad}; // its x is bins, drawn by hand
    p.y = value_axis(*std::max_element(bins.begin(), bins.end()), true, k_top, k_half_height - k_bottom_pad);
    open_svg(out, "duration-chart", p.width, p.height, "Actual against estimated duration");
    value_grid(out, p.y, p.x.left, p.x.right);
    append_ratio_bars(out, p, bins);
    out += fmt::format(
        "</svg>\n<figcaption><b>Actual against estimated duration</b> {} completed tasks by actual "
        "duration / estimated: median {:.2f}\u00d7, {:.0f}% within their estimate.</figcaption>\n"
        "</figure>\n",
        ratios.size(), ratios[ratios.size() / 2],
        100.0 * static_cast<double>(within) / static_cast<double>(ratios.size()));
}

} // namespace

void append_aggregate_charts(std::string& out, Report const& report, std::int64_t origin_ms,
                             std::int64_t end_ms) {
    out += fmt::format(
        "<p class=\"meta\">{} tasks: more than {} bars would be too thin to read, so these charts sum "
        "them up. The table below lists every job, its attempts in each row's details.</p>\n"
        "<div class=\"charts\">\n",
        report.totals.tasks, k_max_task_bars);
    std::vector<std::int64_t> const times = sample_times(origin_ms, end_ms);
    append_jobs_chart(out, report, times, origin_ms, end_ms);
    append_duration_chart(out, report);
    append_credits_chart(out, report, times, origin_ms, end_ms);
    out += "</div>\n";
}

} // namespace evobatch::report::detail
