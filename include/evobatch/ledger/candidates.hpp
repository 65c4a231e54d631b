#pragma once
// The candidate tasks a reconcile lists for an uncertain create (issue 18), and their text in a
// ledger event's `candidates` field. Pure.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace evobatch::ledger {

// A candidate task a reconcile listed for an attempt: its id, its created_at (server unix seconds),
// the clip length the list gave, and whether that fits the job's probed source (jobs::duration_fits).
struct ListedCandidate {
    ListedCandidate() = default;
    // Length and fit are optional so that a candidate from an older ledger reads as before.
    ListedCandidate(std::string id_, std::int64_t created_at_, std::optional<double> duration_ = std::nullopt,
                    bool fits_length_ = true)
        : id(std::move(id_)), created_at(created_at_), duration(duration_), fits_length(fits_length_) {}
    std::string id;
    std::int64_t created_at = 0;
    std::optional<double> duration; // seconds, as listed
    bool fits_length = true;        // no length on either side, or they agree
    friend bool operator==(ListedCandidate const&, ListedCandidate const&) = default;
};

// The candidates text of an event: space-separated tokens `id@created_at`, then `~seconds` when
// the list gave the clip's length, then `!` when that length does not fit the job's source
// (written by candidates_text). Read defensively: a token without '@', with an empty id, with a
// created_at that is not a whole integer or a length that is not a finite number is skipped. The
// id is what precedes the last '@'.
std::vector<ListedCandidate> parse_candidates(std::string_view text);

// The inverse of parse_candidates: one token per candidate, in order.
std::string candidates_text(std::vector<ListedCandidate> const& candidates);

} // namespace evobatch::ledger
