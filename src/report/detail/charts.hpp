#pragma once
// The page's picture of the batch in time: one bar per task while bars stay readable, aggregate
// charts beyond. Internal to src/report.

#include "evobatch/report/report_model.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace evobatch::report::detail {

// The most task bars the timeline draws; beyond, aggregate charts replace it. Counted in bars
// (tasks), not jobs, since bars are what crowd: 300 of them already need 4-unit rows without
// labels and make a chart 1,200 units tall, about a screen. More would be thinner than one can
// see or hover, run for several screens, and cost some 450 bytes of page each.
inline constexpr std::size_t k_max_task_bars = 300;

// Up to this many bars each gets a labelled row (14 units: 69 tasks, the demo, fit a screen).
inline constexpr std::size_t k_max_labelled_bars = 120;

// The timeline section: one bar per task, or the aggregate charts above k_max_task_bars.
void append_timeline(std::string& out, Report const& report);

// The aggregate charts over [origin_ms, end_ms], the tasks' span: jobs waiting, running, done
// and failed over time; actual against estimated duration; credits charged and held over time.
void append_aggregate_charts(std::string& out, Report const& report, std::int64_t origin_ms,
                             std::int64_t end_ms);

} // namespace evobatch::report::detail
