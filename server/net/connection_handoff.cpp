#include "net/connection_handoff.hpp"

#include <boost/asio/post.hpp>

#include <spdlog/spdlog.h>

namespace onymous::net {

void connection_handoff::push(arrival a) {
    std::lock_guard lock(mutex_);
    queued_.push_back(std::move(a));
    if (start_posted_) return;
    boost::asio::post(worker_.io(), [self = shared_from_this()] { self->start_queued(); });
    start_posted_ = true;  // after the post: one that throws leaves the next push to post
}

void connection_handoff::start_queued() {
    {
        std::lock_guard lock(mutex_);
        starting_.swap(queued_);
        start_posted_ = false;
    }
    // Emptied whatever escapes (worker::run logs it and goes on): the
    // arrivals not started yet are closed with it.
    struct empty_after {
        std::vector<arrival>& batch;
        ~empty_after() { batch.clear(); }
    } emptied{starting_};
    for (auto& a : starting_) {
        try {
            start_http_session(std::move(a.socket), ctx_, worker_, std::move(a.slot), a.options,
                               a.peer);
        } catch (const std::exception& e) {
            // That connection alone is lost, as when each had a handler of its own.
            spdlog::error("a connection could not be started: {}", e.what());
            ctx_.sessions.counters.internal_errors_total.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

}  // namespace onymous::net
