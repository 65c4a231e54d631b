// The HTTP side of probing: performs the ranges VideoProbe asks for (or the 16 bytes an image's
// format needs) with the retries, redirects and stops a media host calls for. What the bytes
// mean is VideoProbe's and image_magic's; what the facts mean for a job is rules.hpp's.

#include "evobatch/probe/prober.hpp"

#include "evobatch/net/error.hpp"
#include "evobatch/net/http_fields.hpp"
#include "evobatch/net/https_client.hpp"
#include "evobatch/probe/image_magic.hpp"
#include "evobatch/util/text.hpp"
#include "evobatch/util/wait_queue.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <variant>

namespace evobatch::probe {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// Reading on through bytes nobody asked for is cheaper than a new request up to this far.
constexpr std::uint64_t k_skip_ahead = 256 * 1024;
// The body comes in pieces of at most this (a TLS record's worth): a host that ignores Range
// is read only a piece past the point where the facts are known.
constexpr std::size_t k_piece_bytes = 16 * 1024;

// Called with each piece of a 2xx body: its offset in the file, the bytes, the file's size.
// False: stop reading (the connection is closed, not drained).
using Feed = std::function<bool(std::uint64_t offset, std::string_view bytes, std::uint64_t total)>;

// One answer to a ranged GET, fed piece by piece.
class RangeSink final : public net::BodySink {
public:
    explicit RangeSink(Feed feed) : m_feed(std::move(feed)) {}

    bool on_head(net::HttpResponse const& head) override {
        status = head.status;
        location = std::string(head.header("location").value_or(""));
        etag = std::string(head.header("etag").value_or(""));          // a 304 has them too
        last_modified = std::string(head.header("last-modified").value_or(""));
        if (status == 206) {
            auto const range = net::parse_content_range(head.header("content-range").value_or(""));
            if (!range || !range->total) {
                problem = "a 206 without a usable Content-Range";
                return false;
            }
            m_offset = range->first;
            m_body_end = range->last + 1;
            total = *range->total;
        } else if (status == 200) {
            auto const length = util::parse_decimal(head.header("content-length").value_or(""));
            if (!length) {
                problem = "a 200 without a Content-Length: its size is not known";
                return false;
            }
            m_offset = 0; // the host ignores Range: the whole body from its start
            total = *length;
            m_body_end = total;
        } else {
            return false;
        }
        body_wanted = true;
        return true;
    }

    [[nodiscard]] std::size_t max_piece() const noexcept override { return k_piece_bytes; }

    asio::awaitable<error_code> on_body(std::vector<char>& buffer, std::size_t size) override {
        bytes += size;
        bool const more = m_feed(m_offset, std::string_view(buffer.data(), size), total);
        m_offset += size;
        // A body read to its end leaves the connection reusable: stopping there would close it
        // and cost the next probe a TLS handshake.
        if (!more && m_offset < m_body_end) {
            stopped = true;
            co_return make_error_code(boost::system::errc::operation_canceled);
        }
        co_return error_code{};
    }

    int status = 0;
    bool body_wanted = false; // a 200/206 we could read
    bool stopped = false;     // the feed had what it needed
    std::uint64_t total = 0;
    std::uint64_t bytes = 0;
    std::string location, etag, last_modified, problem;

private:
    Feed m_feed;
    std::uint64_t m_offset = 0;
    std::uint64_t m_body_end = 0; // offset just past the answer's last byte
};

bool has_validator(Validators const* known) {
    return known != nullptr && (!known->etag.empty() || !known->last_modified.empty());
}

// An earlier probe's validators as the request's conditions (RFC 9110 §13.1): If-None-Match
// when there is an ETag (the host would ignore If-Modified-Since beside it), else
// If-Modified-Since.
void add_conditions(net::HttpRequest& request, Validators const* known) {
    if (!has_validator(known)) {
        return;
    }
    if (!known->etag.empty()) {
        request.headers.emplace_back("if-none-match", known->etag);
    } else {
        request.headers.emplace_back("if-modified-since", known->last_modified);
    }
}

bool is_final_refusal(int status) { return status >= 400 && status < 500 && status != 408 && status != 429; }

// Failures before any answer that another attempt cannot mend: a URL the client refuses, a host
// name that DNS says does not exist (a lookup that failed for now is retried like a timeout).
bool is_final_failure(error_code const& ec) {
    return ec == net::NetErrc::insecure_url || ec == net::NetErrc::bad_url || ec == net::NetErrc::host_not_found;
}

} // namespace

