#pragma once
// The batch's credit ceiling (limits.max_credits): before a create, reserve the most the task
// can cost; when the answer says what the server reserved, settle to that; release what a
// refunded or never-created task held. Pure; single-threaded.

#include <algorithm>
#include <cstdint>

namespace evobatch::sched {

class CreditBudget {
public:
    // Throws std::invalid_argument on a negative ceiling.
    explicit CreditBudget(std::int64_t ceiling);

    // Reserves `worst_case` credits when they fit under the ceiling; false (and nothing
    // reserved) when they do not.
    [[nodiscard]] bool try_reserve(std::int64_t worst_case);

    // Replaces a reservation of `worst_case` by the `actual` amount the server named. Returns
    // false when `actual` exceeds `worst_case`: the server knows better, so committed() follows
    // it (and may then exceed the ceiling, which only makes try_reserve refuse), but the caller
    // should log that its worst case was wrong.
    bool settle(std::int64_t worst_case, std::int64_t actual);

    // Counts credits reserved before this run (tasks of the same ledger, resumed): they are
    // spent or held already, so they count even beyond the ceiling (then nothing new fits).
    void carry(std::int64_t earlier) noexcept { m_committed += std::max<std::int64_t>(earlier, 0); }

    // Gives back `amount`: a create that made no task, or a failed task that was refunded.
    // Never drops committed() below zero.
    void release(std::int64_t amount);

    [[nodiscard]] bool could_fit(std::int64_t worst_case) const noexcept;
    [[nodiscard]] std::int64_t committed() const noexcept { return m_committed; }
    [[nodiscard]] std::int64_t ceiling() const noexcept { return m_ceiling; }
    // What can still be reserved: ceiling - committed, never negative.
    [[nodiscard]] std::int64_t available() const noexcept;

private:
    std::int64_t m_ceiling;
    std::int64_t m_committed = 0;
};

} // namespace evobatch::sched
