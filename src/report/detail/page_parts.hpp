#pragma once
// What the HTML page's table and its SVG charts share: words for states, durations and times,
// and the axes every chart draws. Internal to src/report.

#include <cstdint>
#include <string>
#include <string_view>

namespace evobatch::report::detail {

// Chart widths in SVG user units: in a 1280 px window (1232 px inside the page's margins) a
// wide chart draws at 1:1, so its 11-unit text reads as 11 px; narrower windows scale it down.
// Half charts sit two in a row, 20 px apart.
inline constexpr double k_wide_chart = 1232;
inline constexpr double k_half_chart = 606;

// A CSS class name from a state ("s-" and its letters; anything else becomes '_').
std::string state_class(std::string_view state);

// "42.5s" under a minute, "3m20s" from a minute on.
std::string human_seconds(double s);

// "16:56:27" for a time on `day_ms`'s UTC day, "2026-11-26 00:01:02" for another day, in a
// <time> element whose title is the exact ISO 8601. Empty for 0.
std::string clock_html(std::int64_t t_ms, std::int64_t day_ms);

// The time (x) axis of a chart: seconds since `origin_ms`, `span_s` of them from `left` to `right`.
struct TimeAxis {
    std::int64_t origin_ms = 0;
    double span_s = 1;
    double left = 0;
    double right = 0;
    [[nodiscard]] double x(std::int64_t t_ms) const;
};

// A value (y) axis from 0 at `bottom` up to `max` at `top`, gridded every `step`.
struct ValueAxis {
    double max = 1;
    double step = 1;
    double top = 0;
    double bottom = 0;
    [[nodiscard]] double y(double value) const;
};

// The axis for values up to `data_max`: at most five round steps (1, 2 or 5 times a power of
// ten; at least 1 for `whole` numbers such as counts), `max` the first step at or above it.
ValueAxis value_axis(double data_max, bool whole, double top, double bottom);

// `<svg ... viewBox="0 0 width height">` with a <title> for screen readers and hovering.
void open_svg(std::string& out, std::string_view id, double width, double height, std::string_view title);

// Vertical grid lines over [top, bottom] at round times, labelled at `label_y`.
void time_grid(std::string& out, TimeAxis const& axis, double top, double bottom, double label_y);

// Horizontal grid lines at every step from 0 to `axis.max`, labelled left of `left`.
void value_grid(std::string& out, ValueAxis const& axis, double left, double right);

} // namespace evobatch::report::detail
