#include "net/connection_handoff.hpp"

#include <boost/asio/post.hpp>

namespace onymous::net {

void connection_handoff::push(arrival a) {
    std::lock_guard lock(mutex_);
    queued_.push_back(std::move(a));
    if (start_posted_) return;
    start_posted_ = true;
    boost::asio::post(worker_.io(), [self = shared_from_this()] { self->start_queued(); });
}

void connection_handoff::start_queued() {
    {
        std::lock_guard lock(mutex_);
        starting_.swap(queued_);
        start_posted_ = false;
    }
    // Emptied even when a start throws (worker::run logs it and goes on):
    // the arrivals not started yet are closed with it.
    struct empty_after {
        std::vector<arrival>& batch;
        ~empty_after() { batch.clear(); }
    } emptied{starting_};
    for (auto& a : starting_)
        start_http_session(std::move(a.socket), ctx_, worker_, std::move(a.slot), a.options,
                           a.peer);
}

}  // namespace onymous::net
