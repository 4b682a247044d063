#include <onymous/address/address_table.hpp>

#include <algorithm>

namespace onymous::address {

namespace {

// The new-connection bucket holds N tokens and refills N per minute. Kept
// exact in integers: one token is 60·10^9 units, and each elapsed
// nanosecond adds N units (N <= 10^6 keeps every value below 2^63).
constexpr std::uint64_t window_ns = 60'000'000'000ULL;
constexpr std::uint64_t units_per_token = window_ns;

/// A refusal for open connections cannot say when one will close.
constexpr std::uint64_t open_retry_seconds = 10;

}  // namespace

address_table::address_table(address_limits limits, const hash_key& key) : key_(key) {
    set_limits(limits);
}

void address_table::set_limits(address_limits limits) {
    max_open_.store(limits.max_open, std::memory_order_relaxed);
    new_per_minute_.store(limits.new_per_minute, std::memory_order_relaxed);
}

address_limits address_table::limits() const {
    return {max_open_.load(std::memory_order_relaxed),
            new_per_minute_.load(std::memory_order_relaxed)};
}

std::uint64_t address_table::hash_of(const ip& client) const {
    return siphash24(key_, limit_key_of(client).bytes);
}

void address_table::refill(entry& e, time_point now, const address_limits& active) {
    if (now <= e.last) return;
    const auto elapsed = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - e.last).count());
    const std::uint64_t capacity = active.new_per_minute * units_per_token;
    // A whole window refills the bucket; capping first keeps the product small.
    e.level = std::min(capacity, e.level + std::min(elapsed, window_ns) * active.new_per_minute);
    e.last = now;
}

bool address_table::idle(const entry& e, time_point now, const address_limits& active) {
    if (e.open != 0) return false;
    if (active.new_per_minute == 0) return true;
    entry probe = e;
    refill(probe, now, active);
    return probe.level == active.new_per_minute * units_per_token;
}

admission address_table::try_admit(const ip& client, time_point now, ticket& held) {
    const std::uint64_t hash = hash_of(client);
    shard& s = shard_of(hash);
    const address_limits active = limits();
    const std::lock_guard guard(s.lock);
    auto [it, inserted] = s.entries.try_emplace(hash);
    entry& e = it->second;
    if (inserted) {
        e.level = active.new_per_minute * units_per_token;
        e.last = now;
    }
    refill(e, now, active);
    if (active.max_open != 0 && e.open >= active.max_open) return admission::too_many_open;
    if (active.new_per_minute != 0) {
        if (e.level < units_per_token) return admission::too_many_new;
        e.level -= units_per_token;
    }
    ++e.open;
    held.hash = hash;
    return admission::admitted;
}

void address_table::release(const ticket& held, time_point now) {
    shard& s = shard_of(held.hash);
    const std::lock_guard guard(s.lock);
    const auto it = s.entries.find(held.hash);
    if (it == s.entries.end() || it->second.open == 0)
        return;  // unreachable with one release per ticket
    --it->second.open;
    if (idle(it->second, now, limits())) s.entries.erase(it);
}

void address_table::sweep(time_point now) {
    const address_limits active = limits();
    for (shard& s : shards_) {
        const std::lock_guard guard(s.lock);
        std::erase_if(s.entries, [&](const auto& item) { return idle(item.second, now, active); });
    }
}

std::size_t address_table::tracked() const {
    std::size_t total = 0;
    for (const shard& s : shards_) {
        const std::lock_guard guard(s.lock);
        total += s.entries.size();
    }
    return total;
}

std::uint64_t address_table::retry_after_seconds(admission refused, const ip& client,
                                                 time_point now) const {
    const address_limits active = limits();
    if (refused != admission::too_many_new || active.new_per_minute == 0) return open_retry_seconds;
    const std::uint64_t hash = hash_of(client);
    const shard& s = shard_of(hash);
    const std::lock_guard guard(s.lock);
    const auto it = s.entries.find(hash);
    if (it == s.entries.end()) return 1;
    entry e = it->second;
    refill(e, now, active);
    if (e.level >= units_per_token) return 1;
    const std::uint64_t missing_ns =
        (units_per_token - e.level + active.new_per_minute - 1) / active.new_per_minute;
    return std::max<std::uint64_t>(1, (missing_ns + 999'999'999) / 1'000'000'000);
}

}  // namespace onymous::address
