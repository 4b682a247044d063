#include "tls_floor.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <time.h>

#include <cstdint>
#include <memory>

namespace onymous::bench {

namespace {

struct ctx_free {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct ssl_free {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using ctx_ptr = std::unique_ptr<SSL_CTX, ctx_free>;
using ssl_ptr = std::unique_ptr<SSL, ssl_free>;

std::uint64_t thread_cpu_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return static_cast<std::uint64_t>(now.tv_sec) * 1'000'000'000u +
           static_cast<std::uint64_t>(now.tv_nsec);
}

std::string openssl_error(const char* what) {
    char text[256] = "unknown";
    if (const unsigned long code = ERR_get_error(); code != 0)
        ERR_error_string_n(code, text, sizeof text);
    ERR_clear_error();
    return std::string(what) + ": " + text;
}

/// One step of one side: true when its handshake is complete; sets `error`
/// on anything but "wants more input or output".
bool step(SSL* ssl, std::uint64_t& cpu_ns, std::string& error) {
    const std::uint64_t before = thread_cpu_ns();
    const int result = SSL_do_handshake(ssl);
    cpu_ns += thread_cpu_ns() - before;
    if (result == 1) return true;
    const int reason = SSL_get_error(ssl, result);
    if (reason != SSL_ERROR_WANT_READ && reason != SSL_ERROR_WANT_WRITE)
        error = openssl_error("SSL_do_handshake");
    return false;
}

}  // namespace

tls_floor measure_tls_floor(const std::string& cert_file, const std::string& key_file,
                            std::size_t iterations) {
    tls_floor result;
    ctx_ptr server(SSL_CTX_new(TLS_server_method()));
    ctx_ptr client(SSL_CTX_new(TLS_client_method()));
    if (!server || !client) {
        result.error = openssl_error("SSL_CTX_new");
        return result;
    }
    SSL_CTX_set_min_proto_version(server.get(), TLS1_3_VERSION);
    SSL_CTX_set_options(server.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                                          SSL_OP_NO_TICKET | SSL_OP_CIPHER_SERVER_PREFERENCE);
    SSL_CTX_set_mode(server.get(), SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(server.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(server.get(), 0);
    if (SSL_CTX_use_certificate_chain_file(server.get(), cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(server.get(), key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        result.error = openssl_error("loading the certificate and key");
        return result;
    }
    SSL_CTX_set_min_proto_version(client.get(), TLS1_3_VERSION);
    SSL_CTX_set_verify(client.get(), SSL_VERIFY_NONE, nullptr);
    SSL_CTX_set_session_cache_mode(client.get(), SSL_SESS_CACHE_OFF);

    constexpr std::size_t warm_up = 20;
    for (std::size_t i = 0; i < warm_up + iterations; ++i) {
        ssl_ptr s(SSL_new(server.get()));
        ssl_ptr c(SSL_new(client.get()));
        BIO* server_bio = nullptr;
        BIO* client_bio = nullptr;
        if (!s || !c || BIO_new_bio_pair(&server_bio, 0, &client_bio, 0) != 1) {
            result.error = openssl_error("SSL_new or BIO_new_bio_pair");
            return result;
        }
        SSL_set_bio(s.get(), server_bio, server_bio);  // each SSL owns its end
        SSL_set_bio(c.get(), client_bio, client_bio);
        SSL_set_accept_state(s.get());
        SSL_set_connect_state(c.get());
        std::uint64_t server_ns = 0;
        std::uint64_t client_ns = 0;
        bool server_done = false;
        bool client_done = false;
        // TLS 1.3 needs two flights each way; ten rounds is a stuck handshake.
        for (int round = 0; round < 10 && !(server_done && client_done); ++round) {
            if (!client_done) client_done = step(c.get(), client_ns, result.error);
            if (!server_done) server_done = step(s.get(), server_ns, result.error);
            if (!result.error.empty()) return result;
        }
        if (!(server_done && client_done)) {
            result.error = "the handshake did not complete";
            return result;
        }
        if (SSL_version(s.get()) != TLS1_3_VERSION) {
            result.error = "not TLS 1.3";
            return result;
        }
        if (i < warm_up) continue;
        result.server_cpu.record(server_ns);
        result.client_cpu.record(client_ns);
    }
    return result;
}

}  // namespace onymous::bench
