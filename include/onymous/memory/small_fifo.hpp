#pragma once
// A first-in first-out list for the few items a connection's write queue or
// a session's resume history holds at a time: a vector read from a moving
// head. An empty one holds at most a few slots, and one that emptied after a
// burst gives its capacity back. std::deque, which it replaces there,
// allocates a 512-byte block and its map at construction and keeps a block
// for life: for tens of thousands of mostly quiet connections that was a
// large part of what each held.

#include <cstddef>
#include <utility>
#include <vector>

namespace onymous::memory {

template <class T>
class small_fifo {
public:
    using iterator = typename std::vector<T>::iterator;
    using const_iterator = typename std::vector<T>::const_iterator;

    bool empty() const { return head_ == items_.size(); }
    std::size_t size() const { return items_.size() - head_; }

    T& front() { return items_[head_]; }
    const T& front() const { return items_[head_]; }
    T& back() { return items_.back(); }
    const T& back() const { return items_.back(); }

    void push_back(T value) { items_.push_back(std::move(value)); }

    void pop_front() {
        items_[head_] = T{};  // what it held goes now, not at the next compaction
        if (++head_ == items_.size()) {
            reset();
        } else if (head_ >= compact_after && head_ * 2 >= items_.size()) {
            // The consumed half goes; amortised O(1) per item.
            items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }

    void pop_back() {
        items_.pop_back();
        if (empty()) reset();
    }

    void clear() { reset(); }

    const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    const_iterator end() const { return items_.end(); }
    iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
    iterator end() { return items_.end(); }

private:
    static constexpr std::size_t compact_after = 32;
    /// Slots an empty fifo may keep: enough for the usual one-at-a-time
    /// traffic without an allocation per item.
    static constexpr std::size_t kept_slots = 4;

    void reset() {
        items_.clear();
        head_ = 0;
        if (items_.capacity() > kept_slots) std::vector<T>().swap(items_);
    }

    std::vector<T> items_;
    std::size_t head_ = 0;
};

}  // namespace onymous::memory
