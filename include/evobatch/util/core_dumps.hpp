#pragma once
// A process holding the API key must not write it into a core file: disable_core_dumps() sets
// the core size limit to 0 and marks the process not dumpable (which also keeps other users'
// debuggers and /proc readers out of its memory). Called before the key is read, and it stays
// in force: the key is in the environment for the whole life of the process anyway.

namespace evobatch::util {

// True when both took effect; a false result is worth a warning, not a refusal.
bool disable_core_dumps() noexcept;

} // namespace evobatch::util