struct Prober::Impl {
    Impl(asio::any_io_executor ex, net::TlsContext& tls, ProberOptions o)
        : executor(ex), options(o), client(ex, tls, client_options(o)), stopping(ex) {}

    static net::ClientOptions client_options(ProberOptions const& o) {
        net::ClientOptions c;
        c.max_connections_per_host = o.max_connections_per_host;
        c.connect_timeout = o.connect_timeout;
        c.handshake_timeout = o.connect_timeout;
        c.request_timeout = o.idle_timeout;
        c.user_agent = "evobatch-probe";
        return c;
    }

    // Reads `url` from `offset` (`length` bytes asked; the host may send more or all) into
    // `feed`, following redirects and retrying transient failures, until the feed stops it or
    // the answer ends. False: the host refused, the retries ran out, or (asked with `known`
    // validators) it answered 304; `host.outcome` says which.
    asio::awaitable<bool> read(std::string& url, std::uint64_t offset, std::uint64_t length, Feed const& feed,
                               HostAnswer& host, std::uint64_t& total, Validators const* known) {
        int failures = 0;
        int redirects = 0;
        for (;;) {
            if (stopped) {
                host.outcome = ProbeOutcome::transient;
                host.detail = "stopped";
                co_return false;
            }
            if (host.requests >= options.max_requests) {
                host.detail = fmt::format("no answer within {} requests", options.max_requests);
                co_return false;
            }
            ++host.requests;
            ++stats.requests;
            net::HttpRequest request;
            request.url = url;
            request.headers.emplace_back("range", fmt::format("bytes={}-{}", offset, offset + std::max<std::uint64_t>(length, 1) - 1));
            add_conditions(request, known);
            RangeSink sink(feed);
            auto const outcome = co_await client.stream(std::move(request), sink, options.idle_timeout);
            host.bytes += sink.bytes;
            stats.bytes += sink.bytes;
            host.status = sink.status;
            if (sink.body_wanted) {
                host.etag = sink.etag;
                host.last_modified = sink.last_modified;
                total = sink.total;
                if (!outcome.error || sink.stopped) {
                    host.final_url = url;
                    co_return true; // read to its end, or as far as the feed wanted
                }
            } else if (outcome.answered() && sink.status == 304 && has_validator(known)) {
                host.outcome = ProbeOutcome::unchanged; // 3xx, but no redirect
                host.etag = sink.etag.empty() ? known->etag : sink.etag;
                host.last_modified = sink.last_modified.empty() ? known->last_modified : sink.last_modified;
                host.final_url = url;
                co_return false;
            } else if (outcome.answered() && sink.status >= 300 && sink.status < 400 && sink.status != 304 &&
                       !sink.location.empty()) {
                auto next = net::redirect_target(url, sink.location);
                if (!next || ++redirects > options.max_redirects) {
                    host.outcome = ProbeOutcome::unreachable;
                    host.detail = next ? "too many redirects" : "a redirect to an unusable location";
                    co_return false;
                }
                url = std::move(*next);
                continue;
            } else if (outcome.answered() && (is_final_refusal(sink.status) || !sink.problem.empty())) {
                host.outcome = ProbeOutcome::unreachable;
                host.detail = sink.problem.empty() ? fmt::format("HTTP {}", sink.status) : sink.problem;
                co_return false;
            }
            // 5xx, 429, 408, a broken or stalled connection: try again after a while.
            host.detail = outcome.answered() && !sink.body_wanted ? fmt::format("HTTP {}", sink.status)
                                                                   : outcome.detail.empty() ? outcome.error.message()
                                                                                            : outcome.detail;
            if (is_final_failure(outcome.error)) {
                host.outcome = ProbeOutcome::unreachable;
                co_return false;
            }
            if (++failures >= options.max_attempts) {
                host.outcome = ProbeOutcome::transient;
                host.detail = fmt::format("{} (after {} attempts)", host.detail, failures);
                co_return false;
            }
            if (!stopped) { // stop() ends the wait
                co_await stopping.wait(std::chrono::steady_clock::now() +
                                       options.first_backoff * (1 << std::min(failures - 1, 6)));
            }
        }
    }

