#include "page_parts.hpp"

#include "evobatch/report/render.hpp"
#include "evobatch/report/report_model.hpp"
#include "evobatch/util/duration.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

namespace evobatch::report::detail {

namespace {

constexpr std::int64_t k_day_ms = 86'400'000;

// A round time step giving at most about 10 ticks over `span_s`.
double time_step(double span_s) {
    constexpr std::array<double, 17> k_steps = {0.1, 0.2, 0.5, 1,   2,   5,    10,   15,  30,
                                                60,  120, 300, 600, 900, 1800, 3600, 7200};
    for (double step : k_steps) {
        if (span_s / step <= 10) {
            return step;
        }
    }
    return std::ceil(span_s / 10 / 3600) * 3600;
}

std::string time_label(double s, double step) {
    if (step < 1) {
        return fmt::format("{:.1f}s", s);
    }
    return util::format_duration(std::chrono::seconds(std::llround(s)));
}

std::string value_label(double v) {
    return v >= 1e6   ? fmt::format("{:g}M", v / 1e6)
           : v >= 1e3 ? fmt::format("{:g}k", v / 1e3)
                      : fmt::format("{:g}", v);
}

} // namespace

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

std::string clock_html(std::int64_t t_ms, std::int64_t day_ms) {
    if (t_ms <= 0) {
        return {};
    }
    std::string const iso = iso8601_utc(t_ms);
    bool const same_day = t_ms / k_day_ms == day_ms / k_day_ms;
    return fmt::format("<time title=\"{}\">{}</time>", iso,
                       same_day ? iso.substr(11, 8) : iso.substr(0, 10) + " " + iso.substr(11, 8));
}

double TimeAxis::x(std::int64_t t_ms) const {
    return left + static_cast<double>(t_ms - origin_ms) / 1000.0 / span_s * (right - left);
}

double ValueAxis::y(double value) const {
    return bottom - value / max * (bottom - top);
}

void open_svg(std::string& out, std::string_view id, double width, double height, std::string_view title) {
    out += fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"{0}\" role=\"img\" width=\"{1:.0f}\" "
                       "height=\"{2:.0f}\" viewBox=\"0 0 {1:.0f} {2:.0f}\">\n<title>{3}</title>\n",
                       id, width, height, html_escape(title));
}

void time_grid(std::string& out, TimeAxis const& axis, double top, double bottom, double label_y) {
    double const step = time_step(axis.span_s);
    out += "<g class=\"axis\">\n";
    for (int i = 0; static_cast<double>(i) * step <= axis.span_s + 1e-9; ++i) {
        double const s = static_cast<double>(i) * step;
        double const x = axis.left + s / axis.span_s * (axis.right - axis.left);
        out +=
            fmt::format("<line class=\"grid\" x1=\"{0:.1f}\" y1=\"{1:.0f}\" x2=\"{0:.1f}\" y2=\"{2:.0f}\"/>"
                        "<text x=\"{0:.1f}\" y=\"{3:.0f}\" text-anchor=\"middle\">{4}</text>\n",
                        x, top, bottom, label_y, time_label(s, step));
    }
    out += "</g>\n";
}

void value_grid(std::string& out, ValueAxis const& axis, double left, double right) {
    out += "<g class=\"axis\">\n";
    for (int i = 0; static_cast<double>(i) * axis.step <= axis.max + 1e-9; ++i) {
        double const v = static_cast<double>(i) * axis.step;
        double const y = axis.y(v);
        out +=
            fmt::format("<line class=\"grid\" x1=\"{0:.0f}\" y1=\"{1:.1f}\" x2=\"{2:.0f}\" y2=\"{1:.1f}\"/>"
                        "<text x=\"{3:.0f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                        left, y, right, left - 6, y + 4, value_label(v));
    }
    out += "</g>\n";
}

ValueAxis value_axis(double data_max, bool whole, double top, double bottom) {
    double const raw = std::max(data_max, 1e-9) / 5;
    double const power = std::pow(10.0, std::floor(std::log10(raw)));
    double step = 10 * power;
    for (double m : {1.0, 2.0, 5.0}) {
        if (m * power >= raw) {
            step = m * power;
            break;
        }
    }
    step = whole ? std::max(1.0, step) : step;
    return ValueAxis{std::max(step, std::ceil(data_max / step - 1e-9) * step), step, top, bottom};
}

} // namespace evobatch::report::detail
