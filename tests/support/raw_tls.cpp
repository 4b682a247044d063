#include "raw_tls.hpp"

#include <openssl/bio.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace onymous::test {

namespace {

/// A real ClientHello, as OpenSSL writes it, taken from a memory BIO.
std::string client_hello() {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                          SSL_CTX_free);
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl.get(), in, out);  // the SSL owns both
    SSL_set_tlsext_host_name(ssl.get(), "localhost");
    SSL_connect(ssl.get());  // wants to read: the hello is written
    char* data = nullptr;
    const long size = BIO_get_mem_data(out, &data);
    if (size <= 0) throw std::runtime_error("OpenSSL wrote no ClientHello");
    return std::string(data, static_cast<std::size_t>(size));
}

struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

void send_all(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;  // refused under our feet: reading says how
        sent += static_cast<std::size_t>(n);
    }
}

}  // namespace

client_hello_answer answer_to_client_hello(std::uint16_t port, const link_options& link,
                                           duration timeout) {
    client_hello_answer answer;
    fd_guard sock{::socket(AF_INET, SOCK_STREAM, 0)};
    if (sock.fd < 0) throw std::runtime_error("socket() failed");
    if (!link.source_address.empty()) {
        sockaddr_in source{};
        source.sin_family = AF_INET;
        ::inet_pton(AF_INET, link.source_address.c_str(), &source.sin_addr);
        if (::bind(sock.fd, reinterpret_cast<sockaddr*>(&source), sizeof source) != 0)
            throw std::runtime_error("cannot bind to " + link.source_address);
    }
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &server.sin_addr);
    if (::connect(sock.fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) return answer;
    answer.connected = true;
    send_all(sock.fd, link.prelude + client_hello());

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<char> buffer(16384);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return answer;
        pollfd p{sock.fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return answer;
        const auto n = ::recv(sock.fd, buffer.data(), buffer.size(), 0);
        if (n > 0) {
            answer.bytes += static_cast<std::size_t>(n);
            return answer;  // a ServerHello (or an alert): the server spoke
        }
        if (n == 0 || errno == ECONNRESET) {
            answer.closed = true;
            return answer;
        }
        if (errno != EINTR && errno != EAGAIN) return answer;
    }
}

}  // namespace onymous::test
