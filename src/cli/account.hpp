#pragma once
// What `run` and `plan --balance` share about the account: the API key (read with core dumps
// off) and the balance, judged against what a run may reserve.

#include "evobatch/api/api_client.hpp"
#include "evobatch/manifest/manifest.hpp"
#include "evobatch/plan/batch_plan.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace evobatch::cli {

// The key from the environment variable that api.key_env names. Core dumps are turned off
// first, so a crash cannot write the key to disk. Nothing, after printing what to do, when the
// variable is unset or empty (`instead` ends that message: "try the batch with --simulate"),
// or when the key holds whitespace, a control character or non-ASCII (api::key_problem: the
// message says which, never the key).
std::optional<std::string> read_api_key(manifest::ApiSettings const& api, std::string_view instead);

// "balance: 40 credits; this run may reserve up to 30 (2 jobs to submit at up to 15 each, ...)"
std::string balance_line(api::Credits const& credits, plan::BatchPlan const& plan);

// Whether the API refused the key itself (401/403): nothing more should be sent with it.
bool key_refused(api::ApiResult<api::Credits> const& result) noexcept;

// Whether the run may reserve more than the balance (never for a key without a limit).
bool above_balance(api::Credits const& credits, plan::BatchPlan const& plan);

// Reads GET /v1/credits on an io_context of its own, for a command that runs no batch; tries
// up to 3 times over a 5xx, 429 or network failure. Throws std::runtime_error when `ca_file`
// cannot be loaded; network and API failures come back in the result.
api::ApiResult<api::Credits> read_credits_once(std::string const& base_url,
                                               std::optional<std::filesystem::path> const& ca_file,
                                               api::Secret key, std::chrono::milliseconds request_timeout);

} // namespace evobatch::cli
