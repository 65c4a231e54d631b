#include "evobatch/sched/poll_failure.hpp"

#include "evobatch/api/error.hpp"
#include "evobatch/net/error.hpp"

#include <boost/asio/error.hpp>
#include <boost/test/unit_test.hpp>

using namespace evobatch;
using net::Delivery;
using sched::PollFailure;
using sched::classify_poll_failure;

BOOST_AUTO_TEST_SUITE(sched_poll_failure)

BOOST_AUTO_TEST_CASE(a_read_that_can_never_succeed_is_not_retried) {
    // No URL can name the task: nothing was sent, and nothing ever would be.
    BOOST_TEST((classify_poll_failure(Delivery::not_sent, net::NetErrc::bad_url) == PollFailure::unreadable));
    BOOST_TEST((classify_poll_failure(Delivery::not_sent, net::NetErrc::bad_header) == PollFailure::unreadable));
    BOOST_TEST((classify_poll_failure(Delivery::not_sent, net::NetErrc::insecure_url) == PollFailure::unreadable));
    // The server refuses the id itself.
    BOOST_TEST((classify_poll_failure(Delivery::answered, api::ApiErrc::bad_request) == PollFailure::unreadable));
}

BOOST_AUTO_TEST_CASE(an_unknown_task_is_reported) {
    BOOST_TEST((classify_poll_failure(Delivery::answered, api::ApiErrc::not_found) == PollFailure::unknown_task));
}

BOOST_AUTO_TEST_CASE(a_refused_key_ends_the_polling) {
    BOOST_TEST((classify_poll_failure(Delivery::answered, api::ApiErrc::unauthorized) == PollFailure::key_refused));
    BOOST_TEST((classify_poll_failure(Delivery::answered, api::ApiErrc::forbidden) == PollFailure::key_refused));
}

BOOST_AUTO_TEST_CASE(the_network_the_server_and_its_limits_are_retried) {
    BOOST_TEST((classify_poll_failure(Delivery::not_sent, net::NetErrc::connect_failed) == PollFailure::retry));
    BOOST_TEST((classify_poll_failure(Delivery::not_sent, net::NetErrc::tls_failed) == PollFailure::retry));
    BOOST_TEST((classify_poll_failure(Delivery::not_sent, net::NetErrc::timeout) == PollFailure::retry));
    BOOST_TEST((classify_poll_failure(Delivery::sent_no_answer, net::NetErrc::connection_closed) == PollFailure::retry));
    BOOST_TEST((classify_poll_failure(Delivery::sent_no_answer, boost::asio::error::operation_aborted) ==
                PollFailure::retry));
    for (auto const kind : {api::ApiErrc::rate_limited, api::ApiErrc::server_error, api::ApiErrc::bad_response,
                            api::ApiErrc::unexpected_status}) {
        BOOST_TEST((classify_poll_failure(Delivery::answered, kind) == PollFailure::retry));
    }
}

BOOST_AUTO_TEST_SUITE_END()
