#pragma once
// From a manifest job to the API request it stands for, and that request's digest: the job's
// identity in the ledger (a changed manifest entry is a new job).

#include "evobatch/api/types.hpp"

#include <string>

namespace evobatch::manifest {
struct Job;
} // namespace evobatch::manifest

namespace evobatch::jobs {

api::CreateRequest request_of(manifest::Job const& job);

// Hex SHA-256 of the request's normalized JSON (fixed key order, unset fields left out).
std::string request_digest(api::CreateRequest const& request);

} // namespace evobatch::jobs
