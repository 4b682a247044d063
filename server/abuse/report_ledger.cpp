#include <onymous/abuse/report_ledger.hpp>

#include "abuse/lru_table.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

namespace onymous::abuse {

namespace {

using time_point = report_ledger::time_point;
using std::chrono::milliseconds;

constexpr std::chrono::hours reporter_window{1};  ///< of max_reports_per_hour

/// A hash and when it was last reported (by or against), oldest first.
struct stamp {
    std::uint64_t hash = 0;
    time_point at{};
};
using stamps = std::vector<stamp>;

/// Drops what is `window` old or older.
void prune(stamps& s, milliseconds window, time_point now) {
    const auto live =
        std::find_if(s.begin(), s.end(), [&](const stamp& x) { return x.at + window > now; });
    s.erase(s.begin(), live);
}

/// Moves `hash` to the end with time `now` if present; true if it was.
bool refresh(stamps& s, std::uint64_t hash, time_point now) {
    const auto it =
        std::find_if(s.begin(), s.end(), [&](const stamp& x) { return x.hash == hash; });
    if (it == s.end()) return false;
    s.erase(it);
    s.push_back({hash, now});
    return true;
}

struct reported_entry {
    stamps reporters;  ///< distinct, at most suspend_threshold (the newest)
    time_point shadow_until{};
};

struct reporter_entry {
    stamps reported;  ///< distinct, within the last hour, at most max_reports_per_hour
};

}  // namespace

struct memory_report_ledger::impl {
    impl(const config::abuse_settings& s, std::size_t max_tracked)
        : settings(s), addresses(max_tracked), reporters(max_tracked) {}

    milliseconds window() const { return settings.report_window; }

    /// When the suspension of `e` ends: the time its
    /// (n - suspend_threshold + 1)-th newest reporter ages out.
    time_point suspension_end(const reported_entry& e) const {
        const std::size_t n = e.reporters.size();
        return e.reporters[n - settings.suspend_threshold].at + window();
    }

    bool idle(const reported_entry& e, time_point now) const {
        return now >= e.shadow_until &&
               (e.reporters.empty() || e.reporters.back().at + window() <= now);
    }

    void sweep(time_point now) {
        addresses.sweep([&](const reported_entry& e) { return idle(e, now); });
        reporters.sweep([&](const reporter_entry& e) {
            return e.reported.empty() || e.reported.back().at + reporter_window <= now;
        });
    }

    mutable std::mutex mutex;
    config::abuse_settings settings;
    detail::lru_table<reported_entry> addresses;
    detail::lru_table<reporter_entry> reporters;
};

memory_report_ledger::memory_report_ledger(const config::abuse_settings& s, std::size_t max_tracked)
    : impl_(std::make_unique<impl>(s, max_tracked)) {}

memory_report_ledger::~memory_report_ledger() = default;

report_outcome memory_report_ledger::report(std::uint64_t reporter, std::uint64_t reported,
                                            time_point now) {
    if (reporter == reported) return report_outcome::ignored_self;
    impl& m = *impl_;
    const std::lock_guard lock(m.mutex);
    const config::abuse_settings& s = m.settings;
    m.sweep(now);

    // The reporter's hour first: past its limit, nothing is counted or kept.
    reporter_entry* by = m.reporters.find(reporter);
    if (by != nullptr) prune(by->reported, reporter_window, now);
    const bool known = by != nullptr && refresh(by->reported, reported, now);
    if (!known) {
        if (by != nullptr && by->reported.size() >= s.max_reports_per_hour)
            return report_outcome::ignored_over_limit;
        m.reporters.touch(reporter).reported.push_back({reported, now});
    }

    reported_entry& e = m.addresses.touch(reported);
    prune(e.reporters, m.window(), now);
    report_outcome outcome = report_outcome::repeated;
    if (!refresh(e.reporters, reporter, now)) {
        e.reporters.push_back({reporter, now});
        // The oldest beyond suspend_threshold no longer decides anything.
        if (e.reporters.size() > s.suspend_threshold) e.reporters.erase(e.reporters.begin());
        outcome = report_outcome::counted;
    }

    const std::size_t n = e.reporters.size();
    if (n >= s.shadow_threshold && now >= e.shadow_until) e.shadow_until = now + s.shadow_duration;
    if (n >= s.suspend_threshold)
        e.shadow_until = std::max(e.shadow_until, m.suspension_end(e) + s.shadow_duration);
    return outcome;
}

address_status memory_report_ledger::status(std::uint64_t address, time_point now) {
    impl& m = *impl_;
    const std::lock_guard lock(m.mutex);
    reported_entry* e = m.addresses.find(address);
    if (e == nullptr) return {};
    prune(e->reporters, m.window(), now);
    address_status out;
    out.reporters = e->reporters.size();
    if (out.reporters >= m.settings.suspend_threshold) {
        out.state = standing::suspended;
        out.retry_after = std::chrono::ceil<milliseconds>(m.suspension_end(*e) - now);
    } else if (now < e->shadow_until) {
        out.state = standing::shadowed;
    }
    return out;
}

void memory_report_ledger::set_settings(const config::abuse_settings& s) {
    const std::lock_guard lock(impl_->mutex);
    impl_->settings = s;
}

void memory_report_ledger::sweep(time_point now) {
    const std::lock_guard lock(impl_->mutex);
    impl_->sweep(now);
}

memory_report_ledger::standings memory_report_ledger::count_standings(time_point now) const {
    const impl& m = *impl_;
    const std::lock_guard lock(m.mutex);
    standings out;
    m.addresses.for_each([&](std::uint64_t, const reported_entry& e) {
        // status() without its pruning: the reporters still within the window.
        const auto live = std::count_if(e.reporters.begin(), e.reporters.end(),
                                        [&](const stamp& x) { return x.at + m.window() > now; });
        if (static_cast<std::uint64_t>(live) >= m.settings.suspend_threshold)
            ++out.suspended;
        else if (now < e.shadow_until)
            ++out.shadowed;
    });
    return out;
}

std::size_t memory_report_ledger::tracked_addresses() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->addresses.size();
}

std::size_t memory_report_ledger::tracked_reporters() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->reporters.size();
}

}  // namespace onymous::abuse