    asio::awaitable<VideoReport> video(std::string url, Validators const* known) {
        VideoReport report;
        VideoProbe probe(options.budget);
        FetchRange want = probe.start();
        std::optional<VideoFacts> facts;
        // Each piece goes to the probe; reading goes on while the body flows towards what it wants.
        Feed const feed = [&](std::uint64_t offset, std::string_view bytes, std::uint64_t total) {
            ProbeStep step = probe.resume(offset, bytes, total);
            if (auto* done = std::get_if<VideoFacts>(&step)) {
                facts = std::move(*done);
                return false;
            }
            want = std::get<FetchRange>(step);
            std::uint64_t const next = offset + bytes.size();
            return want.offset >= next && want.offset - next <= k_skip_ahead;
        };
        std::uint64_t total = 0;
        while (!facts) {
            // Only the first range asks whether the file changed.
            Validators const* const ask = report.host.requests == 0 ? known : nullptr;
            if (!co_await read(url, want.offset, want.length, feed, report.host, total, ask)) {
                bool const some_known = report.host.bytes > 0 && report.host.outcome == ProbeOutcome::transient;
                if (!some_known) {
                    co_return report; // unchanged, refused, or failing before any byte: nothing new known
                }
                break; // out of requests or retries with the facts partly known
            }
            if (!facts && want.offset >= total) {
                break; // the probe wants bytes past the end of the file
            }
        }
        if (!facts) {
            auto step = probe.resume(want.offset, {}, total); // what is known so far
            facts = std::get<VideoFacts>(std::move(step));
        }
        report.host.outcome = ProbeOutcome::probed;
        report.host.detail.clear();
        report.facts = std::move(*facts);
        co_return report;
    }

    asio::awaitable<ImageReport> image(std::string url, Validators const* known) {
        ImageReport report;
        std::string first;
        Feed const feed = [&](std::uint64_t offset, std::string_view bytes, std::uint64_t) {
            if (offset < k_image_magic_bytes) {
                first.append(bytes.substr(0, k_image_magic_bytes - static_cast<std::size_t>(offset)));
            }
            return first.size() < k_image_magic_bytes;
        };
        std::uint64_t total = 0;
        if (!co_await read(url, 0, k_image_magic_bytes, feed, report.host, total, known)) {
            co_return report;
        }
        report.host.outcome = ProbeOutcome::probed;
        report.facts.size = total;
        report.facts.format = image_format_of(first);
        co_return report;
    }

    asio::any_io_executor executor;
    ProberOptions options;
    net::HttpsClient client;
    ProberStats stats;
    bool stopped = false;      // stop(): no new request, no retry
    util::WaitQueue stopping;  // backoff waits, ended by stop()
};

Prober::Prober(asio::any_io_executor executor, net::TlsContext& tls, ProberOptions options)
    : m_impl(std::make_unique<Impl>(std::move(executor), tls, options)) {}

Prober::~Prober() = default;

asio::awaitable<VideoReport> Prober::video(std::string url, Validators const* known) {
    return m_impl->video(std::move(url), known);
}

asio::awaitable<ImageReport> Prober::image(std::string url, Validators const* known) {
    return m_impl->image(std::move(url), known);
}

ProberStats Prober::stats() const noexcept { return m_impl->stats; }

void Prober::stop() {
    m_impl->stopped = true;
    m_impl->stopping.notify_all();
}

} // namespace evobatch::probe
