#include "evobatch/sim/simulator.hpp"

#include "server.hpp"
#include "service.hpp"

#include "evobatch/sim/certificates.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <future>
#include <list>
#include <random>
#include <stdexcept>
#include <thread>

namespace evobatch::sim {

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

constexpr auto k_stop_grace = std::chrono::seconds{10};

// The value of an enum whose to_string() is `name`, among `all`.
template <class Enum, std::size_t N> std::optional<Enum> by_name(Enum const (&all)[N], std::string_view name) noexcept {
    for (Enum const value : all) {
        if (to_string(value) == name) {
            return value;
        }
    }
    return std::nullopt;
}

void check_options(SimOptions const& o) {
    auto const ratio_ok = [](double r) { return std::isfinite(r) && r >= 0 && r <= 1; };
    if (!std::isfinite(o.time_scale) || o.time_scale < 0) {
        throw std::runtime_error("time scale must be a number >= 0");
    }
    if (!std::isfinite(o.rps) || o.rps < 0 || o.burst < 0) {
        throw std::runtime_error("rps and burst must be >= 0");
    }
    if (o.max_concurrent_tasks < 0) {
        throw std::runtime_error("max concurrent tasks must be >= 0");
    }
    if (o.credits && (!std::isfinite(*o.credits) || *o.credits < 0)) {
        throw std::runtime_error("credits must be >= 0");
    }
    if (!ratio_ok(o.fail_ratio) || !ratio_ok(o.error_ratio) || !ratio_ok(o.cut_after_create_ratio)) {
        throw std::runtime_error("fail, error and cut ratios must be between 0 and 1");
    }
    if (o.latency.count() < 0) {
        throw std::runtime_error("latency must be >= 0");
    }
    for (auto const& name : o.cert_names) {
        if (name.empty()) {
            throw std::runtime_error("certificate names must not be empty");
        }
    }
}

fs::path make_temp_dir() {
    std::random_device rd;
    for (int attempt = 0; attempt < 16; ++attempt) {
        auto const dir = fs::temp_directory_path() / fmt::format("evobatch-sim-{:08x}{:08x}", rd(), rd());
        if (fs::create_directory(dir)) {
            return dir;
        }
    }
    throw std::runtime_error("cannot create a temporary certificate directory");
}

} // namespace

std::uint64_t SimStats::count(unsigned status) const {
    auto const it = status_counts.find(status);
    return it == status_counts.end() ? 0 : it->second;
}

std::uint64_t SimStats::count_5xx() const {
    std::uint64_t n = 0;
    for (auto const& [status, count] : status_counts) {
        n += status >= 500 && status <= 599 ? count : 0;
    }
    return n;
}

// Member order is destruction order, reversed: the server (acceptor) goes before the
// io_context; the io_context, which destroys any session frame still pending, goes before the
// connection list and the service those frames refer to.
struct Simulator::Impl {
    enum class State : std::uint8_t { created, running, stopped };

    SimOptions options;
    State state = State::created;
    fs::path ca_path;
    std::optional<fs::path> temp_dir; // removed at stop()
    std::uint16_t port = 0;
    std::string base_url;
    std::unique_ptr<Service> service;
    std::list<Connection> connections;
    asio::ssl::context tls{asio::ssl::context::tls_server};
    asio::io_context ioc{1};
    std::unique_ptr<Server> server;
    std::promise<void> finished;
    std::thread thread;

    explicit Impl(SimOptions o) : options(std::move(o)) {}

    void prepare_tls();
    void listen(asio::ip::address const& address, std::optional<std::uint16_t> recorded_port);
    void remove_temp_dir() noexcept {
        if (temp_dir) {
            std::error_code ignored;
            fs::remove_all(*temp_dir, ignored);
            temp_dir.reset();
        }
    }
};

