#pragma once
// What the matcher stress test records, and the checker that replays it
// against the rules after the run. Records are made by whichever thread
// owns the matcher (peer callbacks) into that thread's own log, stamped with
// a global sequence number taken inside the callback: callbacks run in
// decision order, one owner at a time, so sorting by it gives the order in
// which the matcher decided. Nothing here synchronises threads (relaxed
// atomics only), so ThreadSanitizer sees only the matcher's own ordering.

#include <onymous/match/matcher.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace onymous::match::stress {

/// Operations per stress test case: ONYMOUS_STRESS_OPS, or 1,000,000 (about
/// 1.5 s for the whole stress suite in RelWithDebInfo, 30 s under TSan here).
inline std::size_t operation_count() {
    const char* env = std::getenv("ONYMOUS_STRESS_OPS");
    return env ? std::strtoull(env, nullptr, 10) : 1'000'000;
}

/// One op a session submitted; ops[i] carries ticket i + 1.
struct op_record {
    enum kind_t : std::uint8_t { join, next, leave, detach };
    kind_t kind = join;
    protocol::chat_mode mode = protocol::chat_mode::video;  ///< join only
    std::string interests;  ///< join only: one letter per interest, in order named
};

struct session_record {
    std::vector<op_record> ops;
};

struct event_record {
    enum kind_t : std::uint8_t { matched, partner_left, destroyed };
    kind_t kind = matched;
    std::uint64_t seq = 0;
    std::uint32_t session = 0;  ///< who was told
    std::uint32_t partner = 0;  ///< matched only
    std::uint64_t ticket = 0;
    std::uint64_t pair_id = 0;
    protocol::role role = protocol::role::offerer;
    std::string common;  ///< one letter per interest, in receiver's order
    /// Clock tick of the decision: the matcher's last reading of the clock.
    /// The matcher must know the time to check or record a cooldown, so it
    /// has read the clock (once per batch of operations) before any decision.
    std::int64_t at = 0;
};

struct check_settings {
    std::int64_t cooldown_ticks = 0;
    std::size_t cooldown_memory = 0;
};

/// Replays `events` (any order; sorted inside) against `sessions` and returns
/// a description of every violated rule (empty: all good). Expects every
/// session to have been detached by the end of the run.
std::vector<std::string> check(const std::vector<session_record>& sessions,
                               std::vector<event_record> events, const check_settings& settings);

/// A session the replay finds waiting once every op has been applied (its
/// last op queued it and nothing matched it since), with its mode.
struct waiting_session {
    std::uint32_t session;
    protocol::chat_mode mode;
};
std::vector<waiting_session> still_waiting(const std::vector<session_record>& sessions,
                                           const std::vector<event_record>& events);

}  // namespace onymous::match::stress
