#include "evobatch/sched/credit_budget.hpp"

#include <algorithm>
#include <stdexcept>

namespace evobatch::sched {

CreditBudget::CreditBudget(std::int64_t ceiling) : m_ceiling(ceiling) {
    if (ceiling < 0) {
        throw std::invalid_argument("CreditBudget: the ceiling must not be negative");
    }
}

bool CreditBudget::could_fit(std::int64_t worst_case) const noexcept {
    // Compared as a difference: committed + worst_case could overflow for absurd inputs.
    return worst_case >= 0 && worst_case <= available();
}

bool CreditBudget::try_reserve(std::int64_t worst_case) {
    if (!could_fit(worst_case)) {
        return false;
    }
    m_committed += worst_case;
    return true;
}

bool CreditBudget::settle(std::int64_t worst_case, std::int64_t actual) {
    actual = std::max<std::int64_t>(actual, 0);
    m_committed = std::max<std::int64_t>(m_committed - worst_case, 0) + actual;
    return actual <= worst_case;
}

void CreditBudget::release(std::int64_t amount) {
    m_committed = std::max<std::int64_t>(m_committed - std::max<std::int64_t>(amount, 0), 0);
}

std::int64_t CreditBudget::available() const noexcept {
    return std::max<std::int64_t>(m_ceiling - m_committed, 0);
}

} // namespace evobatch::sched
