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

// The BIO reaches the Asio socket, not a descriptor: once the socket is
// closed (an abort), a late OpenSSL call must fail rather than reach a
// descriptor number that another connection may have by now. A move of
// basic_stream moves the socket too, so a move of tls_socket re-points it.
struct tls_socket::bio_state {
    asio::ip::tcp::socket* socket = nullptr;
    /// The last recv() returned less than asked: the socket had nothing
    /// more. The next read says "retry" without a system call, and the
    /// stream then waits for readiness, which epoll re-evaluates when the
    /// wait is registered, so data that came in between is not missed.
    /// That is Asio's epoll reactor (epoll_reactor.ipp, start_op: a wait
    /// with no other read queued is an EPOLL_CTL_MOD), not a documented
    /// promise: re-check it when Boost is upgraded.
    bool drained = false;
};

namespace {

using bio_state = tls_socket::bio_state;

bio_state& state_of(BIO* bio) { return *static_cast<bio_state*>(BIO_get_data(bio)); }

int socket_write(BIO* bio, const char* data, int size) {
    BIO_clear_retry_flags(bio);
    auto& socket = *state_of(bio).socket;
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
    bio_state& state = state_of(bio);
    if (!state.socket->is_open()) {
        errno = EBADF;
        return -1;
    }
    if (state.drained) {
        state.drained = false;
        BIO_set_retry_read(bio);
        errno = EAGAIN;
        return -1;
    }
    const ssize_t got =
        ::recv(state.socket->native_handle(), data, static_cast<std::size_t>(size), 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        BIO_set_retry_read(bio);
    state.drained = got > 0 && got < size;
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
    : next_(std::move(socket)), bio_(std::make_unique<bio_state>()) {
    // OpenSSL's own blocking is never wanted: every call must return at once.
    next_.non_blocking(true);
    bio_->socket = &next_;
    ssl_ = SSL_new(context.native_handle());
    BIO* bio = ssl_ ? BIO_new(socket_method()) : nullptr;
    if (bio == nullptr) {
        SSL_free(ssl_);
        throw std::runtime_error("cannot create a TLS connection");
    }
    BIO_set_data(bio, bio_.get());
    SSL_set_bio(ssl_, bio, bio);
    // Read what the socket has, not a record header and then its body: one
    // recv() per burst instead of two per record.
    SSL_set_read_ahead(ssl_, 1);
    // Beast may hand a retried write a buffer at another address; a write
    // sends what fits in records and reports it, as write_some should.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_set_accept_state(ssl_);
}

tls_socket::tls_socket(tls_socket&& other) noexcept
    : next_(std::move(other.next_)),
      bio_(std::move(other.bio_)),
      ssl_(std::exchange(other.ssl_, nullptr)) {
    if (bio_) bio_->socket = &next_;
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
        // A failure with an empty error queue (an SSL_ERROR_WANT_* of a
        // callback this server never installs) must still be a failure,
        // never "done, 0 bytes", which would read as success.
        const auto code = ERR_get_error();
        ERR_clear_error();
        if (code == 0)
            return tls_step{tls_step::status::done, 0, asio::ssl::error::unspecified_system_error};
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
