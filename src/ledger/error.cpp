#include "evobatch/ledger/error.hpp"

#include <string>

namespace evobatch::ledger {

namespace {

// boost::system::error_category has a protected non-virtual destructor by design (categories
// are never deleted through a base pointer); -Wnon-virtual-dtor cannot know that.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class LedgerCategory final : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "evobatch.ledger"; }
    std::string message(int ev) const override {
        switch (static_cast<LedgerErrc>(ev)) {
        case LedgerErrc::closed:
            return "the ledger is closed";
        case LedgerErrc::not_an_object:
            return "ledger line is not a JSON object";
        case LedgerErrc::missing_field:
            return "ledger line lacks a required field";
        case LedgerErrc::wrong_type:
            return "ledger line has a field of the wrong type";
        case LedgerErrc::out_of_range:
            return "ledger line has a number out of range";
        case LedgerErrc::unknown_event:
            return "ledger line has an unknown event";
        case LedgerErrc::unsupported_version:
            return "ledger line has an unsupported format version";
        case LedgerErrc::moved:
            return "the ledger file was deleted, renamed or replaced while the run wrote it";
        }
        return "unknown ledger error";
    }
};
#pragma GCC diagnostic pop

} // namespace

boost::system::error_category const& ledger_category() noexcept {
    static LedgerCategory const category;
    return category;
}

} // namespace evobatch::ledger
