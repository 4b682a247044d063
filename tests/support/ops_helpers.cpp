#include "ops_helpers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <thread>

namespace onymous::test {

namespace {

struct x509_free_t {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct ssl_ctx_free_t {
    void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
struct ssl_free_t {
    void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct file_close_t {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
using x509_ptr = std::unique_ptr<X509, x509_free_t>;

x509_ptr read_certificate(const std::filesystem::path& pem) {
    std::unique_ptr<std::FILE, file_close_t> file(std::fopen(pem.c_str(), "rb"));
    if (!file) throw std::runtime_error("cannot open " + pem.string());
    x509_ptr cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr));
    if (!cert) throw std::runtime_error("no certificate in " + pem.string());
    return cert;
}

std::string fingerprint_of(X509* cert) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (X509_digest(cert, EVP_sha256(), digest, &size) != 1)
        throw std::runtime_error("X509_digest failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 0xF];
    }
    return out;
}

std::string openssl_error() {
    const unsigned long code = ERR_get_error();
    if (code == 0) return "unknown error";
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

/// A blocking TCP socket to 127.0.0.1:port with send/receive timeouts.
class tcp_socket {
public:
    tcp_socket(std::uint16_t port, duration timeout) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0) return;
        timeval limit{};
        limit.tv_sec = static_cast<time_t>(timeout.count() / 1000);
        limit.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ =
            ::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    }
    ~tcp_socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    tcp_socket(const tcp_socket&) = delete;
    tcp_socket& operator=(const tcp_socket&) = delete;
    int get() const { return fd_; }
    bool connected() const { return connected_; }

private:
    int fd_ = -1;
    bool connected_ = false;
};

}  // namespace

prometheus_exposition scrape(const daemon_process& daemon) {
    const auto response = http_exchange(daemon.admin_port(), false, get_request("/metrics"), 5s);
    INFO("GET /metrics: " << response.status
                          << ", Content-Type: " << response.header("content-type") << "\n"
                          << response.body);
    REQUIRE(response.status == 200);
    const auto type = response.header("content-type");
    REQUIRE(type.rfind("text/plain", 0) == 0);
    REQUIRE(type.find("version=0.0.4") != std::string::npos);
    try {
        return parse_prometheus_text(response.body);
    } catch (const prometheus_parse_error& error) {
        FAIL("/metrics is not valid Prometheus text: " << error.what());
    }
    return {};
}

prometheus_exposition wait_for_sample(const daemon_process& daemon, std::string_view name,
                                      const label_set& labels, double value, duration timeout,
                                      bool absent_is_zero) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<double> seen;
    std::string transport_error;
    for (;;) {
        // A poll whose connection failed is polled again, as a scraper
        // would: once in a fresh clone's CI run (of many thousands of polls)
        // a connection to the admin endpoint was reset during a reload test,
        // cause not found. A wrong answer still fails at once (scrape()).
        std::optional<prometheus_exposition> exposition;
        try {
            exposition = scrape(daemon);
        } catch (const std::runtime_error& e) {
            transport_error = e.what();
        }
        if (exposition) {
            seen = exposition->value(name, labels);
            if (!seen && absent_is_zero) seen = 0.0;
            if (seen && *seen == value) return std::move(*exposition);
        }
        if (std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(20ms);  // a poll step: /metrics has no push interface
    }
    INFO("last transport error: " << (transport_error.empty() ? "(none)" : transport_error));
    // A refused connection usually means the daemon is gone (a sanitizer
    // report ends it): its stderr says why.
    const auto log = daemon.log();
    constexpr std::size_t shown_log_bytes = 8000;
    INFO("the daemon's stderr, last "
         << shown_log_bytes << " bytes:\n"
         << (log.size() > shown_log_bytes ? log.substr(log.size() - shown_log_bytes) : log));
    std::string shown = std::string(name) + "{";
    for (const auto& [label, text] : labels) shown += label + "=\"" + text + "\",";
    shown += "}";
    FAIL("metric " << shown << " did not reach " << value << " within " << timeout.count()
                   << " ms; last seen: "
                   << (seen ? std::to_string(*seen) : std::string("(absent)")));
    return {};
}

std::size_t wait_for_log(const daemon_process& daemon, std::string_view text, std::size_t from,
                         duration timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto log = daemon.log();
        const auto found = from <= log.size() ? log.find(text, from) : std::string::npos;
        if (found != std::string::npos) return found;
        if (std::chrono::steady_clock::now() >= deadline) {
            FAIL("the daemon did not log \"" << text << "\" within " << timeout.count()
                                             << " ms; stderr from byte " << from << ":\n"
                                             << (from <= log.size() ? log.substr(from) : log));
        }
        std::this_thread::sleep_for(10ms);  // a poll step: the log is a file
    }
}

