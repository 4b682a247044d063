#include "redis/client.hpp"
#include "redis/link.hpp"

#include <utility>

namespace onymous::redis {

namespace asio = boost::asio;

/// The Pub/Sub side of a link: one SUBSCRIBE for every channel once Redis
/// answered, its confirmations (one per channel) due within command_timeout,
/// then messages. Nothing else is sent on it.
class subscriber::impl final : public detail::link {
public:
    impl(asio::io_context& io, endpoint where, std::vector<std::string> channels, options opts,
         subscriber* owner)
        : link(io, std::move(where), opts, "pubsub"),
          channels_(std::move(channels)),
          owner_(owner) {}

    bool subscribed() const { return ready() && subscribed_; }
    void restart() { reconnect_now("the subscription was restarted"); }

    void drop_owner() {
        owner_ = nullptr;
        detach();
    }

private:
    void on_ready() override {
        confirmed_ = 0;
        subscribed_ = false;
        if (channels_.empty()) {
            confirm();
            return;
        }
        std::vector<std::string> argv;
        argv.reserve(channels_.size() + 1);
        argv.emplace_back("SUBSCRIBE");
        argv.insert(argv.end(), channels_.begin(), channels_.end());
        send(argv);
        watch(clock::now() + opts().command_timeout);
    }

    void on_reply(reply answer) override {
        // Pushes are arrays: ["message", channel, payload], ["subscribe", channel, count].
        if (answer.type == reply::kind::array && answer.elements.size() == 3 &&
            answer.elements[0].type == reply::kind::string) {
            const std::string& kind = answer.elements[0].text;
            if (kind == "message") {
                if (owner_ != nullptr && owner_->on_message)
                    owner_->on_message(answer.elements[1].text, answer.elements[2].text);
            } else if (kind == "subscribe" && !subscribed_) {
                if (++confirmed_ == channels_.size()) confirm();
            }
            return;
        }
        if (answer.is_error()) {
            fail("SUBSCRIBE refused: " + answer.text);
            return;
        }
        fail("an unexpected reply on the Pub/Sub connection");
    }

    void on_deadline(clock::time_point) override {
        if (!subscribed_)
            fail("SUBSCRIBE not confirmed within command_timeout (" +
                 std::to_string(opts().command_timeout.count()) + " ms)");
    }

    void on_closed(bool stopped) override {
        const bool announced = subscribed_;
        subscribed_ = false;
        confirmed_ = 0;
        if (!stopped && announced) detail::notify(owner_, &subscriber::on_disconnected);
    }

    void confirm() {
        subscribed_ = true;
        unwatch();
        established();
        detail::notify(owner_, &subscriber::on_subscribed);
    }

    const std::vector<std::string> channels_;
    subscriber* owner_;
    std::size_t confirmed_ = 0;
    bool subscribed_ = false;
};

subscriber::subscriber(asio::io_context& io, endpoint where, std::vector<std::string> channels,
                       options opts)
    : impl_(std::make_shared<impl>(io, std::move(where), std::move(channels), opts, this)) {}

subscriber::~subscriber() { impl_->drop_owner(); }

void subscriber::start() { impl_->start(); }

void subscriber::stop() { impl_->stop(); }

bool subscriber::subscribed() const { return impl_->subscribed(); }

void subscriber::restart() { impl_->restart(); }

}  // namespace onymous::redis
