#pragma once
// A first-in first-out list for the few items a connection's write queue or
// a session's resume history holds at a time: a ring of slots whose count is
// a power of two. A new one holds no slots, one that emptied keeps at most
// 4 (a burst's capacity goes back), and one that holds n items keeps fewer
// than 4n slots (2n at most while it grows). std::deque, which
// it replaces there, allocates a 512-byte block and its map at construction
// and keeps a block for life; a vector read from a moving head, which it
// replaced next, kept up to twice as many slots as a ring for the same items
// (about 56 bytes per message held by a client that never acks).

#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <utility>

namespace onymous::memory {

template <class T>
class small_fifo {
    template <class Fifo, class Value>
    class basic_iterator {
    public:
        using iterator_category = std::bidirectional_iterator_tag;
        using value_type = T;
        using difference_type = std::ptrdiff_t;
        using pointer = Value*;
        using reference = Value&;

        basic_iterator() = default;
        basic_iterator(Fifo* fifo, std::size_t index) : fifo_(fifo), index_(index) {}

        reference operator*() const { return fifo_->at(index_); }
        pointer operator->() const { return &fifo_->at(index_); }
        basic_iterator& operator++() {
            ++index_;
            return *this;
        }
        basic_iterator operator++(int) {
            auto before = *this;
            ++index_;
            return before;
        }
        basic_iterator& operator--() {
            --index_;
            return *this;
        }
        basic_iterator operator--(int) {
            auto before = *this;
            --index_;
            return before;
        }
        bool operator==(const basic_iterator& other) const { return index_ == other.index_; }

    private:
        Fifo* fifo_ = nullptr;
        std::size_t index_ = 0;  ///< from the front
    };

public:
    using iterator = basic_iterator<small_fifo, T>;
    using const_iterator = basic_iterator<const small_fifo, const T>;

    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }
    /// The slots it holds now (for tests of its memory).
    std::size_t capacity() const { return capacity_; }

    T& front() { return at(0); }
    const T& front() const { return at(0); }
    T& back() { return at(size_ - 1); }
    const T& back() const { return at(size_ - 1); }

    void push_back(T value) {
        if (size_ == capacity_) reallocate(capacity_ ? capacity_ * 2 : kept_slots);
        at(size_) = std::move(value);
        ++size_;
    }

    void pop_front() {
        front() = T{};  // what it held goes now
        head_ = (head_ + 1) & (capacity_ - 1);
        --size_;
        after_pop();
    }

    void pop_back() {
        back() = T{};
        --size_;
        after_pop();
    }

    void clear() {
        slots_.reset();
        capacity_ = size_ = head_ = 0;
    }

    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size_}; }
    iterator begin() { return {this, 0}; }
    iterator end() { return {this, size_}; }

private:
    /// Slots a fifo starts with, keeps when emptied, and shrinks to at least:
    /// enough for the usual one-at-a-time traffic without an allocation per
    /// item.
    static constexpr std::size_t kept_slots = 4;

    T& at(std::size_t index) { return slots_[(head_ + index) & (capacity_ - 1)]; }
    const T& at(std::size_t index) const { return slots_[(head_ + index) & (capacity_ - 1)]; }

    /// Never allocates, so that a pop cannot throw (destructors empty
    /// histories and queues with pops): an emptied ring of a burst's size is
    /// freed, a small one is kept for the next item (one frame in flight at
    /// a time is a connection's usual state), and shrinking is skipped when
    /// memory for the smaller ring cannot be had.
    void after_pop() noexcept {
        if (size_ == 0) {
            head_ = 0;
            if (capacity_ > kept_slots) clear();
        } else if (capacity_ > kept_slots && size_ * 4 <= capacity_) {
            // Not at half, so that one item in and out cannot thrash.
            std::unique_ptr<T[]> smaller(new (std::nothrow) T[capacity_ / 2]);
            if (smaller) move_into(std::move(smaller), capacity_ / 2);
        }
    }

    void reallocate(std::size_t capacity) { move_into(std::make_unique<T[]>(capacity), capacity); }

    void move_into(std::unique_ptr<T[]> slots, std::size_t capacity) noexcept {
        for (std::size_t i = 0; i < size_; ++i) slots[i] = std::move(at(i));
        slots_ = std::move(slots);
        capacity_ = capacity;
        head_ = 0;
    }

    std::unique_ptr<T[]> slots_;
    std::size_t capacity_ = 0;  ///< 0 or a power of two
    std::size_t size_ = 0;
    std::size_t head_ = 0;  ///< the front's slot
};

}  // namespace onymous::memory
