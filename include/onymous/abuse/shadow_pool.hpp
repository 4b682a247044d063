#pragma once
// The shadow pool's matching rule (PROTOCOL.md, Reports): the sessions of an
// address shadowed after reports are matched only with one another,
// unannounced. A pure predicate for the matcher, next to its other rules
// (same mode, not itself, not a recent partner): the matcher takes each
// session's flag when it joins, from report_ledger::status().
//
// Why one flag and not a separate matcher: the shadow pool then gets
// everything the main pool has (interests, cooldowns, random choice, cluster
// mode), and two flagged sessions meet exactly as two unflagged ones do.

#include <onymous/abuse/report_ledger.hpp>

namespace onymous::abuse {

/// Whether a session of this standing waits in the shadow pool. A
/// suspended address never gets as far as joining; if it did, it would
/// still be kept away from the main pool.
constexpr bool in_shadow_pool(standing s) { return s != standing::normal; }

/// Whether two waiting sessions may meet as far as the shadow pool is
/// concerned: flagged only with flagged, unflagged only with unflagged.
constexpr bool may_meet(bool a_flagged, bool b_flagged) { return a_flagged == b_flagged; }

}  // namespace onymous::abuse
