#include <onymous/session/history.hpp>

#include <iterator>

namespace onymous::session {

void history::push(std::uint64_t seq, frame text) {
    const auto size = text->size();
    bytes_ += size;
    if (seq > handed_) {
        unhanded_bytes_ += size;
        ++unhanded_count_;
    }
    if (gauge_) gauge_->fetch_add(size, std::memory_order_relaxed);
    entries_.push_back({seq, std::move(text)});
    trim();
}

void history::handed(std::uint64_t seq) {
    // Newest first: usually only the message just pushed.
    const auto newest = std::make_reverse_iterator(entries_.end());
    const auto oldest = std::make_reverse_iterator(entries_.begin());
    for (auto it = newest; it != oldest && it->seq > handed_; ++it)
        if (it->seq <= seq) {
            unhanded_bytes_ -= it->text->size();
            --unhanded_count_;
        }
    if (seq > handed_) handed_ = seq;
    trim();
}

void history::acknowledge(std::uint64_t seq) {
    if (seq <= acked_) return;
    acked_ = seq;
    while (!entries_.empty() && entries_.front().seq <= seq) pop_oldest();
}

void history::trim() {
    // Written means handed and no longer held by the connection's queue.
    while (written_cost() > max_unacked_bytes_ && !entries_.empty() &&
           entries_.front().seq <= handed_ && entries_.front().text.use_count() == 1)
        pop_oldest();
}

void history::clear() {
    while (!entries_.empty()) pop_oldest();
}

void history::pop_oldest() {
    auto& oldest = entries_.front();
    const auto size = oldest.text->size();
    bytes_ -= size;
    if (oldest.seq > handed_) {
        unhanded_bytes_ -= size;
        --unhanded_count_;
    }
    if (gauge_) gauge_->fetch_sub(size, std::memory_order_relaxed);
    entries_.pop_front();
}

}  // namespace onymous::session
