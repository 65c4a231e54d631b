#pragma once
// The one clock of the scheduler's decisions. Every decision class takes `now` as a parameter,
// so tests drive them with simulated time and never sleep.

#include <chrono>

namespace evobatch::sched {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

} // namespace evobatch::sched
