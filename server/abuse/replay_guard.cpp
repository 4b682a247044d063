#include <onymous/abuse/replay_guard.hpp>

#include <algorithm>
#include <cstring>

namespace onymous::abuse {

std::size_t replay_guard::id_hash::operator()(const challenge_id& id) const {
    // A MAC under a key no client knows: its first bytes are already uniform.
    std::uint64_t h = 0;
    std::memcpy(&h, id.mac.data(), sizeof h);
    return static_cast<std::size_t>(h);
}

replay_guard::replay_guard(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

void replay_guard::expire(time_point now) {
    while (!order_.empty() && order_.front().first <= now) {
        const auto it = expiry_.find(order_.front().second);
        // Only the entry this queue slot stands for (a later redemption of the
        // same id cannot exist while it is held).
        if (it != expiry_.end() && it->second == order_.front().first) expiry_.erase(it);
        order_.pop_front();
    }
}

bool replay_guard::redeemed(const challenge_id& id, time_point now) const {
    const std::lock_guard lock(mutex_);
    const auto it = expiry_.find(id);
    return it != expiry_.end() && it->second > now;
}

bool replay_guard::redeem(const challenge_id& id, time_point expires_at, time_point now) {
    const std::lock_guard lock(mutex_);
    expire(now);
    if (const auto it = expiry_.find(id); it != expiry_.end()) {
        if (it->second > now) return false;
        expiry_.erase(it);  // expired behind a longer-lived one: as good as gone
    }
    if (expires_at <= now) return true;
    if (expiry_.size() >= capacity_) {
        // Full: forget the oldest redemption (see the header for why that is safe).
        while (!order_.empty()) {
            const auto oldest = order_.front();
            order_.pop_front();
            const auto it = expiry_.find(oldest.second);
            if (it == expiry_.end() || it->second != oldest.first) continue;
            expiry_.erase(it);
            ++evicted_;
            break;
        }
    }
    expiry_.emplace(id, expires_at);
    order_.emplace_back(expires_at, id);
    return true;
}

std::size_t replay_guard::size() const {
    const std::lock_guard lock(mutex_);
    return expiry_.size();
}

std::uint64_t replay_guard::evicted() const {
    const std::lock_guard lock(mutex_);
    return evicted_;
}

}  // namespace onymous::abuse
