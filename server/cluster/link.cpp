#include <onymous/cluster/link.hpp>

#include <algorithm>

namespace onymous::cluster {

std::uint64_t sender::push(std::string text, clock::time_point now) {
    const auto seq = next_seq_++;
    waiting_.push_back({seq, std::move(text), now, now + timing_.retry_first, timing_.retry_first});
    return seq;
}

void sender::ack(std::uint64_t seq) {
    while (!waiting_.empty() && waiting_.front().seq <= seq) waiting_.pop_front();
}

std::vector<sender::resend> sender::due(clock::time_point now) {
    std::vector<resend> out;
    for (auto& w : waiting_) {
        if (w.retry_at > now) continue;
        out.push_back({w.seq, &w.text});
        w.backoff = std::min(w.backoff * 2, timing_.retry_max);
        w.retry_at = now + w.backoff;
    }
    return out;
}

bool sender::expired(clock::time_point now) const {
    return !waiting_.empty() && now - waiting_.front().first_sent >= timing_.deadline;
}

clock::time_point sender::next_wake() const {
    if (waiting_.empty()) return clock::time_point::max();
    auto at = waiting_.front().first_sent + timing_.deadline;
    for (const auto& w : waiting_) at = std::min(at, w.retry_at);
    return at;
}

receiver::verdict receiver::accept(std::uint64_t seq) {
    if (seq <= delivered_) return verdict::duplicate;
    if (seq != delivered_ + 1) return verdict::gap;
    delivered_ = seq;
    return verdict::deliver;
}

}  // namespace onymous::cluster
