#include "evobatch/util/sha256.hpp"

#include "evobatch/util/encoding.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace evobatch::util {

struct Sha256::Ctx {
    EVP_MD_CTX* md = nullptr;
    bool done = false;
    ~Ctx() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : m_ctx(std::make_unique<Ctx>()) {
    m_ctx->md = EVP_MD_CTX_new();
    if (m_ctx->md == nullptr || EVP_DigestInit_ex(m_ctx->md, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("sha256: OpenSSL could not initialise a digest");
    }
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) {
    if (m_ctx->done || EVP_DigestUpdate(m_ctx->md, data.data(), data.size()) != 1) {
        throw std::runtime_error("sha256: update failed");
    }
}

std::string Sha256::hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (m_ctx->done || EVP_DigestFinal_ex(m_ctx->md, digest, &size) != 1) {
        throw std::runtime_error("sha256: final failed");
    }
    m_ctx->done = true;
    return hex_encode(std::string_view(reinterpret_cast<char const*>(digest), size));
}

std::string sha256_hex(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.hex_digest();
}

} // namespace evobatch::util
