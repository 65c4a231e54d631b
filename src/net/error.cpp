#include "evobatch/net/error.hpp"

#include <boost/asio/error.hpp>

#include <string>

namespace evobatch::net {

namespace {

// boost::system::error_category has a protected non-virtual destructor by design (categories
// are never deleted through a base pointer); -Wnon-virtual-dtor cannot know that.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class NetCategory final : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "evobatch.net"; }
    std::string message(int ev) const override {
        switch (static_cast<NetErrc>(ev)) {
        case NetErrc::timeout: return "timed out";
        case NetErrc::insecure_url: return "plain http is allowed only to a loopback address";
        case NetErrc::bad_url: return "not an absolute http(s) URL";
        case NetErrc::bad_header: return "a request header is malformed";
        case NetErrc::resolve_failed: return "host name lookup failed";
        case NetErrc::connect_failed: return "could not connect";
        case NetErrc::tls_failed: return "TLS handshake failed (certificate or protocol)";
        case NetErrc::connection_closed: return "connection closed by the peer";
        case NetErrc::body_too_large: return "response body larger than allowed";
        case NetErrc::bad_response: return "malformed HTTP response";
        case NetErrc::host_not_found: return "no such host name";
        }
        return "unknown network error";
    }
};
#pragma GCC diagnostic pop

} // namespace

boost::system::error_category const& net_category() noexcept {
    static NetCategory const category;
    return category;
}

NetErrc lookup_failure(boost::system::error_code const& resolver_error) noexcept {
    return resolver_error == boost::asio::error::host_not_found ? NetErrc::host_not_found : NetErrc::resolve_failed;
}

} // namespace evobatch::net
