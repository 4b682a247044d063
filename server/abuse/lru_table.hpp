#pragma once
// A map from 64-bit keyed hashes to values, bounded in size, that forgets
// the least recently touched entry first: what the abuse tables need to keep
// their memory bounded whatever arrives. Not thread-safe: its owner locks.

#include <cstddef>
#include <cstdint>
#include <list>
#include <unordered_map>
#include <utility>

namespace onymous::abuse::detail {

template <class Value>
class lru_table {
public:
    explicit lru_table(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

    /// The entry of `key`, or nullptr; touches it.
    Value* find(std::uint64_t key) {
        const auto it = index_.find(key);
        if (it == index_.end()) return nullptr;
        order_.splice(order_.end(), order_, it->second);
        return &it->second->second;
    }

    /// The entry of `key` without touching it, or nullptr.
    const Value* peek(std::uint64_t key) const {
        const auto it = index_.find(key);
        return it == index_.end() ? nullptr : &it->second->second;
    }

    /// The entry of `key`, made (and touched) if absent; makes room by
    /// forgetting the least recently touched entry. Counts that in evicted().
    Value& touch(std::uint64_t key) {
        if (Value* v = find(key)) return *v;
        if (index_.size() >= capacity_) {
            index_.erase(order_.front().first);
            order_.pop_front();
            ++evicted_;
        }
        order_.emplace_back(key, Value{});
        index_.emplace(key, std::prev(order_.end()));
        return order_.back().second;
    }

    void erase(std::uint64_t key) {
        const auto it = index_.find(key);
        if (it == index_.end()) return;
        order_.erase(it->second);
        index_.erase(it);
    }

    /// Erases entries for which `idle(value)` holds, least recently touched
    /// first, stopping at the first that does not: a cheap sweep that leaves
    /// a few idle entries behind a busy one (the bound still holds).
    template <class Idle>
    void sweep(Idle idle) {
        while (!order_.empty() && idle(order_.front().second)) {
            index_.erase(order_.front().first);
            order_.pop_front();
        }
    }

    /// Calls `fn(key, value)` for every entry, least recently touched first.
    template <class Fn>
    void for_each(Fn fn) const {
        for (const auto& [key, value] : order_) fn(key, value);
    }

    void clear() {
        index_.clear();
        order_.clear();
    }

    std::size_t size() const { return index_.size(); }
    std::uint64_t evicted() const { return evicted_; }

private:
    using entries = std::list<std::pair<std::uint64_t, Value>>;

    std::size_t capacity_;
    entries order_;  ///< least recently touched first
    std::unordered_map<std::uint64_t, typename entries::iterator> index_;
    std::uint64_t evicted_ = 0;
};

}  // namespace onymous::abuse::detail
