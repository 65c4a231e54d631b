#pragma once
// A tiny PKI for the simulator and its tests, on OpenSSL 3: a self-signed CA and server
// certificates it signs. Everything is PEM text, so no OpenSSL type leaks out of here; tests
// use generate_ca() to make a second, unrelated CA that a client can wrongly trust.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace evobatch::sim {

// A certificate and its private key, both PEM-encoded.
struct PemCredentials {
    std::string certificate;
    std::string private_key;
};

// A self-signed CA (EC P-256, X.509 v3, basicConstraints CA:TRUE, keyUsage keyCertSign+cRLSign),
// valid from an hour ago for 30 days. Throws std::runtime_error when OpenSSL fails.
PemCredentials generate_ca(std::string_view common_name = "evobatch simulator CA");

// A server certificate signed by `ca`, valid for every entry of `names`: IP literals become
// subjectAltName IP entries, anything else DNS entries; serverAuth extended key usage.
// Throws std::runtime_error on an empty list, an unusable CA or an OpenSSL failure.
PemCredentials issue_server_cert(PemCredentials const& ca, std::vector<std::string> const& names);

// Writes `text` to `path` (replacing it) with mode 0600 when `secret`. Throws std::runtime_error.
void write_pem_file(std::filesystem::path const& path, std::string_view text, bool secret = false);
// Reads a whole PEM file. Throws std::runtime_error.
std::string read_pem_file(std::filesystem::path const& path);

} // namespace evobatch::sim
