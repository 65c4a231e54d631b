#pragma once
// SHA-256 through OpenSSL's EVP interface, hex-encoded: request digests, idempotency keys, the
// simulator's request digests and file checks, download hashes.

#include <memory>
#include <string>
#include <string_view>

namespace evobatch::util {

// Incremental SHA-256. Not thread-safe; hex_digest() ends it (further updates throw).
class Sha256 {
public:
    Sha256(); // throws std::runtime_error if OpenSSL cannot provide SHA-256
    ~Sha256();
    Sha256(Sha256 const&) = delete;
    Sha256& operator=(Sha256 const&) = delete;

    void update(std::string_view data);
    [[nodiscard]] std::string hex_digest(); // 64 lowercase hex characters

private:
    struct Ctx;
    std::unique_ptr<Ctx> m_ctx;
};

// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

} // namespace evobatch::util
