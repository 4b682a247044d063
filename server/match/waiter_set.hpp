#pragma once
// An indexed set of waiters: a vector plus each member's position in it, so
// insert, erase (swap with the last) and uniform access by index are O(1).

#include "member.hpp"

#include <cstdint>
#include <vector>

namespace onymous::match {

class waiter_set {
public:
    struct entry {
        matcher::member* who;
        std::uint32_t slot;  ///< which of who->positions refers to this set
    };

    /// Adds `m`, remembering its position in m->positions[slot].
    void insert(matcher::member* m, std::uint32_t slot) {
        m->positions[slot] = static_cast<std::uint32_t>(entries_.size());
        entries_.push_back({m, slot});
    }

    /// Removes `m`, listed under m->positions[slot].
    void erase(matcher::member* m, std::uint32_t slot) {
        const std::uint32_t at = m->positions[slot];
        const entry last = entries_.back();
        entries_[at] = last;
        last.who->positions[last.slot] = at;
        entries_.pop_back();
        m->positions[slot] = no_position;
    }

    bool empty() const { return entries_.empty(); }
    std::size_t size() const { return entries_.size(); }
    const std::vector<entry>& entries() const { return entries_; }

private:
    std::vector<entry> entries_;
};

}  // namespace onymous::match
