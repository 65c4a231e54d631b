#pragma once
// Probing media over HTTP(S): a source video through VideoProbe's ranges, an image by its first
// bytes, each answer's size from Content-Range or Content-Length. Range requests only (a host
// that ignores Range is read until the facts are known, then the connection is closed),
// redirects followed (https; http only to loopback, as the client allows), transient failures
// (5xx, 429, a broken or stalled connection) retried, and never the API key: the Prober has its
// own client with no credentials. Coroutines on one io_context thread.

#include "evobatch/probe/media_facts.hpp"
#include "evobatch/probe/video_probe.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace evobatch::net {
class TlsContext;
} // namespace evobatch::net

namespace evobatch::probe {

struct ProberOptions {
    std::size_t max_connections_per_host = 8; // limits.max_probes: probes at once go to few hosts
    int max_attempts = 3;                     // per range, for transient failures
    std::chrono::milliseconds first_backoff{500}; // doubled after each failed attempt
    int max_redirects = 5;
    int max_requests = 6;                     // per probe, retries and redirects included
    std::chrono::milliseconds connect_timeout{10'000};
    std::chrono::milliseconds idle_timeout{10'000}; // no byte for this long: the host stalled
    ProbeBudget budget;
};

enum class ProbeOutcome {
    probed,      // the facts are the host's answer (rules.hpp judges them)
    unreachable, // the host refused for good (4xx but 408 and 429) or its name does not exist: the API could not fetch it either
    transient,   // 5xx, 429, timeouts or broken connections after the retries: not known
    unchanged,   // a revalidation answered 304 Not Modified: the earlier probe's facts still hold
};

// What an earlier probe recorded of a file (its HostAnswer's), to ask the host whether the file
// changed since. Empty strings: not known.
struct Validators {
    std::string etag, last_modified;
};

// What the host said besides the facts: for the ledger (validators, to reuse a probe while the
// file is unchanged) and the benchmark (requests and bytes).
struct HostAnswer {
    ProbeOutcome outcome = ProbeOutcome::transient;
    std::string detail;        // unreachable, transient: why, in words ("HTTP 404", "timed out")
    int status = 0;            // the last answer's HTTP status (0: none)
    std::string final_url;     // after redirects
    std::string etag, last_modified;
    int requests = 0;
    std::uint64_t bytes = 0;   // body bytes read
};

struct VideoReport {
    HostAnswer host;
    VideoFacts facts;
};

struct ImageReport {
    HostAnswer host;
    ImageFacts facts;
};

struct ProberStats {
    std::uint64_t requests = 0;
    std::uint64_t bytes = 0;
};

class Prober {
public:
    // `tls` must outlive the prober (the same verifying context as every client).
    Prober(boost::asio::any_io_executor executor, net::TlsContext& tls, ProberOptions options = {});
    ~Prober();
    Prober(Prober const&) = delete;
    Prober& operator=(Prober const&) = delete;

    // With `known` (an earlier probe's validators; it must outlive the call), the first request
    // carries If-None-Match (or, without an ETag, If-Modified-Since) beside its Range: a 304 ends
    // the probe as `unchanged` (one request, no body; the answer's validators, else `known`'s,
    // in HostAnswer, and no facts); any other answer is probed as usual. Without a validator in
    // `known`, a plain probe.
    boost::asio::awaitable<VideoReport> video(std::string url, Validators const* known = nullptr);
    boost::asio::awaitable<ImageReport> image(std::string url, Validators const* known = nullptr);

    [[nodiscard]] ProberStats stats() const noexcept;

    // The run is stopping (Ctrl-C): no probe sends another request or waits to retry; each ends
    // `transient` ("stopped"). A request already waiting for its host ends by its own timeouts.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace evobatch::probe
