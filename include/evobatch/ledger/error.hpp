#pragma once
// Ledger error codes: why a line does not parse as an event, and why the writer refuses an
// append. I/O failures keep their system codes (errno); these name what errno cannot.

#include <boost/system/error_code.hpp>

#include <stdexcept>
#include <type_traits>

namespace evobatch::ledger {

enum class LedgerErrc {
    closed = 1,          // append or flush after close() began
    not_an_object,       // the line is valid JSON but not an object
    missing_field,       // `v`, `t` or `ev` (and `job`/`req` on job events) is absent
    wrong_type,          // a field has the wrong JSON type (a string where a number belongs...)
    out_of_range,        // a number its field cannot hold (`bytes` < 0, `attempt` beyond int): never
                         // a semantic check, so replay accepts every line the writer can write
    unknown_event,       // `ev` names no event this version knows
    unsupported_version, // `v` is not 1: written by another evobatch version
    moved,               // the ledger's path no longer names the file the run writes: deleted,
                         // renamed or replaced while the run held it
};

boost::system::error_category const& ledger_category() noexcept;

inline boost::system::error_code make_error_code(LedgerErrc e) noexcept {
    return {static_cast<int>(e), ledger_category()};
}

// Thrown by LedgerWriter's constructor when another process (or another LedgerWriter in this
// one) holds the ledger's lock: two runs must never share a ledger.
class LedgerBusy : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace evobatch::ledger

template <> struct boost::system::is_error_code_enum<evobatch::ledger::LedgerErrc> : std::true_type {};
