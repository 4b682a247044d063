#include "net/worker.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <spdlog/spdlog.h>

#include <exception>
#include <vector>

namespace onymous::net {

namespace asio = boost::asio;

namespace {

/// session::timer promises that a cancelled callback never runs. Asio's
/// cancel() cannot keep that promise for a wait that has already expired:
/// its handler is queued with success and runs after the cancel. So every
/// start and cancel moves a generation, and a handler runs its callback only
/// if nothing moved it since it was armed (a quick take-over and a second
/// drop would otherwise end the new grace early).
class asio_timer final : public session::timer {
public:
    explicit asio_timer(asio::io_context& io) : timer_(io) {}

    void start(std::chrono::milliseconds after, std::function<void()> fn) override {
        const auto armed = ++*generation_;
        timer_.expires_after(after);  // cancels a pending wait
        timer_.async_wait(
            [generation = generation_, armed, fn = std::move(fn)](boost::system::error_code ec) {
                if (!ec && armed == *generation) fn();
            });
    }
    void cancel() override {
        ++*generation_;
        timer_.cancel();
    }

private:
    asio::steady_timer timer_;
    /// Shared with the handlers, which may outlive the timer; only touched
    /// on the home's thread.
    std::shared_ptr<std::uint64_t> generation_ = std::make_shared<std::uint64_t>(0);
};

}  // namespace

worker::worker() : io_(1), guard_(io_.get_executor()) {}

worker::~worker() = default;

void worker::run() {
    for (;;) {
        try {
            io_.run();
            return;
        } catch (const std::exception& e) {
            loop_exceptions_.fetch_add(1, std::memory_order_relaxed);
            spdlog::error("an event handler failed: {}", e.what());
        } catch (...) {
            loop_exceptions_.fetch_add(1, std::memory_order_relaxed);
            spdlog::error("an event handler failed");
        }
    }
}

bool worker::running_in_this_thread() const { return io_.get_executor().running_in_this_thread(); }

void worker::post(std::function<void()> fn) { asio::post(io_, std::move(fn)); }

std::unique_ptr<session::timer> worker::make_timer() { return std::make_unique<asio_timer>(io_); }

void worker::abort_connections() {
    // Copy first: an abort may remove its connection from the map.
    std::vector<std::shared_ptr<closable>> open;
    for (auto& [raw, weak] : connections_)
        if (auto c = weak.lock()) open.push_back(std::move(c));
    for (auto& c : open) c->abort();
}

void worker::abort_connections_in_handshake() {
    std::vector<std::shared_ptr<closable>> opening;
    for (auto& [raw, weak] : connections_)
        if (auto c = weak.lock(); c && c->in_handshake()) opening.push_back(std::move(c));
    for (auto& c : opening) c->abort();
}

}  // namespace onymous::net
