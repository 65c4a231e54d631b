// The simulator's certificates over real TLS: trusted only through its own CA, and only for
// the names it was issued for. Plus IPv6 loopback and a CA kept in a directory.

#include "integration/sim/sim_test_support.hpp"

#include "evobatch/sim/certificates.hpp"

#include "common/temp_dir.hpp"

#include <boost/asio/ssl/error.hpp>

#include <fstream>

using namespace evobatch;
using namespace evobatch::test;
namespace asio = boost::asio;

BOOST_AUTO_TEST_SUITE(sim_tls)

BOOST_AUTO_TEST_CASE(a_client_trusting_another_ca_is_refused) {
    SimFixture f;
    TempDir dir;
    auto const other_ca = dir.write("other-ca.pem", sim::generate_ca("an unrelated CA").certificate);
    boost::system::error_code refused;
    boost::system::error_code accepted;
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient stranger(f.io.get_executor(), other_ca, f.port());
        refused = co_await stranger.connect();
        HttpsTestClient friendly(f.io.get_executor(), f.ca_file(), f.port());
        accepted = co_await friendly.connect();
    }());
    BOOST_TEST(refused.failed());
    BOOST_TEST(&refused.category() == &asio::error::get_ssl_category());
    BOOST_TEST_MESSAGE("refused with: " << refused.message());
    BOOST_TEST(!accepted.failed());
}

BOOST_AUTO_TEST_CASE(a_client_expecting_another_host_name_is_refused) {
    sim::SimOptions o;
    o.cert_names = {"sim.example.test"};
    SimFixture f(o);
    boost::system::error_code by_ip;
    boost::system::error_code by_other_name;
    boost::system::error_code by_right_name;
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient ip(f.io.get_executor(), f.ca_file(), f.port(), "127.0.0.1");
        by_ip = co_await ip.connect();
        HttpsTestClient other(f.io.get_executor(), f.ca_file(), f.port(), "api.evolink.ai");
        by_other_name = co_await other.connect();
        HttpsTestClient right(f.io.get_executor(), f.ca_file(), f.port(), "sim.example.test");
        by_right_name = co_await right.connect();
    }());
    BOOST_TEST(by_ip.failed());
    BOOST_TEST(by_other_name.failed());
    BOOST_TEST(!by_right_name.failed());
}

BOOST_AUTO_TEST_CASE(the_default_certificate_names_ip_literals_and_localhost) {
    SimFixture f;
    boost::system::error_code by_localhost;
    boost::system::error_code by_ip;
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient named(f.io.get_executor(), f.ca_file(), f.port(), "localhost");
        by_localhost = co_await named.connect();
        HttpsTestClient ip(f.io.get_executor(), f.ca_file(), f.port(), "127.0.0.1");
        by_ip = co_await ip.connect();
    }());
    BOOST_TEST(!by_localhost.failed());
    BOOST_TEST(!by_ip.failed());
    BOOST_TEST(f.base_url() == "https://127.0.0.1:" + std::to_string(f.port()));
}

BOOST_AUTO_TEST_CASE(ipv6_loopback_works_when_the_host_has_it) {
    sim::SimOptions o;
    o.host = "::1";
    sim::Simulator probe(o);
    try {
        probe.start();
    } catch (std::runtime_error const& e) {
        BOOST_TEST_MESSAGE("skipped, no IPv6 loopback here: " << e.what());
        return;
    }
    probe.stop();
    SimFixture f(o);
    BOOST_TEST(f.base_url() == "https://[::1]:" + std::to_string(f.port()));
    unsigned status = 0;
    f.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(f.io.get_executor(), f.ca_file(), f.port(), "::1", "::1");
        status = (co_await exchange(client, get("/v1/credits"))).status;
    }());
    BOOST_TEST(status == 200u);
}

BOOST_AUTO_TEST_CASE(a_cert_dir_keeps_the_ca_across_restarts) {
    TempDir dir;
    sim::SimOptions o;
    o.cert_dir = dir.path() / "ca";
    std::string first_ca;
    {
        SimFixture f(o);
        BOOST_TEST(f.ca_file() == dir.path() / "ca" / "ca.pem");
        first_ca = sim::read_pem_file(f.ca_file());
        BOOST_TEST(std::filesystem::exists(dir.path() / "ca" / "ca-key.pem"));
        auto const perms = std::filesystem::status(dir.path() / "ca" / "ca-key.pem").permissions();
        BOOST_TEST(((perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) ==
                    std::filesystem::perms::none));
    }
    BOOST_TEST(std::filesystem::exists(dir.path() / "ca" / "ca.pem")); // not removed: the user's directory
    SimFixture again(o);
    BOOST_TEST(sim::read_pem_file(again.ca_file()) == first_ca);
    boost::system::error_code ec;
    again.run([&]() -> asio::awaitable<void> {
        HttpsTestClient client(again.io.get_executor(), again.ca_file(), again.port());
        ec = co_await client.connect();
    }());
    BOOST_TEST(!ec.failed());
}

BOOST_AUTO_TEST_CASE(bad_options_fail_at_start) {
    auto refuses = [](auto change) {
        sim::SimOptions o;
        change(o);
        sim::Simulator s(o);
        BOOST_CHECK_THROW(s.start(), std::runtime_error);
    };
    refuses([](sim::SimOptions& o) { o.host = "localhost"; });
    refuses([](sim::SimOptions& o) { o.time_scale = -1; });
    refuses([](sim::SimOptions& o) { o.fail_ratio = 1.5; });
    refuses([](sim::SimOptions& o) { o.log_file = "/nonexistent-dir/x/tasks.jsonl"; });
    // A port that is taken.
    SimFixture f;
    refuses([&](sim::SimOptions& o) { o.port = f.port(); });
}

BOOST_AUTO_TEST_SUITE_END()
