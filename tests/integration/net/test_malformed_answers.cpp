// ApiClient against a simulator whose every successful answer is malformed (sim --garbage-ratio 1,
// one kind at a time): each ends as a clear error, never a crash, a hang or a value made up. A
// create's error says the request was sent (the task may exist), so the scheduler resends it
// under the same idempotency key instead of calling the job new or failed.

#include "integration/net/client_fixture.hpp"

#include "evobatch/net/error.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <ostream>

using namespace evobatch;
using evobatch::test::ClientFixture;
using evobatch::test::sample_request;
using net::Delivery;

namespace evobatch::sim {
inline std::ostream& operator<<(std::ostream& out, Garbage g) { return out << to_string(g); }
} // namespace evobatch::sim

namespace {

constexpr auto k_client_timeout = std::chrono::milliseconds(1500); // a stalled answer ends here

ClientFixture garbage_everywhere(sim::Garbage kind) {
    sim::SimOptions o;
    o.time_scale = 0.001;
    o.garbage_ratio = 1;
    o.garbage_kinds = {kind};
    net::ClientOptions c;
    c.request_timeout = k_client_timeout;
    return ClientFixture(o, c);
}

} // namespace

BOOST_AUTO_TEST_SUITE(malformed_answers)

BOOST_DATA_TEST_CASE(every_kind_is_a_clear_error_and_a_create_counts_as_sent,
                     boost::unit_test::data::make(sim::k_all_garbage), kind) {
    auto f = garbage_everywhere(kind);
    auto const started = std::chrono::steady_clock::now();

    auto const created = f.run(f.api->create(sample_request(), "job-g.1.0123456789abcdef"));
    BOOST_TEST_INFO("create: " << created.detail);
    BOOST_TEST(!created.ok());
    BOOST_TEST(!created.detail.empty());
    BOOST_TEST((created.delivery != Delivery::not_sent)); // the task exists: a resend must reuse the key
    BOOST_TEST(f.simulator.stats().tasks_created == 1u);

    // A batch read answers 200 (an empty list for an unknown id), so it is garbled too.
    auto const read = f.run(f.api->batch_read({"task-unified-1757169743-7cvnl5zw"}));
    BOOST_TEST_INFO("read: " << read.detail);
    BOOST_TEST(!read.ok());
    BOOST_TEST(!read.detail.empty());

    auto const credits = f.run(f.api->credits());
    BOOST_TEST(!credits.ok());
    BOOST_TEST(f.simulator.stats().garbage_answers >= 2u);
    // Bounded: a stalled answer costs the request timeout, nothing else waits.
    BOOST_TEST((std::chrono::steady_clock::now() - started < 3 * k_client_timeout + std::chrono::seconds(2)));
}

BOOST_AUTO_TEST_CASE(a_wrongly_typed_task_is_refused_not_read_as_defaults) {
    auto f = garbage_everywhere(sim::Garbage::wrong_types);
    auto const created = f.run(f.api->create(sample_request(), "job-w.1.0123456789abcdef"));
    BOOST_TEST((created.error == api::ApiErrc::bad_response));
    BOOST_TEST(created.detail.find("not the documented JSON") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
