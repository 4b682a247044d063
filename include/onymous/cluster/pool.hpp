#pragma once
// The cluster's waiting pool on Redis (server/cluster/scripts/pool.lua),
// seen from a node: the arguments of each operation and the meaning of its
// reply. Pure: the node (server/cluster/node/) runs the script.
//
// Everything that goes into Redis is an opaque id, a number or a keyed hash
// (interests, cooldown pairs): nothing names a user, and nothing of what
// users say is stored there (docs/architecture.md, Cluster mode).

#include <onymous/protocol/messages.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::redis {
struct reply;
}

namespace onymous::cluster {

/// pool.lua, compiled in.
std::string_view pool_script();

/// Numbers within what a Lua number (a double) holds exactly.
inline constexpr std::uint64_t max_pool_random = (std::uint64_t{1} << 52) - 1;

/// A waiter as the pool takes it (operation "join").
struct join_request {
    std::string member;  ///< the session's random id in the cluster
    std::string node;
    protocol::chat_mode mode = protocol::chat_mode::video;
    /// "default", or "shadow" for the shadow pool (abuse/shadow_pool.hpp):
    /// waiters meet only waiters of the same pool.
    std::string pool = "default";
    std::int64_t joined_ms = 0;  ///< wall clock: the nodes share one pool
    std::int64_t now_ms = 0;
    std::int64_t window_ms = 0;  ///< matching.interest_timeout
    std::uint64_t ticket = 0;
    std::uint64_t random = 0;  ///< at most max_pool_random: picks the partner and the roles
    std::int64_t ttl_ms = 0;   ///< the waiter's keys live this long unless touched
    std::string hash_key;      ///< keys the cooldown hashes (the cluster's generation)
    std::vector<std::string> interest_hashes;
};

/// ARGV of pool.lua for each operation; `prefix` is cluster.key_prefix.
std::vector<std::string> join_args(std::string_view prefix, const join_request& r);
std::vector<std::string> rematch_args(std::string_view prefix, std::string_view member,
                                      std::int64_t now_ms, std::uint64_t random,
                                      std::int64_t ttl_ms, std::string_view hash_key);
std::vector<std::string> member_args(std::string_view prefix, std::string_view op,
                                     std::string_view member);  ///< leave, suspend, unsuspend
std::vector<std::string> touch_args(std::string_view prefix, std::string_view node,
                                    std::int64_t ttl_ms);
std::vector<std::string> purge_args(std::string_view prefix, std::string_view node);
std::vector<std::string> raise_pairs_args(std::string_view prefix, std::uint64_t floor);

/// A waiter the script claimed for the caller.
struct claimed {
    std::uint64_t pair_id = 0;
    std::string member;
    std::string node;
    std::uint64_t ticket = 0;  ///< the claimed waiter's ticket
    protocol::role caller_role = protocol::role::offerer;
    std::vector<std::string> common_hashes;  ///< in the caller's order
};

/// The reply to join or rematch.
struct pool_answer {
    enum class kind : std::uint8_t { queued, paired, gone };
    kind what = kind::queued;
    claimed partner;  ///< paired only
};
/// nullopt for an error reply or anything the script does not answer.
std::optional<pool_answer> parse_pool_answer(const redis::reply& r);

/// An interest as the pool holds it: a hash keyed with `key`, so that the
/// pool compares interests without holding them.
std::string interest_hash(std::string_view key, std::string_view interest);
/// The key of the cooldown of the pair (a, b), in either order, as pool.lua reads it.
std::string cooldown_key(std::string_view prefix, std::string_view hash_key, std::string_view a,
                         std::string_view b);

}  // namespace onymous::cluster
