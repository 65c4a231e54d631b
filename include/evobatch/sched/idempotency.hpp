#pragma once
// Idempotency keys are derived, never random: the same job, request and attempt always give
// the same key, so a key written in the ledger before a POST can be sent again after a crash.

#include <string>
#include <string_view>

namespace evobatch::sched {

// "evb-" + 40 hex characters of SHA-256(job id, request digest, attempt): 44 characters of
// [A-Za-z0-9._-], inside the API's 16-96.
std::string idempotency_key(std::string_view job_id, std::string_view request_digest, int attempt);

} // namespace evobatch::sched