// The CA comes from cert_dir when it holds one, else it is made here; the server certificate
// is always fresh. Only the CA certificate is written for clients; a CA key is written only to
// a cert_dir the user chose, so that the next run can reuse the CA.
void Simulator::Impl::prepare_tls() {
    PemCredentials ca;
    if (options.cert_dir) {
        fs::create_directories(*options.cert_dir);
        ca_path = *options.cert_dir / "ca.pem";
        auto const key_path = *options.cert_dir / "ca-key.pem";
        if (fs::exists(ca_path) && fs::exists(key_path)) {
            ca = {read_pem_file(ca_path), read_pem_file(key_path)};
        } else {
            ca = generate_ca();
            write_pem_file(key_path, ca.private_key, true);
            write_pem_file(ca_path, ca.certificate);
        }
    } else {
        temp_dir = make_temp_dir();
        ca_path = *temp_dir / "ca.pem";
        ca = generate_ca();
        write_pem_file(ca_path, ca.certificate);
    }
    std::vector<std::string> names = options.cert_names;
    if (names.empty()) {
        names = {"127.0.0.1", "::1", "localhost"};
    }
    PemCredentials const leaf = issue_server_cert(ca, names);

    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                    asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                    asio::ssl::context::no_tlsv1_1);
    if (SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION) != 1) {
        throw std::runtime_error("cannot require TLS 1.2");
    }
    // AES-128-GCM first, by our choice: it encrypts about 10% faster than AES-256, and on
    // loopback the simulator's one thread spends more time encrypting downloads than on anything else.
    SSL_CTX_set_options(tls.native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_ciphersuites(
            tls.native_handle(),
            "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256") != 1) {
        throw std::runtime_error("cannot set the TLS 1.3 cipher suites");
    }
    std::string const chain = leaf.certificate + ca.certificate;
    tls.use_certificate_chain(asio::buffer(chain));
    tls.use_private_key(asio::buffer(leaf.private_key), asio::ssl::context::pem);
}

// When the options leave the port open, the one a state file recorded comes first, so that the
// result links the last simulator gave out still work. If another program has taken it
// meanwhile, any free port does: links given out before then name the old port and fail to
// connect (or reach whatever listens there now); a client that queries the task again gets a
// link to this simulator, which serves result files by task id, so only host:port differ.
void Simulator::Impl::listen(asio::ip::address const& address, std::optional<std::uint16_t> recorded_port) {
    if (options.port == 0 && recorded_port) {
        try {
            server->listen({address, *recorded_port});
            return;
        } catch (boost::system::system_error const&) {
            std::fprintf(stderr,
                         "evobatch sim: port %u, where the simulator of the state file listened, is taken; "
                         "its result links are stale (query the tasks again for new ones)\n",
                         static_cast<unsigned>(*recorded_port));
        }
    }
    try {
        server->listen({address, options.port});
    } catch (boost::system::system_error const& e) {
        throw std::runtime_error(
            fmt::format("cannot listen on {} port {}: {}", options.host, options.port, e.code().message()));
    }
}

Simulator::Simulator(SimOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}

Simulator::~Simulator() {
    stop();
}

