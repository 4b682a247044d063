#pragma once
// A session's record in the matcher. Allocated by attach() on the caller's
// thread; from then on read and written only by the matcher's owner, which
// frees it when it applies the session's detach (the last operation a
// session ever submits for it).

#include "recent_partners.hpp"

#include <onymous/match/matcher.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace onymous::match {

class waiter_set;

enum class member_state : std::uint8_t { idle, waiting, paired };

inline constexpr std::uint32_t no_position = std::numeric_limits<std::uint32_t>::max();

class matcher::member final : public matchmaker::handle {
public:
    explicit member(std::shared_ptr<match::peer> p) : peer(std::move(p)) {}

    std::uint64_t id = 0;  ///< a counter of the pool's, never reused
    std::shared_ptr<match::peer> peer;
    std::uint64_t ticket = 0;  ///< of the latest join/next/leave applied
    member_state state = member_state::idle;
    bool joined_once = false;  ///< `next` from idle needs a previous join
    bool suspended = false;    ///< resume grace: keeps its place, cannot be chosen

    // The last join's preferences.
    protocol::chat_mode mode = protocol::chat_mode::video;
    std::vector<std::string> interests;
    /// In the shadow pool: as of the latest join or next.
    bool shadowed = false;

    // While waiting.
    bool in_window = false;  ///< named interests and the window is not over
    clock::time_point window_end{};
    bool in_sets = false;  ///< listed as a candidate (waiting and not suspended)
    bool in_open = false;  ///< listed in its mode's `open` set
    /// Where this member sits in each set: [k] in the set of interests[k],
    /// the last one in `open`.
    std::vector<std::uint32_t> positions;
    /// The set of interests[k] while listed, and between try_match and list
    /// (stable: unordered_map values are never moved).
    std::vector<waiter_set*> interest_sets;

    // While paired.
    member* partner = nullptr;
    std::uint64_t pair_id = 0;

    recent_partners recent;  ///< for the re-match cooldown

    // Deadline heap: at most one entry per member.
    clock::time_point wake_at{};
    std::uint32_t heap_position = no_position;

    std::uint64_t seen_epoch = 0;  ///< de-duplicates candidates across sets

    // Every attached member, so that the pool can free leftovers.
    member* registry_prev = nullptr;
    member* registry_next = nullptr;

    std::uint32_t open_slot() const { return static_cast<std::uint32_t>(interests.size()); }
};

}  // namespace onymous::match
