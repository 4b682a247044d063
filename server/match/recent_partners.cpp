#include "recent_partners.hpp"

#include <algorithm>
#include <bit>

namespace onymous::match {

void recent_partners::remember(std::uint64_t partner, clock::time_point until,
                               std::size_t capacity) {
    capacity = std::min(capacity, max_capacity);
    if (capacity == 0) return;
    if (ring_.size() < capacity) {
        ring_.push_back({partner, until});
        if (ring_.size() * 2 > slots_.size())
            rebuild(std::max<std::size_t>(16, slots_.size() * 2));
        else
            index(static_cast<std::uint32_t>(ring_.size() - 1));
        return;
    }
    const auto position = static_cast<std::uint32_t>(oldest_);
    oldest_ = (oldest_ + 1) % ring_.size();
    forgotten_until_ = std::max(forgotten_until_, ring_[position].until);
    unindex(position);
    ring_[position] = {partner, until};
    index(position);
}

std::optional<clock::time_point> recent_partners::excluded_until(std::uint64_t partner,
                                                                 clock::time_point now) const {
    if (slots_.empty()) return std::nullopt;
    const std::uint64_t slot = slots_[find(partner)];
    if (slot == 0) return std::nullopt;
    const clock::time_point until = ring_[position_of(slot)].until;
    if (until > now) return until;
    return std::nullopt;
}

void recent_partners::clear() {
    ring_ = {};
    slots_ = {};
    oldest_ = 0;
    shift_ = 63;
    forgotten_until_ = {};
}

std::size_t recent_partners::find(std::uint64_t partner) const {
    const std::uint64_t h = hash(partner);
    const auto tag = static_cast<std::uint32_t>(h);
    const std::size_t mask = slots_.size() - 1;
    std::size_t s = home(h);
    while (slots_[s] != 0 &&
           (tag_of(slots_[s]) != tag || ring_[position_of(slots_[s])].partner != partner))
        s = (s + 1) & mask;
    return s;
}

void recent_partners::index(std::uint32_t position) {
    // A newer entry of the same partner takes the older one's slot.
    const std::uint64_t partner = ring_[position].partner;
    const std::uint64_t h = hash(partner);
    slots_[find(partner)] = pack(position, home(h), static_cast<std::uint32_t>(h));
}

void recent_partners::unindex(std::uint32_t position) {
    std::size_t i = find(ring_[position].partner);
    if (slots_[i] == 0 || position_of(slots_[i]) != position) return;  // a newer one is indexed
    // Backward-shift deletion (Knuth's algorithm R): no tombstones.
    const std::size_t mask = slots_.size() - 1;
    for (;;) {
        slots_[i] = 0;
        std::size_t j = i;
        for (;;) {
            j = (j + 1) & mask;
            if (slots_[j] == 0) return;
            const std::size_t k = home_of(slots_[j]);
            const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (!stays) break;
        }
        slots_[i] = slots_[j];
        i = j;
    }
}

void recent_partners::rebuild(std::size_t slots) {
    slots_.assign(slots, 0);
    shift_ = 64 - std::countr_zero(slots);
    // Oldest first, so that the newest entry of a partner wins. Only called
    // while the ring is still growing, so position 0 is the oldest.
    for (std::uint32_t p = 0; p < ring_.size(); ++p) index(p);
}

}  // namespace onymous::match
