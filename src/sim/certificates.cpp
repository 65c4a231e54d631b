#include "evobatch/sim/certificates.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace evobatch::sim {

namespace {

template <auto Free> struct Deleter {
    template <class T> void operator()(T* p) const noexcept { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

constexpr long k_valid_seconds = 30L * 24 * 3600;
constexpr long k_backdate_seconds = 3600; // tolerate clocks a little behind

// Throws with OpenSSL's own reason, which is what makes a failure here diagnosable.
[[noreturn]] void fail(std::string_view what) {
    std::string reason;
    if (unsigned long const e = ERR_get_error(); e != 0) {
        char text[256];
        ERR_error_string_n(e, text, sizeof text);
        reason = std::string(": ") + text;
    }
    ERR_clear_error();
    throw std::runtime_error("certificates: " + std::string(what) + reason);
}

void check(int ok, std::string_view what) {
    if (ok != 1) {
        fail(what);
    }
}

PkeyPtr new_key() {
    PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) {
        fail("EC P-256 key generation failed");
    }
    return key;
}

bool is_ip_literal(std::string const& name) {
    unsigned char buffer[16];
    return inet_pton(AF_INET, name.c_str(), buffer) == 1 || inet_pton(AF_INET6, name.c_str(), buffer) == 1;
}

// A v3 certificate with a random 127-bit serial, the validity window and `key`.
X509Ptr new_certificate(EVP_PKEY* key, std::string_view common_name) {
    X509Ptr cert(X509_new());
    if (!cert) {
        fail("X509_new");
    }
    check(X509_set_version(cert.get(), 2), "X509_set_version");
    BnPtr serial(BN_new());
    check(serial && BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 ? 1 : 0, "BN_rand");
    if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
        fail("serial number");
    }
    if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -k_backdate_seconds) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()), k_valid_seconds) == nullptr) {
        fail("validity");
    }
    check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");
    X509_NAME* subject = X509_get_subject_name(cert.get());
    std::string const cn(common_name);
    check(X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                                     reinterpret_cast<unsigned char const*>("evobatch"), -1, -1, 0),
          "subject O");
    check(X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<unsigned char const*>(cn.c_str()), -1, -1, 0),
          "subject CN");
    return cert;
}

void add_extension(X509* cert, X509* issuer, int nid, char const* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    if (!ext) {
        fail(std::string("extension ") + OBJ_nid2sn(nid) + " = " + value);
    }
    check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

// subjectAltName built from GENERAL_NAMEs rather than a config string, so no name can be
// misread as config syntax.
void add_subject_alt_names(X509* cert, std::vector<std::string> const& names) {
    GeneralNamesPtr list(sk_GENERAL_NAME_new_null());
    for (auto const& name : names) {
        GENERAL_NAME* entry = GENERAL_NAME_new();
        if (entry == nullptr) {
            fail("GENERAL_NAME_new");
        }
        if (is_ip_literal(name)) {
            ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
            if (ip == nullptr) {
                GENERAL_NAME_free(entry);
                fail("IP address " + name);
            }
            GENERAL_NAME_set0_value(entry, GEN_IPADD, ip);
        } else {
            ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
            if (dns == nullptr || ASN1_STRING_set(dns, name.data(), static_cast<int>(name.size())) != 1) {
                ASN1_IA5STRING_free(dns);
                GENERAL_NAME_free(entry);
                fail("DNS name " + name);
            }
            GENERAL_NAME_set0_value(entry, GEN_DNS, dns);
        }
        if (sk_GENERAL_NAME_push(list.get(), entry) == 0) {
            GENERAL_NAME_free(entry);
            fail("sk_GENERAL_NAME_push");
        }
    }
    check(X509_add1_ext_i2d(cert, NID_subject_alt_name, list.get(), 0, X509V3_ADD_DEFAULT), "subjectAltName");
}

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    long const size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

PemCredentials to_pem(X509* cert, EVP_PKEY* key) {
    BioPtr cert_bio(BIO_new(BIO_s_mem()));
    BioPtr key_bio(BIO_new(BIO_s_mem()));
    if (!cert_bio || !key_bio) {
        fail("BIO_new");
    }
    check(PEM_write_bio_X509(cert_bio.get(), cert), "PEM_write_bio_X509");
    check(PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
          "PEM_write_bio_PrivateKey");
    return {bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

BioPtr read_bio(std::string const& text) {
    BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
    if (!bio) {
        fail("BIO_new_mem_buf");
    }
    return bio;
}

} // namespace

PemCredentials generate_ca(std::string_view common_name) {
    PkeyPtr key = new_key();
    X509Ptr cert = new_certificate(key.get(), common_name);
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())), "X509_set_issuer_name");
    add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
    add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        fail("X509_sign (CA)");
    }
    return to_pem(cert.get(), key.get());
}

PemCredentials issue_server_cert(PemCredentials const& ca, std::vector<std::string> const& names) {
    if (names.empty()) {
        throw std::runtime_error("certificates: a server certificate needs at least one name");
    }
    auto cert_bio = read_bio(ca.certificate);
    auto key_bio = read_bio(ca.private_key);
    X509Ptr ca_cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    PkeyPtr ca_key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (!ca_cert || !ca_key) {
        fail("the CA certificate or key is not valid PEM");
    }
    check(X509_check_private_key(ca_cert.get(), ca_key.get()),
          "the CA key does not match the CA certificate");

    PkeyPtr key = new_key();
    X509Ptr cert = new_certificate(key.get(), names.front());
    check(X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())), "X509_set_issuer_name");
    add_extension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature");
    add_extension(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth");
    add_extension(cert.get(), ca_cert.get(), NID_subject_key_identifier, "hash");
    add_extension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always");
    add_subject_alt_names(cert.get(), names);
    if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) {
        fail("X509_sign (server)");
    }
    return to_pem(cert.get(), key.get());
}

void write_pem_file(std::filesystem::path const& path, std::string_view text, bool secret) {
    int const fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
    if (fd < 0) {
        throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
    std::size_t written = 0;
    while (written < text.size()) {
        auto const n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int const err = errno;
            ::close(fd);
            throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(err));
        }
        written += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) {
        throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
    }
}

std::string read_pem_file(std::filesystem::path const& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path.string());
    }
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

} // namespace evobatch::sim