void Simulator::start() {
    Impl& d = *m_impl;
    if (d.state != Impl::State::created) {
        throw std::runtime_error("the simulator can be started only once");
    }
    check_options(d.options);
    boost::system::error_code ec;
    auto const address = asio::ip::make_address(d.options.host, ec);
    if (ec) {
        throw std::runtime_error(
            fmt::format("--host must be an IP address such as 127.0.0.1, not '{}'", d.options.host));
    }
    try {
        std::unique_ptr<StateFile> state_file; // first: a damaged one should fail before the TLS work
        if (d.options.state_file) {
            state_file = std::make_unique<StateFile>(*d.options.state_file);
        }
        d.prepare_tls();
        d.server = std::make_unique<Server>(d.ioc, d.tls, d.connections);
        d.listen(address, state_file ? state_file->port() : std::nullopt);
        d.port = d.server->port();
        d.base_url = address.is_v6() ? fmt::format("https://[{}]:{}", address.to_string(), d.port)
                                     : fmt::format("https://{}:{}", address.to_string(), d.port);
        Now const now = Now::current();
        if (state_file) {
            state_file->record_start(d.port, now.unix_milliseconds());
        }
        d.service = std::make_unique<Service>(d.options, d.base_url, now, std::move(state_file));
    } catch (boost::system::system_error const& e) { // from Asio's SSL context: say which step failed
        d.state = Impl::State::stopped;
        d.remove_temp_dir();
        throw std::runtime_error(fmt::format("cannot set up TLS: {}", e.what()));
    } catch (...) {
        d.state = Impl::State::stopped;
        d.remove_temp_dir();
        throw;
    }
    d.server->start(*d.service);
    d.thread = std::thread([&d] {
        try {
            d.ioc.run();
        } catch (std::exception const& e) { // handlers catch their own; this is a bug
            std::fprintf(stderr, "evobatch sim: the server thread failed: %s\n", e.what());
        }
        d.finished.set_value();
    });
    d.state = Impl::State::running;
}

void Simulator::stop() {
    Impl& d = *m_impl;
    if (d.state == Impl::State::running) {
        asio::post(d.ioc, [&d] { d.server->shutdown(); });
        // Sessions end at once when cancelled; the grace period only guards against a bug
        // turning stop() into a hang.
        if (d.finished.get_future().wait_for(k_stop_grace) != std::future_status::ready) {
            std::fprintf(stderr, "evobatch sim: sessions did not end within %lld s; stopping anyway\n",
                         static_cast<long long>(k_stop_grace.count()));
            d.ioc.stop();
        }
        d.thread.join();
    }
    d.state = Impl::State::stopped;
    d.remove_temp_dir();
}

std::uint16_t Simulator::port() const {
    return m_impl->port;
}
std::string Simulator::base_url() const {
    return m_impl->base_url;
}
std::filesystem::path Simulator::ca_file() const {
    return m_impl->ca_path;
}
SimOptions const& Simulator::options() const noexcept {
    return m_impl->options;
}

SimStats Simulator::stats() const {
    return m_impl->service ? m_impl->service->stats(std::chrono::steady_clock::now()) : SimStats{};
}

std::string_view to_string(Garbage g) noexcept {
    switch (g) {
    case Garbage::truncated:
        return "truncated";
    case Garbage::wrong_types:
        return "wrong-types";
    case Garbage::missing_fields:
        return "missing-fields";
    case Garbage::huge:
        return "huge";
    case Garbage::stalled:
        return "stalled";
    case Garbage::short_body:
        return "short-body";
    }
    return "?";
}

std::optional<Garbage> parse_garbage(std::string_view name) noexcept {
    return by_name(k_all_garbage, name);
}

std::string_view to_string(FileLie lie) noexcept {
    switch (lie) {
    case FileLie::no_validator:
        return "no-validator";
    case FileLie::changes:
        return "changes";
    case FileLie::keeps_etag:
        return "keeps-etag";
    case FileLie::ignores_if_range:
        return "ignores-if-range";
    case FileLie::html:
        return "html";
    case FileLie::flipped_bit:
        return "flipped-bit";
    case FileLie::not_a_video:
        return "not-a-video";
    }
    return "?";
}

std::optional<FileLie> parse_file_lie(std::string_view name) noexcept {
    return by_name(k_all_file_lies, name);
}

std::string_view to_string(TaskIds ids) noexcept {
    switch (ids) {
    case TaskIds::plain:
        return "plain";
    case TaskIds::odd:
        return "odd";
    case TaskIds::unusable:
        return "unusable";
    }
    return "?";
}

std::optional<TaskIds> parse_task_ids(std::string_view name) noexcept {
    for (TaskIds const ids : {TaskIds::plain, TaskIds::odd, TaskIds::unusable}) {
        if (to_string(ids) == name) {
            return ids;
        }
    }
    return std::nullopt;
}

} // namespace evobatch::sim
