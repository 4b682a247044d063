#pragma once
// Waiters' next deadlines (interest window end, or a cooldown that blocks
// them ending): an indexed binary min-heap keyed by member::wake_at, at most
// one entry per member, so it never holds more than the waiters and a member
// that stops waiting leaves it in O(log n) without stale entries.

#include "member.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace onymous::match {

class deadline_heap {
public:
    /// Wakes `m` at `at`, or earlier if it is due earlier already.
    void schedule(matcher::member* m, clock::time_point at) {
        if (m->heap_position == no_position) {
            m->wake_at = at;
            m->heap_position = static_cast<std::uint32_t>(items_.size());
            items_.push_back(m);
            sift_up(m->heap_position);
        } else if (at < m->wake_at) {
            m->wake_at = at;
            sift_up(m->heap_position);
        }
    }

    /// Forgets `m`'s deadline, if it has one.
    void remove(matcher::member* m) {
        const std::uint32_t at = m->heap_position;
        if (at == no_position) return;
        m->heap_position = no_position;
        matcher::member* last = items_.back();
        items_.pop_back();
        if (last == m) return;
        place(at, last);
        sift_down(at);
        sift_up(last->heap_position);
    }

    bool empty() const { return items_.empty(); }
    /// The earliest deadline; the heap must not be empty.
    clock::time_point earliest() const { return items_.front()->wake_at; }
    /// Removes and returns the member due first; the heap must not be empty.
    matcher::member* pop() {
        matcher::member* first = items_.front();
        remove(first);
        return first;
    }
    std::size_t size() const { return items_.size(); }

private:
    void place(std::uint32_t at, matcher::member* m) {
        items_[at] = m;
        m->heap_position = at;
    }

    void sift_up(std::uint32_t at) {
        matcher::member* m = items_[at];
        while (at > 0) {
            const std::uint32_t parent = (at - 1) / 2;
            if (!(m->wake_at < items_[parent]->wake_at)) break;
            place(at, items_[parent]);
            at = parent;
        }
        place(at, m);
    }

    void sift_down(std::uint32_t at) {
        matcher::member* m = items_[at];
        const auto size = static_cast<std::uint32_t>(items_.size());
        for (;;) {
            std::uint32_t child = 2 * at + 1;
            if (child >= size) break;
            if (child + 1 < size && items_[child + 1]->wake_at < items_[child]->wake_at) ++child;
            if (!(items_[child]->wake_at < m->wake_at)) break;
            place(at, items_[child]);
            at = child;
        }
        place(at, m);
    }

    std::vector<matcher::member*> items_;
};

}  // namespace onymous::match
