#pragma once
// What a failed task read (GET /v1/tasks/{id}) means for the task. A failed poll never fails
// a job by itself, but one that can never succeed must end it: retried, it would keep the run
// waiting for a task it cannot follow. Pure.

#include "evobatch/net/http_types.hpp"

#include <boost/system/error_code.hpp>

namespace evobatch::sched {

enum class PollFailure {
    retry,        // the network, the server or its limits: read the task again later
    unknown_task, // 404: the server does not know the task (reported, never resubmitted)
    unreadable,   // the same read can never succeed: no URL can be formed for the task id
                  // (not sent), or the server refuses the id itself (400)
    key_refused,  // 401/403: no read can follow any task with this key; the run must end
};

PollFailure classify_poll_failure(net::Delivery delivery, boost::system::error_code const& error) noexcept;

} // namespace evobatch::sched
