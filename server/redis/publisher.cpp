#include "redis/client.hpp"
#include "redis/link.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace onymous::redis {

namespace asio = boost::asio;

/// The publishing side of a link: CLIENT REPLY OFF once Redis answered the
/// handshake, then PUBLISH commands only, none of them answered.
class publisher::impl final : public detail::link {
public:
    impl(asio::io_context& io, endpoint where, options opts, publisher* owner)
        : link(io, std::move(where), opts, "publish"), owner_(owner) {}

    /// The publisher is being destroyed: nothing of it is called again.
    void drop_owner() {
        owner_ = nullptr;
        detach();
    }

    bool publish(std::string channel, std::string payload) {
        if (!ready()) return false;
        if (unsent_bytes() > max_unsent_bytes) {
            fail("Redis does not read what is published (" + std::to_string(unsent_bytes()) +
                 " bytes unsent)");
            return false;
        }
        argv_.resize(3);
        argv_[0] = "PUBLISH";
        argv_[1] = std::move(channel);
        argv_[2] = std::move(payload);
        send(argv_);
        return true;
    }

    bool flushed() const { return unsent_bytes() == 0; }
    void restart() { reconnect_now("the publisher was restarted"); }

private:
    void on_ready() override {
        // OFF itself is not answered either.
        send({"CLIENT", "REPLY", "OFF"});
        replies_on_ = false;
        refusal_logged_ = false;
        established();
        detail::notify(owner_, &publisher::on_connected);
    }

    void on_reply(reply answer) override {
        // A reply comes only when OFF was refused (an ACL without CLIENT,
        // as `+@all -@dangerous` is on Redis 6, or a renamed command). The
        // connection still publishes; its answers are read and dropped.
        // Failing it instead would reconnect for ever.
        if (!replies_on_) {
            replies_on_ = true;
            spdlog::warn(
                "redis publish: CLIENT REPLY OFF refused ({}); replies are read and "
                "dropped",
                answer.is_error() ? answer.text : std::string("it was answered"));
            return;
        }
        if (answer.is_error() && !refusal_logged_) {
            refusal_logged_ = true;  // once per connection: every message would repeat it
            spdlog::warn("redis publish: PUBLISH refused: {}", answer.text);
        }
    }

    void on_closed(bool stopped) override {
        if (!stopped) detail::notify(owner_, &publisher::on_disconnected);
    }
    void on_deadline(clock::time_point) override {}

    publisher* owner_;
    bool replies_on_ = false;        ///< OFF was refused on this connection
    bool refusal_logged_ = false;    ///< a refused PUBLISH was logged on this connection
    std::vector<std::string> argv_;  ///< reused: PUBLISH's three arguments
};

publisher::publisher(asio::io_context& io, endpoint where, options opts)
    : impl_(std::make_shared<impl>(io, std::move(where), opts, this)) {}

publisher::~publisher() { impl_->drop_owner(); }

void publisher::start() { impl_->start(); }

void publisher::stop() { impl_->stop(); }

bool publisher::publish(std::string channel, std::string payload) {
    return impl_->publish(std::move(channel), std::move(payload));
}

void publisher::restart() { impl_->restart(); }

bool publisher::connected() const { return impl_->ready(); }

bool publisher::flushed() const { return impl_->flushed(); }

}  // namespace onymous::redis
