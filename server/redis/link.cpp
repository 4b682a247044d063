#include "redis/link.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace onymous::redis::detail {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

/// One read takes at most this much; a larger reply takes several reads.
constexpr std::size_t read_buffer_bytes = 16 * 1024;
/// A write buffer that grew past this for one large command is freed after it.
constexpr std::size_t kept_buffer_bytes = 64 * 1024;

}  // namespace

link::link(asio::io_context& io, endpoint where, options opts, std::string_view role)
    : io_(io),
      where_(std::move(where)),
      opts_(opts),
      role_(role),
      socket_(io),
      resolver_(io),
      deadline_(io),
      retry_(io),
      read_buffer_(read_buffer_bytes),
      backoff_(opts.backoff_min, opts.backoff_max),
      random_(std::random_device{}()) {}

link::~link() = default;

void link::start() {
    if (state_ != state::idle || detached_) return;
    backoff_.reset();
    last_logged_.clear();
    connect();
}

void link::stop() {
    if (state_ == state::idle) return;
    const bool was_ready = state_ == state::ready;
    close();
    if (was_ready) on_closed(true);
}

void link::detach() {
    detached_ = true;
    close();
}

void link::connect() {
    ++generation_;
    state_ = state::resolving;
    watch(clock::now() + opts_.connect_timeout);
    try {
        if (!where_.unix_path.empty()) {
            connect_to({asio::local::stream_protocol::endpoint(where_.unix_path)});
            return;
        }
        // A literal needs no resolver (whose getaddrinfo runs on a thread of Asio's).
        error_code ec;
        const auto address = asio::ip::make_address(where_.host, ec);
        if (!ec) {
            connect_to({tcp::endpoint(address, where_.port)});
            return;
        }
    } catch (const std::exception& e) {  // an endpoint Asio cannot represent
        // Failing here would run a subclass's callback inside start(): post it.
        asio::post(io_, [self = shared_from_this(), generation = generation_,
                         reason = std::string(e.what())] {
            if (generation == self->generation_) self->fail(reason);
        });
        return;
    }
    resolver_.async_resolve(
        where_.host, std::to_string(where_.port),
        [self = shared_from_this(), generation = generation_](
            error_code ec, const tcp::resolver::results_type& results) {
            if (generation != self->generation_) return;
            if (ec) {
                self->fail("cannot resolve " + self->where_.host + ": " + ec.message());
                return;
            }
            std::vector<generic_endpoint> endpoints;
            for (const auto& entry : results) endpoints.emplace_back(entry.endpoint());
            self->connect_to(std::move(endpoints));
        });
}

void link::connect_to(std::vector<generic_endpoint> endpoints) {
    state_ = state::connecting;
    // Each address in turn (the socket is opened for each one's protocol).
    asio::async_connect(socket_, endpoints,
                        [self = shared_from_this(), generation = generation_](
                            error_code ec, const generic_endpoint&) {
                            if (generation != self->generation_) return;
                            if (ec) {
                                self->fail(ec.message());
                                return;
                            }
                            self->handshake();
                        });
}

void link::handshake() {
    if (where_.unix_path.empty()) {
        // Commands are small and each waits for its reply: no Nagle delay.
        error_code ignored;
        socket_.set_option(tcp::no_delay(true), ignored);
        socket_.set_option(asio::socket_base::keep_alive(true), ignored);
    }
    reader_.reset();
    state_ = state::handshaking;
    read();
    // AUTH, then PING: its answer proves that Redis runs (a stopped one's
    // kernel still accepts connections) and has its data (else -LOADING,
    // which AUTH does not say).
    handshake_replies_ = 1;
    if (!where_.password.empty()) {
        ++handshake_replies_;
        if (where_.username.empty()) {
            append_command(queued_, {"AUTH", where_.password});
        } else {
            append_command(queued_, {"AUTH", where_.username, where_.password});
        }
    }
    append_command(queued_, {"PING"});
    write();
}

void link::handshake_answered(const reply& answer) {
    if (answer.is_error()) {
        // Redis's text ("WRONGPASS ...", "NOAUTH ...", "LOADING ...") never repeats the password.
        const bool auth = handshake_replies_ == 2;
        fail((auth ? "AUTH refused: " : "PING refused: ") + answer.text);
        return;
    }
    if (--handshake_replies_ > 0) return;
    unwatch();
    state_ = state::ready;
    on_ready();
}

void link::established() {
    if (established_ || state_ != state::ready) return;
    established_ = true;
    backoff_.reset();
    last_logged_.clear();
    spdlog::info("redis {}: connected to {}", role_, describe(where_));
}

