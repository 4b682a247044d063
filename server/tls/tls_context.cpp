#include "tls/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <stdexcept>
#include <string>

namespace onymous::tls {

namespace ssl = boost::asio::ssl;

namespace {

/// TLS 1.2 suites: forward secret (ECDHE) and authenticated encryption
/// (GCM, ChaCha20-Poly1305) only. TLS 1.3 suites are all AEAD already.
constexpr const char* tls12_ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_reason() {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) return "unknown OpenSSL error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

}  // namespace

std::unique_ptr<ssl::context> make_server_context(const config::tls_settings& tls) {
    auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();

    const int min_version = tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(native, min_version);
    SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                    SSL_OP_CIPHER_SERVER_PREFERENCE);
    if (SSL_CTX_set_cipher_list(native, tls12_ciphers) != 1)
        throw std::runtime_error("tls: cannot set the cipher list: " + openssl_reason());
    // Idle connections are most of a signaling server's connections:
    // releasing OpenSSL's buffers between records saves ~30 KB each.
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
    // No server-side session cache: it would outlive the sessions. And no
    // TLS 1.3 tickets either: without the cache they could never resume
    // anything, a resumption would link a visitor's connections, and two
    // tickets per handshake were CPU for nothing (docs/performance.md).
    SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(native, 0);

    if (SSL_CTX_use_certificate_chain_file(native, tls.certificate.c_str()) != 1)
        throw std::runtime_error("tls.certificate: cannot load " + tls.certificate + ": " +
                                 openssl_reason());
    if (SSL_CTX_use_PrivateKey_file(native, tls.private_key.c_str(), SSL_FILETYPE_PEM) != 1) {
        // OpenSSL checks the pair as it loads the key.
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            throw std::runtime_error("tls.private_key: " + tls.private_key +
                                     " does not match the certificate " + tls.certificate);
        }
        throw std::runtime_error("tls.private_key: cannot load " + tls.private_key + ": " +
                                 openssl_reason());
    }
    if (SSL_CTX_check_private_key(native) != 1)
        throw std::runtime_error("tls.private_key: " + tls.private_key +
                                 " does not match the certificate " + tls.certificate);
    return context;
}

std::int64_t certificate_not_after(boost::asio::ssl::context& context) {
    X509* certificate = SSL_CTX_get0_certificate(context.native_handle());
    if (certificate == nullptr) return 0;
    // Days and seconds from the epoch to notAfter: no time_t conversions of
    // ASN1 strings by hand.
    ASN1_TIME* epoch = ASN1_TIME_set(nullptr, 0);
    int days = 0;
    int seconds = 0;
    const int ok = ASN1_TIME_diff(&days, &seconds, epoch, X509_get0_notAfter(certificate));
    ASN1_TIME_free(epoch);
    if (ok != 1) return 0;
    return static_cast<std::int64_t>(days) * 86400 + seconds;
}

}  // namespace onymous::tls
