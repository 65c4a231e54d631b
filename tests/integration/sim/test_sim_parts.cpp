// The simulator's pure parts, without sockets: ranges, the token bucket, the 1 s window, the
// file generator, source media URLs and the certificates. (They sit in the integration tier with the rest of the
// simulator's tests; none of them needs the network.)

#include "sim/byte_range.hpp"
#include "sim/media_files.hpp"
#include "sim/source_media.hpp"
#include "sim/token_bucket.hpp"
#include "sim/validation.hpp"

#include "evobatch/sim/certificates.hpp"
#include "evobatch/sim/file_content.hpp"
#include "evobatch/util/sha256.hpp"

#include <boost/test/unit_test.hpp>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <memory>

using namespace evobatch;
using namespace std::chrono_literals;
using Kind = sim::RangeRequest::Kind;

BOOST_AUTO_TEST_SUITE(sim_parts)

BOOST_AUTO_TEST_CASE(ranges) {
    struct Case {
        char const* header;
        Kind kind;
        std::uint64_t first;
        std::uint64_t last;
    };
    Case const cases[] = {
        {"", Kind::whole, 0, 0},
        {"bytes=0-99", Kind::partial, 0, 99},
        {"bytes=10-", Kind::partial, 10, 999},
        {"bytes=990-5000", Kind::partial, 990, 999},
        {"bytes=-10", Kind::partial, 990, 999},
        {"bytes=-5000", Kind::partial, 0, 999},
        {"Bytes= 5-6 ", Kind::partial, 5, 6},
        {"bytes=1000-", Kind::unsatisfiable, 0, 0},
        {"bytes=-0", Kind::unsatisfiable, 0, 0},
        {"bytes=9-3", Kind::whole, 0, 0},
        {"bytes=0-1,4-5", Kind::whole, 0, 0},
        {"items=0-1", Kind::whole, 0, 0},
        {"bytes=x-1", Kind::whole, 0, 0},
        {"bytes=-", Kind::whole, 0, 0},
    };
    for (auto const& c : cases) {
        BOOST_TEST_CONTEXT("Range: " << c.header) {
            auto const r = sim::parse_range(c.header, 1000);
            BOOST_TEST((r.kind == c.kind));
            if (c.kind == Kind::partial) {
                BOOST_TEST(r.first == c.first);
                BOOST_TEST(r.last == c.last);
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(token_bucket_grants_the_burst_then_the_rate) {
    auto const t0 = std::chrono::steady_clock::time_point{} + 1h;
    sim::TokenBucket bucket(10, 3, t0);
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(bucket.try_take(t0).count() == 0);
    }
    auto const wait = bucket.try_take(t0);
    BOOST_TEST((wait > 99ms && wait <= 100ms));
    BOOST_TEST(bucket.try_take(t0 + 50ms).count() > 0);
    BOOST_TEST(bucket.try_take(t0 + 100ms).count() == 0);
    BOOST_TEST(bucket.try_take(t0 + 100ms).count() > 0);
    // A long pause refills to the burst, never beyond.
    for (int i = 0; i < 3; ++i) {
        BOOST_TEST(bucket.try_take(t0 + 10s).count() == 0);
    }
    BOOST_TEST(bucket.try_take(t0 + 10s).count() > 0);

    sim::TokenBucket unlimited(0, 0, t0);
    for (int i = 0; i < 1000; ++i) {
        BOOST_TEST_REQUIRE(unlimited.try_take(t0).count() == 0);
    }
    BOOST_TEST(sim::TokenBucket(2.5, 0, t0).capacity() == 3.0);
    BOOST_TEST(sim::TokenBucket(0.5, 0, t0).capacity() == 1.0);
}

BOOST_AUTO_TEST_CASE(window_max_counts_the_busiest_second) {
    auto const t0 = std::chrono::steady_clock::time_point{} + 1h;
    sim::WindowMax w;
    for (int i = 0; i < 5; ++i) {
        w.add(t0 + i * 100ms); // 5 within 0.4 s
    }
    w.add(t0 + 1050ms); // the first two have left the window
    BOOST_TEST(w.max() == 5u);
    for (int i = 0; i < 5; ++i) {
        w.add(t0 + 1100ms + i * 10ms);
    }
    BOOST_TEST(w.max() == 9u); // (0.14 s, 1.14 s] holds 0.2, 0.3, 0.4, 1.05 and the five others
}

BOOST_AUTO_TEST_CASE(idempotency_keys) {
    BOOST_TEST(sim::valid_idempotency_key("abcdefghijklmnop"));
    BOOST_TEST(sim::valid_idempotency_key("job-1.attempt_2.0123456789ABCDEF"));
    BOOST_TEST(sim::valid_idempotency_key(std::string(96, 'k')));
    BOOST_TEST(!sim::valid_idempotency_key("abcdefghijklmno"));
    BOOST_TEST(!sim::valid_idempotency_key(std::string(97, 'k')));
    BOOST_TEST(!sim::valid_idempotency_key("abcdefghijklmnop/"));
    BOOST_TEST(!sim::valid_idempotency_key("abcdefgh ijklmnop"));
}

BOOST_AUTO_TEST_CASE(file_bytes_are_the_same_from_any_offset) {
    std::string const id = "task-unified-1757169743-7cvnl5zw";
    std::string const whole = sim::expected_file_bytes(id, 4096);
    BOOST_TEST(whole != sim::expected_file_bytes("task-unified-1757169743-7cvnl5zx", 4096));
    for (std::uint64_t offset : {0u, 1u, 7u, 8u, 9u, 1000u, 4095u}) {
        for (std::size_t size : {0u, 1u, 3u, 8u, 17u, 96u}) {
            if (offset + size > whole.size()) {
                continue;
            }
            std::string part(size, '\0');
            sim::fill_file_bytes(id, offset, part);
            BOOST_TEST_CONTEXT("offset " << offset << " size " << size) {
                BOOST_TEST((part == whole.substr(offset, size)));
            }
        }
    }
    BOOST_TEST(sim::expected_file_sha256(id, 3'000'001) ==
               util::sha256_hex(sim::expected_file_bytes(id, 3'000'001)));
    BOOST_TEST(util::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

BOOST_AUTO_TEST_CASE(media_targets_name_a_file_and_a_lie) {
    auto const t = sim::parse_media_target("/media/clip_9s.mov?x=1&lie=stall");
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(t->name == "clip_9s.mov");
    BOOST_TEST((t->lie == sim::MediaLie::stall));
    BOOST_TEST((sim::parse_media_target("/media/image.png")->lie == sim::MediaLie::none));
    BOOST_TEST(!sim::parse_media_target("/media/image.png?lie=fib")->lie.has_value());
    BOOST_TEST(sim::parse_media_target("/media/a%20b.mp4")->name == "a b.mp4");
    BOOST_TEST(!sim::parse_media_target("/files/task-unified-1-abcdefgh/0.mp4").has_value());
    for (auto const lie : {sim::MediaLie::none, sim::MediaLie::oversize, sim::MediaLie::ignore_range,
                           sim::MediaLie::missing, sim::MediaLie::gone, sim::MediaLie::error, sim::MediaLie::flaky,
                           sim::MediaLie::stall, sim::MediaLie::redirect}) {
        BOOST_TEST((sim::parse_media_lie(sim::to_string(lie)) == lie));
    }
    BOOST_TEST(sim::embedded_media().size() == 20u); // tests/media/catalog.txt's lines
    BOOST_TEST(sim::find_media("plain_14s.mp4")->seconds == 14);
    BOOST_TEST(sim::find_media("faststart_25s.mp4")->seconds == 25);
    BOOST_TEST(sim::find_media("faststart_25s.mp4")->bytes.size() == 98'544u);
    BOOST_TEST(sim::find_media("nothing.mp4") == nullptr);
}

BOOST_AUTO_TEST_CASE(only_urls_of_this_simulators_media_host_have_a_verdict) {
    std::string const base = "https://127.0.0.1:4443";
    BOOST_TEST(!sim::media_source_verdict("https://127.0.0.1:4444/media/faststart_9s.mp4", base).has_value());
    BOOST_TEST(!sim::media_source_verdict("https://127.0.0.1:44431/media/faststart_9s.mp4", base).has_value());
    BOOST_TEST(!sim::media_source_verdict(base + "/files/faststart_9s.mp4", base).has_value());
    auto const ok = sim::media_source_verdict(base + "/media/faststart_25s.mp4?lie=flaky", base);
    BOOST_REQUIRE(ok.has_value());
    BOOST_TEST(ok->seconds == 25);
    BOOST_TEST(!ok->failure.has_value());
    auto const audio = sim::media_source_verdict(base + "/media/audio_only.mp4", base);
    BOOST_REQUIRE((audio.has_value() && audio->failure.has_value()));
    BOOST_TEST(audio->failure->code == "invalid_parameters");
    auto const fib = sim::media_source_verdict(base + "/media/faststart_9s.mp4?lie=fib", base);
    BOOST_REQUIRE((fib.has_value() && fib->failure.has_value()));
    BOOST_TEST(fib->failure->code == "resource_not_found");
}

BOOST_AUTO_TEST_CASE(server_certificates_carry_their_names_and_chain_to_the_ca) {
    auto const ca = sim::generate_ca();
    auto const leaf = sim::issue_server_cert(ca, {"127.0.0.1", "::1", "localhost"});
    auto read = [](std::string const& pem) {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(
            BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
        return std::unique_ptr<X509, decltype(&X509_free)>(
            PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
    };
    auto const ca_cert = read(ca.certificate);
    auto const cert = read(leaf.certificate);
    BOOST_REQUIRE(ca_cert && cert);
    BOOST_TEST(X509_check_ca(ca_cert.get()) == 1);
    BOOST_TEST(X509_check_ca(cert.get()) == 0);
    BOOST_TEST(X509_check_ip_asc(cert.get(), "127.0.0.1", 0) == 1);
    BOOST_TEST(X509_check_ip_asc(cert.get(), "::1", 0) == 1);
    BOOST_TEST(X509_check_host(cert.get(), "localhost", 0, 0, nullptr) == 1);
    BOOST_TEST(X509_check_host(cert.get(), "example.com", 0, 0, nullptr) != 1);
    BOOST_TEST(X509_check_ip_asc(cert.get(), "10.0.0.1", 0) != 1); // a private address the cert must not cover: data, never contacted
    BOOST_TEST((X509_get_extended_key_usage(cert.get()) & XKU_SSL_SERVER) != 0u);
    BOOST_TEST(X509_check_issued(ca_cert.get(), cert.get()) == X509_V_OK);
    BOOST_TEST(X509_check_issued(read(sim::generate_ca().certificate).get(), cert.get()) != X509_V_OK);
    BOOST_CHECK_THROW(sim::issue_server_cert(ca, {}), std::runtime_error);
    BOOST_CHECK_THROW(sim::issue_server_cert({"not pem", "not pem"}, {"localhost"}), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
