#include <onymous/connection/outbound_queue.hpp>

namespace onymous::connection {

outbound_queue::push_result outbound_queue::push(session::frame text) {
    const auto size = text->size();
    if (bytes_ + size > max_bytes_) return push_result::over_limit;
    bytes_ += size;
    frames_.push_back(std::move(text));
    if (writing_) return push_result::queued;
    writing_ = true;
    front_in_flight_ = true;
    return push_result::write_now;
}

bool outbound_queue::complete_write(bool go_on) {
    writing_ = false;
    if (front_in_flight_) pop_front();
    front_in_flight_ = false;
    if (!go_on || frames_.empty()) return false;
    writing_ = true;
    front_in_flight_ = true;
    return true;
}

void outbound_queue::drop_waiting() {
    while (frames_.size() > (front_in_flight_ ? 1u : 0u)) pop_back();
}

void outbound_queue::clear() {
    while (!frames_.empty()) pop_back();
    front_in_flight_ = false;
}

void outbound_queue::pop_back() {
    const auto size = frames_.back()->size();
    bytes_ -= size;
    frames_.pop_back();
}

void outbound_queue::pop_front() {
    const auto size = frames_.front()->size();
    bytes_ -= size;
    frames_.pop_front();
}

}  // namespace onymous::connection
