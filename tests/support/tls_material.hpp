#pragma once
// TLS material made at test time (never committed): a self-signed ECDSA P-256
// certificate for localhost, and unrelated keys for the key-mismatch test.

#include <filesystem>
#include <string_view>

namespace onymous::test {

/// A certificate and its private key, as PEM files.
struct tls_files {
    std::filesystem::path certificate;
    std::filesystem::path private_key;
};

/// Writes `<stem>.crt.pem` and `<stem>.key.pem` into `dir`: a self-signed
/// ECDSA P-256 certificate for CN=localhost (SAN DNS:localhost, IP:127.0.0.1),
/// valid from an hour ago for a day. Throws std::runtime_error on failure.
tls_files make_self_signed(const std::filesystem::path& dir, std::string_view stem = "server");

/// Writes a fresh ECDSA P-256 private key (PEM) to `path`.
void make_private_key(const std::filesystem::path& path);

/// Material made once per test process, shared by every daemon the tests start.
const tls_files& shared_tls();

}  // namespace onymous::test
