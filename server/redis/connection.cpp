#include "redis/client.hpp"
#include "redis/link.hpp"

#include <boost/asio/post.hpp>

#include <deque>
#include <utility>

namespace onymous::redis {

namespace asio = boost::asio;

/// The command side of a link: one handler per command sent, answered in
/// order (Redis answers a connection's commands in the order it read them),
/// each with its deadline. The deadlines grow in the order sent, so the
/// oldest pending command's is the next one due.
class connection::impl final : public detail::link {
public:
    impl(asio::io_context& io, endpoint where, options opts, connection* owner)
        : link(io, std::move(where), opts, "commands"), owner_(owner) {}

    void command(std::vector<std::string> argv, reply_handler handler) {
        if (!ready() || argv.empty()) {
            asio::post(io(), [self = shared_from_this(), handler = std::move(handler)] {
                if (!self->detached() && handler) handler(std::nullopt);
            });
            return;
        }
        pending_.push_back({std::move(handler), clock::now() + opts().command_timeout});
        try {
            send(argv);
        } catch (...) {
            pending_.pop_back();
            throw;
        }
        watch(pending_.front().deadline);
    }

    std::size_t pending() const { return pending_.size(); }

    /// The connection is being destroyed: its handlers are destroyed uncalled.
    void drop_owner() {
        owner_ = nullptr;
        detach();
        const auto dropped = std::move(pending_);
        pending_.clear();
    }

private:
    struct pending_command {
        reply_handler handler;
        clock::time_point deadline;
    };

    void on_ready() override {
        established();
        detail::notify(owner_, &connection::on_connected);
    }

    void on_reply(reply answer) override {
        if (pending_.empty()) {
            fail("a reply to no command");
            return;
        }
        reply_handler handler = std::move(pending_.front().handler);
        pending_.pop_front();
        if (handler) handler(std::move(answer));
    }

    void on_deadline(clock::time_point now) override {
        if (pending_.empty()) return;
        if (pending_.front().deadline <= now) {
            // Its reply may still come, but after it every reply would go to the wrong handler.
            fail("no reply within command_timeout (" +
                 std::to_string(opts().command_timeout.count()) + " ms)");
            return;
        }
        watch(pending_.front().deadline);
    }

    void on_closed(bool stopped) override {
        auto failed = std::move(pending_);
        pending_.clear();
        for (pending_command& command : failed) {
            if (detached()) return;  // a handler destroyed the connection
            if (command.handler) command.handler(std::nullopt);
        }
        if (!stopped) detail::notify(owner_, &connection::on_disconnected);
    }

    connection* owner_;
    std::deque<pending_command> pending_;
};

connection::connection(asio::io_context& io, endpoint where, options opts)
    : impl_(std::make_shared<impl>(io, std::move(where), opts, this)) {}

connection::~connection() { impl_->drop_owner(); }

void connection::start() { impl_->start(); }

void connection::stop() { impl_->stop(); }

void connection::command(std::vector<std::string> argv, reply_handler handler) {
    impl_->command(std::move(argv), std::move(handler));
}

bool connection::connected() const { return impl_->ready(); }

std::size_t connection::pending() const { return impl_->pending(); }

}  // namespace onymous::redis
