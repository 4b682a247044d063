#include <onymous/abuse/address_hasher.hpp>

#include "abuse/sha256.hpp"

#include <algorithm>
#include <string_view>

namespace onymous::abuse {

namespace {

constexpr std::string_view ratchet_label = "onymous abuse address key";

}  // namespace

address_hasher::address_hasher(const address::hash_key& key, std::int64_t day)
    : key_(key), day_(day) {}

std::int64_t address_hasher::day_of(wall_time t) {
    return std::chrono::floor<std::chrono::days>(t).time_since_epoch().count();
}

address::hash_key address_hasher::next_key(const address::hash_key& key) {
    const auto digest = detail::sha256(detail::bytes_of(ratchet_label), key);
    address::hash_key next{};
    std::copy_n(digest.begin(), next.size(), next.begin());
    return next;
}

void address_hasher::turn_to(std::int64_t today) {
    // One step per day; a node asleep for a week takes seven.
    while (day_ < today) {
        key_ = next_key(key_);
        ++day_;
    }
}

std::uint64_t address_hasher::hash(const address::ip& client, wall_time now) {
    const std::int64_t today = day_of(now);
    const std::lock_guard lock(mutex_);
    turn_to(today);
    return address::siphash24(key_, address::limit_key_of(client).bytes);
}

std::pair<std::int64_t, address::hash_key> address_hasher::current(wall_time now) {
    const std::int64_t today = day_of(now);
    const std::lock_guard lock(mutex_);
    turn_to(today);
    return {day_, key_};
}

void address_hasher::adopt(const address::hash_key& key, std::int64_t day) {
    const std::lock_guard lock(mutex_);
    key_ = key;
    day_ = day;
}

std::int64_t address_hasher::day() const {
    const std::lock_guard lock(mutex_);
    return day_;
}

}  // namespace onymous::abuse
