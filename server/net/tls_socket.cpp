#include "net/tls_socket.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <sys/socket.h>

#include <cerrno>
#include <mutex>
#include <stdexcept>
#include <utility>

namespace onymous::net {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// The BIO's data is the Asio socket, not its descriptor: once the socket is
// closed (an abort), a late OpenSSL call must fail rather than reach a
// descriptor number that another connection may have by now. A move of
// basic_stream moves the socket too, so a move of tls_socket re-points it.
asio::ip::tcp::socket& socket_of(BIO* bio) {
    return *static_cast<asio::ip::tcp::socket*>(BIO_get_data(bio));
}

int socket_write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    auto& socket = socket_of(bio);
    if (!socket.is_open()) {
        errno = EBADF;
        return -1;
    }
    // MSG_NOSIGNAL: a peer that went away is an error here, not SIGPIPE.
    const ssize_t sent =
        ::send(socket.native_handle(), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_write(bio);
    return static_cast<int>(sent);
}

int socket_read(BIO* bio, char* data, int size) {
    BIO_clear_retry_flags(bio);
    auto& socket = socket_of(bio);
    if (!socket.is_open()) {
        errno = EBADF;
        return -1;
    }
    const ssize_t got = ::recv(socket.native_handle(), data, static_cast<std::size_t>(size), 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(bio);
    return static_cast<int>(got);
}

long socket_ctrl(BIO*, int command, long, void*) {
    // OpenSSL flushes after handshake flights; every write went out already.
    return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int socket_create(BIO* bio) {
    BIO_set_init(bio, 1);
    return 1;
}

BIO_METHOD* socket_method() {
    static BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "onymous socket");
        if (m == nullptr || !BIO_meth_set_write(m, socket_write) ||
            !BIO_meth_set_read(m, socket_read) || !BIO_meth_set_ctrl(m, socket_ctrl) ||
            !BIO_meth_set_create(m, socket_create))
            throw std::runtime_error("cannot create the TLS socket BIO");
        return m;
    }();
    return method;
}

}  // namespace

tls_socket::tls_socket(asio::ip::tcp::socket&& socket, asio::ssl::context& context)
    : next_(std::move(socket)) {
    // OpenSSL's own blocking is never wanted: every call must return at once.
    next_.socket().non_blocking(true);
    ssl_ = SSL_new(context.native_handle());
    BIO* bio = ssl_ ? BIO_new(socket_method()) : nullptr;
    if (bio == nullptr) {
        SSL_free(ssl_);
        throw std::runtime_error("cannot create a TLS connection");
    }
    BIO_set_data(bio, &next_.socket());
    SSL_set_bio(ssl_, bio, bio);
    // Beast may hand a retried write a buffer at another address; a write
    // sends what fits in records and reports it, as write_some should.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_accept_state(ssl_);
}

tls_socket::tls_socket(tls_socket&& other) noexcept
    : next_(std::move(other.next_)), ssl_(std::exchange(other.ssl_, nullptr)) {
    if (ssl_ != nullptr) BIO_set_data(SSL_get_rbio(ssl_), &next_.socket());
}

tls_socket::~tls_socket() { SSL_free(ssl_); }

tls_step tls_socket::classify(int result, std::size_t bytes) {
    if (result > 0) return tls_step{tls_step::status::done, bytes, {}};
    const int error = SSL_get_error(ssl_, result);
    switch (error) {
    case SSL_ERROR_WANT_READ: return tls_step{tls_step::status::want_read, 0, {}};
    case SSL_ERROR_WANT_WRITE: return tls_step{tls_step::status::want_write, 0, {}};
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
        return tls_step{tls_step::status::done, 0, asio::error::eof};
    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0) {
            // End of stream without close_notify, or the socket's own error.
            const int saved = errno;
            if (saved == 0)
                return tls_step{tls_step::status::done, 0, asio::ssl::error::stream_truncated};
            return tls_step{tls_step::status::done, 0,
                            error_code(saved, asio::error::get_system_category())};
        }
        [[fallthrough]];
    default: {
        const auto code = ERR_get_error();
        ERR_clear_error();
        return tls_step{tls_step::status::done, 0,
                        error_code(static_cast<int>(code), asio::error::get_ssl_category())};
    }
    }
}

tls_step tls_socket::try_handshake() {
    ERR_clear_error();
    errno = 0;
    return classify(SSL_do_handshake(ssl_), 0);
}

tls_step tls_socket::try_read(asio::mutable_buffer buffer) {
    if (buffer.size() == 0) return tls_step{};
    ERR_clear_error();
    errno = 0;
    std::size_t got = 0;
    const int result = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &got);
    return classify(result, got);
}

tls_step tls_socket::try_write(asio::const_buffer buffer) {
    if (buffer.size() == 0) return tls_step{};
    ERR_clear_error();
    errno = 0;
    std::size_t sent = 0;
    const int result = SSL_write_ex(ssl_, buffer.data(), buffer.size(), &sent);
    return classify(result, sent);
}

tls_step tls_socket::try_shutdown() {
    ERR_clear_error();
    errno = 0;
    int result = SSL_shutdown(ssl_);
    // 0: our close_notify is out; like Asio, wait for the peer's.
    if (result == 0) result = SSL_shutdown(ssl_);
    return classify(result, 0);
}

}  // namespace onymous::net