void link::send(const std::vector<std::string>& argv) {
    append_command(queued_, argv);
    if (!writing_) write();
}

void link::write() {
    writing_ = true;
    outgoing_.swap(queued_);  // queued_ is now the empty buffer of the previous write
    asio::async_write(
        socket_, asio::buffer(outgoing_),
        [self = shared_from_this(), generation = generation_](error_code ec, std::size_t) {
            if (generation != self->generation_) return;
            self->writing_ = false;
            self->outgoing_.clear();
            // A large command's buffer is not kept for the small ones.
            if (self->outgoing_.capacity() > kept_buffer_bytes) std::string().swap(self->outgoing_);
            if (ec) {
                self->fail("cannot write: " + ec.message());
                return;
            }
            if (!self->queued_.empty()) self->write();
        });
}

void link::read() {
    socket_.async_read_some(
        asio::buffer(read_buffer_),
        [self = shared_from_this(), generation = generation_](error_code ec, std::size_t bytes) {
            if (generation != self->generation_) return;
            if (ec == asio::error::eof) {
                self->fail("the server closed the connection");
                return;
            }
            if (ec) {
                self->fail(ec.message());
                return;
            }
            self->received(bytes, generation);
        });
}

void link::received(std::size_t bytes, std::uint64_t generation) {
    reader_.feed({read_buffer_.data(), bytes});
    while (generation == generation_) {
        std::optional<reply> answer = reader_.next();
        if (!answer) break;
        if (state_ == state::handshaking) {
            handshake_answered(*answer);
        } else {
            on_reply(std::move(*answer));
        }
    }
    if (generation != generation_) return;  // closed, stopped or restarted meanwhile
    if (reader_.failed()) {
        fail("protocol error: " + reader_.error());
        return;
    }
    read();
}

void link::watch(clock::time_point at) {
    // Armed earlier already: that firing checks what is due and re-arms.
    if (deadline_armed_ && deadline_at_ <= at) return;
    deadline_armed_ = true;
    deadline_at_ = at;
    deadline_.expires_at(at);
    deadline_.async_wait([self = shared_from_this(), serial = ++deadline_serial_](error_code) {
        if (serial != self->deadline_serial_) return;  // re-armed or disarmed since
        self->deadline_armed_ = false;
        self->deadline_passed();
    });
}

void link::unwatch() {
    if (!deadline_armed_) return;
    deadline_armed_ = false;
    ++deadline_serial_;
    deadline_.cancel();
}

void link::deadline_passed() {
    switch (state_) {
    case state::resolving:
    case state::connecting:
    case state::handshaking:
        fail("no answer within connect_timeout (" + std::to_string(opts_.connect_timeout.count()) +
             " ms)");
        break;
    case state::ready: on_deadline(clock::now()); break;
    case state::idle:
    case state::waiting: break;
    }
}

void link::close() {
    ++generation_;
    error_code ignored;
    socket_.close(ignored);  // the next async_connect opens it again
    resolver_.cancel();
    retry_.cancel();
    unwatch();
    writing_ = false;
    queued_.clear();
    outgoing_.clear();
    established_ = false;
    state_ = state::idle;
}

void link::fail(const std::string& reason) {
    if (state_ == state::idle || state_ == state::waiting) return;
    const bool was_ready = state_ == state::ready;
    const bool was_established = established_;
    close();
    log_failure(was_established, reason);
    schedule_retry();
    if (was_ready) on_closed(false);
}

void link::reconnect_now(std::string_view why) {
    if (state_ == state::idle) return;
    const bool was_ready = state_ == state::ready;
    close();
    spdlog::info("redis {}: reconnecting: {}", role_, why);
    connect();
    if (was_ready) on_closed(false);
}

void link::schedule_retry() {
    state_ = state::waiting;
    retry_.expires_after(backoff_.next(static_cast<std::uint32_t>(random_())));
    retry_.async_wait([self = shared_from_this(), generation = generation_](error_code ec) {
        if (ec || generation != self->generation_ || self->state_ != state::waiting) return;
        self->connect();
    });
}

void link::log_failure(bool was_established, const std::string& reason) {
    if (was_established) {
        spdlog::warn("redis {}: connection lost: {}; reconnecting", role_, reason);
    } else if (reason != last_logged_) {
        // Once per reason and episode: Redis may stay away for a while.
        spdlog::warn("redis {}: cannot connect: {}; retrying with backoff", role_, reason);
    } else {
        spdlog::debug("redis {}: cannot connect: {}", role_, reason);
        return;
    }
    last_logged_ = reason;
}

}  // namespace onymous::redis::detail
