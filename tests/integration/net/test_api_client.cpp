// ApiClient and HttpsClient against the real simulator over real TLS on loopback.

#include "integration/net/client_fixture.hpp"

#include "evobatch/net/error.hpp"
#include "evobatch/sim/certificates.hpp"

#include "common/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>

using namespace evobatch;
using evobatch::test::ClientFixture;
using evobatch::test::sample_request;
namespace asio = boost::asio;
using net::Delivery;
using net::NetErrc;

BOOST_AUTO_TEST_SUITE(api_client)

BOOST_AUTO_TEST_CASE(creates_and_queries_a_task) {
    ClientFixture f;
    auto const created = f.run(f.api->create(sample_request(), "job-a.1.0123456789abcdef"));
    BOOST_TEST_INFO(created.detail);
    BOOST_REQUIRE(created.ok());
    BOOST_TEST((created.delivery == Delivery::answered));
    BOOST_TEST(created.value->id.starts_with("task-unified-"));
    BOOST_TEST(created.value->credits_reserved.value() > 0);
    BOOST_TEST(created.value->estimated_time.value() > 0);
    BOOST_TEST(!created.replayed);
    BOOST_TEST(!created.request_id.empty());

    auto const queried = f.run(f.api->get_task(created.value->id));
    BOOST_REQUIRE(queried.ok());
    BOOST_TEST(queried.value->id == created.value->id);
    BOOST_TEST(f.simulator.stats().tasks_created == 1u);
}

