#pragma once
// The client's TLS settings: TLS 1.2 or later, peer certificate always verified against the
// system store plus an optional extra CA file. There is deliberately no way to turn
// verification off.

#include <filesystem>
#include <memory>
#include <optional>

namespace boost::asio::ssl {
class context;
} // namespace boost::asio::ssl

namespace evobatch::net {

class TlsContext {
public:
    // Throws std::runtime_error naming the file when `extra_ca_file` cannot be loaded.
    explicit TlsContext(std::optional<std::filesystem::path> const& extra_ca_file = std::nullopt,
                        bool use_system_store = true);
    ~TlsContext();
    TlsContext(TlsContext const&) = delete;
    TlsContext& operator=(TlsContext const&) = delete;

    [[nodiscard]] boost::asio::ssl::context& native() noexcept { return *m_context; }

private:
    std::unique_ptr<boost::asio::ssl::context> m_context;
};

} // namespace evobatch::net
