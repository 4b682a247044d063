#pragma once
// Reports (PROTOCOL.md, Reports): who has been reported by how many distinct
// people, and what follows: the shadow pool, then suspension. Addresses are
// known only as keyed hashes (address_hasher), reporters by the same kind of
// hash of their own address; nothing here names a person, and nothing of it
// may be logged.
//
// The rules, for one reported address A:
// - a report by R counts once per (R, A): a second report by R refreshes
//   the time of R's report instead of adding one;
// - a report counts for report_window;
// - R may report at most max_reports_per_hour distinct addresses within an
//   hour; reports against further addresses are ignored (not counted, not
//   remembered) until R's oldest of that hour is an hour old. One person
//   cannot banish others by reporting everyone;
// - a report of one's own address is ignored (two people behind one NAT);
// - shadowed: once a counted report leaves A with shadow_threshold distinct
//   reporters or more while A is not shadowed, A is shadowed for
//   shadow_duration from then on;
// - suspended: while A has suspend_threshold distinct reporters or more
//   within report_window; retry_after is the time until enough of them have
//   aged out. A suspension also extends the shadow to shadow_duration past
//   its end, so that a suspended address does not go back to the main pool
//   the moment it may join again;
// - status: suspended, else shadowed, else normal.
//
// report_ledger is the interface the session and the matcher use;
// memory_report_ledger is the one there is. In cluster mode every node runs
// one, fed with its own reports and every other node's (abuse::controls,
// cluster/abuse_sharing.hpp): the same rules over the same reports give the
// same standing on every node, and status() stays synchronous.

#include <onymous/config/config.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace onymous::abuse {

enum class standing : std::uint8_t { normal, shadowed, suspended };

struct address_status {
    standing state = standing::normal;
    /// Suspended only: until join and next may succeed again ("retryAfterMs").
    std::chrono::milliseconds retry_after{0};
    /// Distinct reporters counted within report_window (the difficulty's term).
    std::uint64_t reporters = 0;

    bool operator==(const address_status&) const = default;
};

enum class report_outcome : std::uint8_t {
    counted,             ///< a reporter new to this address
    repeated,            ///< this reporter had reported this address already: its time is refreshed
    ignored_over_limit,  ///< the reporter is past max_reports_per_hour distinct addresses
    ignored_self,        ///< reporter and reported share an address
};

class report_ledger {
public:
    using time_point = std::chrono::steady_clock::time_point;

    virtual ~report_ledger() = default;

    /// `reporter` (the hash of its address) reports `reported`. The answer
    /// to the client is `reported` whatever the outcome.
    virtual report_outcome report(std::uint64_t reporter, std::uint64_t reported,
                                  time_point now) = 0;
    /// What `address` may do at `now`: for join and next (suspended), the
    /// matcher (shadowed) and the difficulty (reporters).
    virtual address_status status(std::uint64_t address, time_point now) = 0;
    /// A reload's new abuse settings; what is counted stays.
    virtual void set_settings(const config::abuse_settings& s) = 0;
};

/// The ledger in memory. Every function may be called from any thread (one
/// mutex; O(suspend_threshold + max_reports_per_hour) work under it).
///
/// Bounded: at most `max_tracked` reported addresses and `max_tracked`
/// reporters. A reported address holds at most suspend_threshold reporters
/// (the newest: enough for every rule above) and a reporter at most
/// max_reports_per_hour addresses, 16 bytes each, so with the defaults an
/// address costs ~250 bytes and a reporter ~400: max_tracked 1 << 16 is
/// ~40 MiB at most. Entries are dropped once nothing in them counts any
/// more; past the bound, the least recently reported one is forgotten.
class memory_report_ledger final : public report_ledger {
public:
    memory_report_ledger(const config::abuse_settings& s, std::size_t max_tracked);
    ~memory_report_ledger() override;

    report_outcome report(std::uint64_t reporter, std::uint64_t reported, time_point now) override;
    address_status status(std::uint64_t address, time_point now) override;
    void set_settings(const config::abuse_settings& s) override;

    /// Drops what no longer counts, least recently touched first. Call about
    /// once a second (also done as a side effect of report()).
    void sweep(time_point now);
    /// Addresses shadowed and suspended at `now` (metrics gauges): a walk
    /// over every reported address held, under the mutex; for a scrape.
    struct standings {
        std::size_t shadowed = 0;  ///< shadowed and not suspended
        std::size_t suspended = 0;
    };
    standings count_standings(time_point now) const;
    /// Reported addresses and reporters held (metrics, tests).
    std::size_t tracked_addresses() const;
    std::size_t tracked_reporters() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace onymous::abuse