std::size_t count_occurrences(std::string_view haystack, std::string_view text) {
    std::size_t count = 0;
    for (auto at = haystack.find(text); at != std::string_view::npos;
         at = haystack.find(text, at + text.size()))
        ++count;
    return count;
}

tls_peer_result tls_peer(std::uint16_t port, const std::filesystem::path& trust, duration timeout) {
    tls_peer_result result;
    std::unique_ptr<SSL_CTX, ssl_ctx_free_t> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) {
        result.error = "SSL_CTX_new: " + openssl_error();
        return result;
    }
    // Verification is checked after the handshake, so that an unexpected
    // certificate is still seen (and its fingerprint reported).
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
    if (!trust.empty() && SSL_CTX_load_verify_locations(ctx.get(), trust.c_str(), nullptr) != 1) {
        result.error = "cannot load " + trust.string() + ": " + openssl_error();
        return result;
    }
    tcp_socket socket(port, timeout);
    if (!socket.connected()) {
        result.error = "connect failed";
        return result;
    }
    std::unique_ptr<SSL, ssl_free_t> ssl(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), socket.get());
    SSL_set_tlsext_host_name(ssl.get(), "localhost");
    SSL_set1_host(ssl.get(), "localhost");
    if (SSL_connect(ssl.get()) != 1) {
        result.error = "TLS handshake: " + openssl_error();
        return result;
    }
    result.handshake = true;
    x509_ptr served(SSL_get1_peer_certificate(ssl.get()));
    if (!served) {
        result.error = "no certificate served";
        return result;
    }
    result.fingerprint = fingerprint_of(served.get());
    result.verified = !trust.empty() && SSL_get_verify_result(ssl.get()) == X509_V_OK;

    const std::string request = upgrade_request("/ws", {"Sec-WebSocket-Protocol: onymous.v1"});
    if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) <= 0) {
        result.error = "write: " + openssl_error();
        return result;
    }
    std::string response;
    char buffer[2048];
    while (response.find("\r\n\r\n") == std::string::npos && response.size() < 65536) {
        const int got = SSL_read(ssl.get(), buffer, sizeof buffer);
        if (got <= 0) break;
        response.append(buffer, static_cast<std::size_t>(got));
    }
    // "HTTP/1.1 101 Switching Protocols"
    if (response.rfind("HTTP/1.1 ", 0) == 0 && response.size() >= 12)
        result.upgrade_status = std::stoi(response.substr(9, 3));
    else
        result.error = "no HTTP response to the upgrade: \"" + response + "\"";
    SSL_shutdown(ssl.get());
    return result;
}

std::string certificate_fingerprint(const std::filesystem::path& pem) {
    return fingerprint_of(read_certificate(pem).get());
}

std::chrono::system_clock::time_point certificate_not_after(const std::filesystem::path& pem) {
    const auto cert = read_certificate(pem);
    std::tm when{};
    if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &when) != 1)
        throw std::runtime_error("cannot read notAfter of " + pem.string());
    return std::chrono::system_clock::from_time_t(::timegm(&when));
}

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace onymous::test
