#include "evobatch/sched/poll_failure.hpp"

#include "evobatch/api/error.hpp"
#include "evobatch/net/error.hpp"

namespace evobatch::sched {

PollFailure classify_poll_failure(net::Delivery delivery, boost::system::error_code const& error) noexcept {
    if (delivery == net::Delivery::not_sent) {
        // Refused before sending: the request itself is wrong, and will be at every retry.
        bool const malformed = error == net::NetErrc::bad_url || error == net::NetErrc::bad_header ||
                               error == net::NetErrc::insecure_url;
        return malformed ? PollFailure::unreadable : PollFailure::retry;
    }
    if (error == api::ApiErrc::not_found) {
        return PollFailure::unknown_task;
    }
    if (error == api::ApiErrc::unauthorized || error == api::ApiErrc::forbidden) {
        return PollFailure::key_refused;
    }
    return error == api::ApiErrc::bad_request ? PollFailure::unreadable : PollFailure::retry;
}

} // namespace evobatch::sched
