#pragma once
// Idempotency keys are derived, never random: the same job, request and attempt always give
// the same key, so a key written in the ledger before a POST can be sent again after a crash.

#include <chrono>
#include <string>
#include <string_view>

namespace evobatch::jobs {

// "evb-" + 40 hex characters of SHA-256(job id, request digest, attempt[, version]): 44
// characters of [A-Za-z0-9._-], inside the API's 16-96. The request's version (ledger::Attempt::
// version) counts from 2: a job edited back to an earlier request (A, B, A) is a new request,
// which must not be answered with the first one's task; version 1 keeps the keys ledgers hold.
std::string idempotency_key(std::string_view job_id, std::string_view request_digest, int attempt, int version = 1);

// How long after a key's first use a create may still be sent again under it: the window less
// a tenth of it (at most a minute), so a resend never arrives just as the server forgets the
// key. Zero for a zero window.
std::chrono::milliseconds key_trust_span(std::chrono::seconds idempotency_window) noexcept;

} // namespace evobatch::jobs
