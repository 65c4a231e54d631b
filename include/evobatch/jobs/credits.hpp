#pragma once
// What a batch's tasks cost, by the one definition `run`, `plan`, `status` and `report` share.
// api.md: credits are reserved when a task is created and settled when it ends; a failed task
// is refunded. Every attempt the ledger holds counts, earlier requests of a changed job too:
// their tasks were paid for whatever the manifest says now. Pure.

#include <cstddef>
#include <cstdint>
#include <string>

namespace evobatch::ledger {
struct Attempt;
struct JobHistory;
struct Replay;
} // namespace evobatch::ledger

namespace evobatch::jobs {

struct CreditTotals {
    std::int64_t charged = 0;  // tasks that completed: what they used
    std::int64_t reserved = 0; // tasks still running: held now, charged or refunded when they end
    std::int64_t refunded = 0; // tasks that failed: reserved once, given back
    // What may be billed though nobody can say: creates that may have made a task nobody can
    // name (uncertain, or cut off mid-create), each at the most a task costs, and tasks the
    // server stopped knowing (404) at what they reserved.
    std::int64_t at_risk = 0;
    std::size_t at_risk_count = 0; // creates and tasks of unknown outcome

    // What limits.max_credits bounds: every credit charged or held, and the worst case of what
    // may exist. Refunds came back, so they do not count.
    [[nodiscard]] std::int64_t against_ceiling() const noexcept { return charged + reserved + at_risk; }
    CreditTotals& operator+=(CreditTotals const& other) noexcept;
    friend bool operator==(CreditTotals const&, CreditTotals const&) = default;
};

CreditTotals credits_of(ledger::Attempt const& attempt);
CreditTotals credits_of(ledger::JobHistory const& history); // its current and earlier attempts
CreditTotals credits_of(ledger::Replay const& replay);      // every job the ledger knows

// "572 charged, 40 reserved now, 61 refunded" (+ ", up to 30 at risk in 2 uncertain creates"),
// the one way every command words them.
std::string credits_text(CreditTotals const& totals);

// "~$8.41" at `credits_per_usd` (api.credits_per_usd, 68 by default: Evolink's own clients'
// rate); approximate.
std::string usd_text(std::int64_t credits, double credits_per_usd);

} // namespace evobatch::jobs
