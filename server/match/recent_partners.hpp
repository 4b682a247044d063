#pragma once
// A member's recent partners, for the re-match cooldown: a ring of
// {partner member id, excluded until} in the order the pairings ended (the
// oldest is forgotten first once `capacity` are held), indexed by a small
// open-addressing table so that a candidate check costs O(1) however many
// partners are remembered. Member ids are the matcher's own counters, never
// user identities, and the memory dies with its member.

#include <onymous/match/matcher.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace onymous::match {

class recent_partners {
public:
    /// The most a member remembers, whatever options.cooldown_memory says
    /// (the index packs a ring position into 16 bits).
    static constexpr std::size_t max_capacity = 32768;

    /// Remembers `partner` until `until` (not earlier than any until before).
    void remember(std::uint64_t partner, clock::time_point until, std::size_t capacity);

    /// Until when `partner` is excluded, if it still is at `now`.
    std::optional<clock::time_point> excluded_until(std::uint64_t partner,
                                                    clock::time_point now) const;

    /// Whether a partner forgotten to make room may still be in its cooldown
    /// at `now` (then the other side's memory must be asked too).
    bool may_have_forgotten(clock::time_point now) const { return forgotten_until_ > now; }

    /// Drops everything (the member is gone).
    void clear();

private:
    struct entry {
        std::uint64_t partner;
        clock::time_point until;
    };

    // A slot packs, so that probing never reads the ring: the entry's ring
    // position + 1 (0 = free), its home slot, and 32 bits of its hash that
    // settle most mismatches.
    static std::uint64_t pack(std::uint32_t position, std::size_t home, std::uint32_t tag) {
        return (static_cast<std::uint64_t>(tag) << 32) | (static_cast<std::uint64_t>(home) << 16) |
               (position + 1);
    }
    static std::uint32_t position_of(std::uint64_t slot) {
        return static_cast<std::uint32_t>(slot & 0xffff) - 1;
    }
    static std::size_t home_of(std::uint64_t slot) { return (slot >> 16) & 0xffff; }
    static std::uint32_t tag_of(std::uint64_t slot) {
        return static_cast<std::uint32_t>(slot >> 32);
    }

    static std::uint64_t hash(std::uint64_t partner) { return partner * 0x9e3779b97f4a7c15ULL; }
    std::size_t home(std::uint64_t h) const { return static_cast<std::size_t>(h >> shift_); }
    /// The slot indexing `partner`, or a free slot where it would go.
    std::size_t find(std::uint64_t partner) const;
    void index(std::uint32_t position);
    void unindex(std::uint32_t position);
    void rebuild(std::size_t slots);

    std::vector<entry> ring_;
    std::size_t oldest_ = 0;  ///< once full, the position overwritten next
    /// Open addressing, linear probing; only the newest entry of a partner
    /// is indexed. Kept at most half full.
    std::vector<std::uint64_t> slots_;
    int shift_ = 63;
    clock::time_point forgotten_until_{};
};

}  // namespace onymous::match
