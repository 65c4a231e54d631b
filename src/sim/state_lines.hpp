#pragma once
// The lines of a simulator state file (SimOptions::state_file), as pure functions: JSON Lines,
// one object a line, each starting {"v":1,"ev":...}:
//
//   {"v":1,"ev":"start","t":<unix ms>,"port":<port>}    a simulator started on the file
//   {"v":1,"ev":"task","id":..,"t":<created, unix ms>,"key":<idempotency key or null>,
//    "digest":<sha256 of the body>,"video":..,"duration":<s>,"estimate":<s, as answered>,
//    "cost":<credits>,"file_bytes":..,"run_ns":..,"ends_ns":..,
//    "error":{"code","message","type"}}                 one task; "error" only for one that fails
//
// The first line is a start line. Times are real (already scaled): a reloaded task ends when it
// would have, whatever the time scale of the simulator that reloads it. No line holds the API key.

#include "task_book.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::sim {

inline constexpr std::int64_t k_state_version = 1;

// What a state file holds.
struct StateContents {
    std::vector<TaskRecord> tasks;     // `start` unset: it belongs to the process that reloads them
    std::optional<std::uint16_t> port; // the last start line's
    std::uint64_t starts = 0;          // start lines: how many simulators have used the file
};

// A line that is not one of ours: its number (from 1) and what is wrong with it.
class StateLineError : public std::runtime_error {
public:
    StateLineError(std::size_t line, std::string const& what) : std::runtime_error(what), m_line(line) {}
    [[nodiscard]] std::size_t line() const noexcept { return m_line; }

private:
    std::size_t m_line;
};

// One line each, '\n' included.
std::string state_start_line(std::uint16_t port, std::int64_t unix_ms);
std::string state_task_line(TaskRecord const& task);

// Reads whole lines (each ends with '\n': cut a torn tail off first). Throws StateLineError for
// the first line that does not parse, is of another version, lacks a field, or repeats a task id.
StateContents parse_state(std::string_view text);

// Whether `tail`, a last line without its '\n', can be the start of one of our lines: only such
// a tail is a write a crash interrupted; anything else is not a state file.
bool could_be_state_line(std::string_view tail) noexcept;

} // namespace evobatch::sim
