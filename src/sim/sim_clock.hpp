#pragma once
// The two clocks the simulator reads: steady time drives task progress and the rate limit,
// wall time is what the API reports (`created`, ids, the task log) and what a state file keeps.

#include <chrono>
#include <cstdint>

namespace evobatch::sim {

using SteadyTime = std::chrono::steady_clock::time_point;

struct Now {
    SteadyTime steady;
    std::chrono::system_clock::time_point wall;

    static Now current() noexcept {
        return {std::chrono::steady_clock::now(), std::chrono::system_clock::now()};
    }
    [[nodiscard]] std::int64_t unix_seconds() const noexcept {
        return std::chrono::duration_cast<std::chrono::seconds>(wall.time_since_epoch()).count();
    }
    [[nodiscard]] std::int64_t unix_milliseconds() const noexcept {
        return std::chrono::duration_cast<std::chrono::milliseconds>(wall.time_since_epoch()).count();
    }
    // The steady time that was `unix_ms` on the wall clock: a task reloaded from a state file
    // has run for as long as the wall clock says, simulator or not.
    [[nodiscard]] SteadyTime steady_at(std::int64_t unix_ms) const noexcept {
        return steady - std::chrono::milliseconds{unix_milliseconds() - unix_ms};
    }
};

} // namespace evobatch::sim