BOOST_AUTO_TEST_CASE(a_wrong_key_is_401_and_never_printed) {
    ClientFixture f({}, {}, "wrong-key-abcdef");
    auto const r = f.run(f.api->credits());
    BOOST_REQUIRE(r.api_error);
    BOOST_TEST((r.error == api::ApiErrc::unauthorized));
    BOOST_TEST(r.api_error->http_status == 401);
    BOOST_TEST(!r.api_error->request_id.empty());
    BOOST_TEST(r.detail.find("wrong-key-abcdef") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(bad_parameters_and_unknown_tasks) {
    ClientFixture f;
    auto request = sample_request();
    request.model = "some-other-model";
    auto const bad = f.run(f.api->create(request, "job-b.1.0123456789abcdef"));
    BOOST_REQUIRE(bad.api_error);
    BOOST_TEST((bad.error == api::ApiErrc::bad_request));
    BOOST_TEST(bad.api_error->code == "invalid_parameters");

    auto const unknown = f.run(f.api->get_task("task-unified-1-doesnotexist"));
    BOOST_REQUIRE(unknown.api_error);
    BOOST_TEST((unknown.error == api::ApiErrc::not_found));
    BOOST_TEST(unknown.api_error->code == "task_not_found");

    auto const malformed = f.run(f.api->get_task("not-a-task-id"));
    BOOST_REQUIRE(malformed.api_error);
    BOOST_TEST((malformed.error == api::ApiErrc::bad_request));
    BOOST_TEST(malformed.api_error->code == "invalid_task_id");
}

BOOST_AUTO_TEST_CASE(task_ids_a_url_path_must_encode_are_read_back_as_one_segment) {
    sim::SimOptions o;
    o.task_ids = sim::TaskIds::odd; // ' a b1', '/../x', '%2F', '?q=1#f', non-ASCII, sub-delims, in turn
    ClientFixture f(o);
    for (int i = 0; i < 6; ++i) {
        auto const created =
            f.run(f.api->create(sample_request("https://cdn.example.com/clips/odd-" + std::to_string(i) + ".mp4"),
                                "job-odd." + std::to_string(i) + ".0123456789abcdef"));
        BOOST_REQUIRE(created.ok());
        std::string const& id = created.value->id;
        BOOST_TEST_INFO(id);
        auto const queried = f.run(f.api->get_task(id));
        BOOST_TEST_INFO(queried.detail);
        BOOST_REQUIRE(queried.ok());
        BOOST_TEST(queried.value->id == id); // the very task, not a 404 nor another path
    }
    BOOST_TEST(f.simulator.stats().task_reads == 6u);
    BOOST_TEST(f.simulator.stats().count(404) == 0u);
}

BOOST_AUTO_TEST_CASE(an_oversized_request_is_413) {
    ClientFixture f;
    auto request = sample_request();
    request.prompt = std::string(2 << 20, 'x');
    auto const r = f.run(f.api->create(request, "job-c.1.0123456789abcdef"));
    BOOST_REQUIRE(r.api_error);
    BOOST_TEST((r.error == api::ApiErrc::payload_too_large));
    BOOST_TEST(f.simulator.stats().tasks_created == 0u);
}

BOOST_AUTO_TEST_CASE(credits_are_read_and_402_names_the_balance) {
    sim::SimOptions options;
    options.credits = 20;
    ClientFixture f(options);
    auto const before = f.run(f.api->credits());
    BOOST_REQUIRE(before.ok());
    BOOST_TEST(before.value->remaining == 20);

    auto const first = f.run(f.api->create(sample_request("https://h.example/a.mp4"), "job-d.1.0123456789abcdef"));
    BOOST_REQUIRE(first.ok());
    auto const after = f.run(f.api->credits());
    BOOST_TEST(after.value->remaining == 20 - static_cast<double>(first.value->credits_reserved.value()));

    // Spend the rest: each task costs at least 5, so at most 4 more creates fit.
    std::optional<api::ApiResult<api::Task>> refused;
    for (int i = 0; i < 5 && !refused; ++i) {
        auto r = f.run(f.api->create(sample_request("https://h.example/v" + std::to_string(i) + ".mp4"),
                                     "job-e." + std::to_string(i) + ".0123456789abcdef"));
        if (!r.ok()) {
            refused = std::move(r);
        }
    }
    BOOST_REQUIRE(refused);
    BOOST_REQUIRE(refused->api_error);
    BOOST_TEST((refused->error == api::ApiErrc::insufficient_credits));
    BOOST_TEST((refused->api_error->credit_limit == api::CreditLimit::balance));
    BOOST_TEST(refused->api_error->code == "insufficient_quota");
}

BOOST_AUTO_TEST_CASE(a_429_carries_retry_after) {
    sim::SimOptions options;
    options.rps = 0.5;
    options.burst = 1;
    ClientFixture f(options);
    auto const first = f.run(f.api->credits());
    BOOST_TEST(first.ok());
    auto const second = f.run(f.api->credits());
    BOOST_REQUIRE(second.api_error);
    BOOST_TEST((second.error == api::ApiErrc::rate_limited));
    BOOST_REQUIRE(second.api_error->retry_after);
    BOOST_TEST(second.api_error->retry_after->count() >= 1);
    BOOST_TEST(second.api_error->retry_after->count() <= 2);
}

BOOST_AUTO_TEST_CASE(server_errors_are_5xx) {
    sim::SimOptions options;
    options.error_ratio = 1.0;
    ClientFixture f(options);
    auto const r = f.run(f.api->create(sample_request(), "job-f.1.0123456789abcdef"));
    BOOST_REQUIRE(r.api_error);
    BOOST_TEST((r.error == api::ApiErrc::server_error));
    BOOST_TEST(r.api_error->http_status >= 500);
    BOOST_TEST(f.simulator.stats().tasks_created == 0u);
}

BOOST_AUTO_TEST_CASE(same_key_other_body_is_a_conflict) {
    ClientFixture f;
    auto const first = f.run(f.api->create(sample_request("https://h.example/a.mp4"), "job-g.1.0123456789abcdef"));
    BOOST_REQUIRE(first.ok());
    auto const other = f.run(f.api->create(sample_request("https://h.example/b.mp4"), "job-g.1.0123456789abcdef"));
    BOOST_REQUIRE(other.api_error);
    BOOST_TEST((other.error == api::ApiErrc::conflict));
    BOOST_TEST(other.api_error->code == "idempotency_conflict");
    BOOST_TEST(f.simulator.stats().tasks_created == 1u);
}

BOOST_AUTO_TEST_CASE(a_cut_after_create_is_sent_no_answer_and_the_same_key_recovers_the_task) {
    evobatch::test::TempDir dir;
    sim::SimOptions options;
    options.cut_after_create_ratio = 1.0;
    options.log_file = dir.path() / "sim.log";
    ClientFixture f(options);
    auto const cut = f.run(f.api->create(sample_request(), "job-h.1.0123456789abcdef"));
    BOOST_TEST((cut.delivery == Delivery::sent_no_answer));
    BOOST_TEST((cut.error == NetErrc::connection_closed));
    BOOST_TEST(!cut.ok());
    BOOST_TEST(f.simulator.stats().tasks_created == 1u); // it did act on the request

    auto const again = f.run(f.api->create(sample_request(), "job-h.1.0123456789abcdef"));
    BOOST_TEST_INFO(again.detail);
    BOOST_REQUIRE(again.ok());
    BOOST_TEST(again.replayed);
    BOOST_TEST(f.simulator.stats().tasks_created == 1u);
    std::ifstream log(dir.path() / "sim.log");
    std::string line;
    int lines = 0;
    while (std::getline(log, line)) {
        ++lines;
        BOOST_TEST(line.find(again.value->id) != std::string::npos);
    }
    BOOST_TEST(lines == 1);
}

BOOST_AUTO_TEST_CASE(a_slow_answer_times_out_as_sent_no_answer) {
    sim::SimOptions options;
    options.latency = std::chrono::milliseconds(3000);
    net::ClientOptions client;
    client.request_timeout = std::chrono::milliseconds(300);
    ClientFixture f(options, client);
    auto const start = std::chrono::steady_clock::now();
    auto const r = f.run(f.api->get_task("task-unified-1-doesnotexist"));
    auto const took = std::chrono::steady_clock::now() - start;
    BOOST_TEST((r.delivery == Delivery::sent_no_answer));
    BOOST_TEST((r.error == NetErrc::timeout));
    BOOST_TEST((took < std::chrono::milliseconds(2500))); // the deadline, not the server, ended it
}

BOOST_AUTO_TEST_CASE(batch_reads_fifty_ids_and_leaves_unknown_ones_out) {
    ClientFixture f;
    std::vector<std::string> ids;
    for (int i = 0; i < 49; ++i) {
        auto const r = f.run(f.api->create(sample_request("https://h.example/b" + std::to_string(i) + ".mp4"),
                                           "job-i." + std::to_string(i) + ".0123456789abcdef"));
        BOOST_REQUIRE(r.ok());
        ids.push_back(r.value->id);
    }
    ids.push_back("task-unified-1-unknown00");
    auto const read = f.run(f.api->batch_read(ids));
    BOOST_REQUIRE(read.ok());
    BOOST_TEST(read.value->size() == 49u);
    for (auto const& task : *read.value) {
        BOOST_TEST((std::find(ids.begin(), ids.end(), task.id) != ids.end()));
    }
}

BOOST_AUTO_TEST_CASE(batch_read_missing_on_the_server_is_404) {
    sim::SimOptions options;
    options.batch_read = false;
    ClientFixture f(options);
    auto const read = f.run(f.api->batch_read({"task-unified-1-aaaaaaaa"}));
    BOOST_REQUIRE(read.api_error);
    BOOST_TEST((read.error == api::ApiErrc::not_found));
}

BOOST_AUTO_TEST_CASE(keep_alive_reuses_one_connection) {
    ClientFixture f;
    for (int i = 0; i < 20; ++i) {
        BOOST_REQUIRE(f.run(f.api->credits()).ok());
    }
    BOOST_TEST(f.http->stats().connections_opened == 1u);
    BOOST_TEST(f.http->stats().connections_reused == 19u);
    BOOST_TEST(f.simulator.stats().connections_accepted == 1u);
}

BOOST_AUTO_TEST_CASE(concurrent_requests_stay_within_the_connection_cap) {
    net::ClientOptions client;
    client.max_connections_per_host = 2;
    ClientFixture f({}, client);
    int ok = 0;
    int done = 0;
    for (int i = 0; i < 16; ++i) {
        asio::co_spawn(f.io, [&]() -> asio::awaitable<void> {
            auto const r = co_await f.api->credits();
            ok += r.ok() ? 1 : 0;
            ++done;
        }, asio::detached);
    }
    f.io.run_for(evobatch::test::k_test_timeout);
    BOOST_TEST(done == 16);
    BOOST_TEST(ok == 16);
    BOOST_TEST(f.http->stats().connections_opened <= 2u);
    BOOST_TEST(f.simulator.stats().connections_accepted <= 2u);
}

BOOST_AUTO_TEST_CASE(an_oversized_response_body_is_refused) {
    net::ClientOptions client;
    client.max_body_bytes = 64;
    ClientFixture f({}, client);
    auto const r = f.run(f.api->credits());
    BOOST_TEST((r.delivery == Delivery::sent_no_answer));
    BOOST_TEST((r.error == NetErrc::body_too_large));
}

BOOST_AUTO_TEST_CASE(a_certificate_from_another_ca_is_rejected) {
    ClientFixture f;
    evobatch::test::TempDir dir;
    auto const other_ca = dir.path() / "other-ca.pem";
    sim::write_pem_file(other_ca, sim::generate_ca("some other CA").certificate);
    net::TlsContext wrong_trust(other_ca, false);
    net::HttpsClient http(f.io.get_executor(), wrong_trust);
    api::ApiClient client(http, f.simulator.base_url(), api::Secret(evobatch::test::k_test_key));
    auto const r = f.run(client.credits());
    BOOST_TEST((r.delivery == Delivery::not_sent));
    BOOST_TEST((r.error == NetErrc::tls_failed));
    BOOST_TEST(r.detail.find("certificate") != std::string::npos);
    BOOST_TEST(f.simulator.stats().api_requests == 0u);
}

BOOST_AUTO_TEST_CASE(a_certificate_for_another_host_is_rejected) {
    sim::SimOptions options;
    options.cert_names = {"api.other.example"};
    ClientFixture f(options);
    auto const r = f.run(f.api->credits());
    BOOST_TEST((r.delivery == Delivery::not_sent));
    BOOST_TEST((r.error == NetErrc::tls_failed));
    BOOST_TEST(f.simulator.stats().api_requests == 0u);
}

BOOST_AUTO_TEST_CASE(plain_http_is_refused_off_loopback_and_refused_ports_are_not_sent) {
    ClientFixture f;
    net::HttpRequest request;
    request.url = "http://api.evolink.ai/v1/credits";
    auto const insecure = f.run(f.http->send(request));
    BOOST_TEST((insecure.delivery == Delivery::not_sent));
    BOOST_TEST((insecure.error == NetErrc::insecure_url));

    request.url = "https://127.0.0.1:1/v1/credits"; // nothing listens on port 1
    auto const refused = f.run(f.http->send(request));
    BOOST_TEST((refused.delivery == Delivery::not_sent));
    BOOST_TEST((refused.error == NetErrc::connect_failed));
}

BOOST_AUTO_TEST_SUITE_END()
