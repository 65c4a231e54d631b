#include "evobatch/net/tls_context.hpp"

#include <boost/asio/ssl/context.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace evobatch::net {

namespace ssl = boost::asio::ssl;

TlsContext::TlsContext(std::optional<std::filesystem::path> const& extra_ca_file, bool use_system_store)
    : m_context(std::make_unique<ssl::context>(ssl::context::tls_client)) {
    SSL_CTX_set_min_proto_version(m_context->native_handle(), TLS1_2_VERSION);
    m_context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    boost::system::error_code ec;
    if (use_system_store) {
        m_context->set_default_verify_paths(ec); // a machine without a store still works with ca_file
    }
    if (extra_ca_file) {
        m_context->load_verify_file(extra_ca_file->string(), ec);
        if (ec) {
            throw std::runtime_error(fmt::format("cannot load CA file {}: {}", extra_ca_file->string(), ec.message()));
        }
    }
}

TlsContext::~TlsContext() = default;

} // namespace evobatch::net
