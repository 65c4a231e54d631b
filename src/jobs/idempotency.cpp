#include "evobatch/jobs/idempotency.hpp"

#include "evobatch/util/sha256.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace evobatch::jobs {

std::string idempotency_key(std::string_view job_id, std::string_view request_digest, int attempt, int version) {
    // The separator cannot occur in a job id or a hex digest, so no two inputs collide.
    std::string material = fmt::format("{}\n{}\n{}", job_id, request_digest, attempt);
    if (version > 1) {
        material += fmt::format("\nv{}", version);
    }
    return "evb-" + util::sha256_hex(material).substr(0, 40);
}

std::chrono::milliseconds key_trust_span(std::chrono::seconds idempotency_window) noexcept {
    std::chrono::milliseconds const window = idempotency_window;
    return window - std::min<std::chrono::milliseconds>(window / 10, std::chrono::minutes(1));
}

} // namespace evobatch::jobs
