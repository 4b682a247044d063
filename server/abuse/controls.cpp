#include <onymous/abuse/controls.hpp>

#include <openssl/rand.h>

#include <stdexcept>

namespace onymous::abuse {

namespace {

address::hash_key random_address_key() {
    address::hash_key key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
        throw std::runtime_error("abuse: the random generator failed");
    return key;
}

void count(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

controls::controls(const config::abuse_settings& s, const pow_key& pow,
                   const address::hash_key& address, std::int64_t day)
    : settings_(s),
      pow_on_(s.pow_bits > 0),
      hasher_(address, day),
      ledger_(s, tracked_addresses_max),
      throttle_(s.skips_per_minute, tracked_addresses_max),
      pow_(pow, s.pow_ttl) {}

controls::controls(const config::abuse_settings& s)
    : controls(s, random_pow_key(), random_address_key(),
               address_hasher::day_of(std::chrono::system_clock::now())) {}

void controls::configure(const config::abuse_settings& s) {
    {
        const std::lock_guard lock(mutex_);
        settings_ = s;
    }
    pow_on_.store(s.pow_bits > 0, std::memory_order_relaxed);
    ledger_.set_settings(s);
    throttle_.set_limit(s.skips_per_minute);
    pow_.set_ttl(s.pow_ttl);
}

config::abuse_settings controls::settings() const {
    const std::lock_guard lock(mutex_);
    return settings_;
}

std::uint64_t controls::hash(const address::ip& client, wall_time now) {
    const std::uint64_t h = hasher_.hash(client, now);
    return h == 0 ? 1 : h;  // 0 stays "not known"
}

skip_decision controls::on_next(std::uint64_t address, time_point now) {
    if (address == 0) return {};
    const skip_decision d = throttle_.on_next(address, now);
    if (!d.allowed) count(counters_.skips_refused_total);
    // Off (skips_per_minute 0) counts nothing here, so nothing crosses either.
    if (throttle_.on()) {
        const std::lock_guard lock(sink_mutex_);
        if (sink_ != nullptr) sink_->skipped(address);
    }
    return d;
}

void controls::share_with(event_sink* sink) {
    const std::lock_guard lock(sink_mutex_);
    sink_ = sink;
}

void controls::count_elsewhere_skip(std::uint64_t address, time_point now) {
    if (address != 0) throttle_.on_next(address, now);
}

void controls::count_elsewhere_report(std::uint64_t reporter, std::uint64_t reported,
                                      time_point at) {
    if (reporter != 0 && reported != 0) ledger_.report(reporter, reported, at);
}

address_status controls::status(std::uint64_t address, time_point now) {
    if (address == 0) return {};
    return ledger_.status(address, now);
}

report_outcome controls::report(std::uint64_t reporter, std::uint64_t reported, time_point now) {
    if (reporter == 0 || reported == 0) {
        count(counters_.reports_ignored_unknown_total);
        return report_outcome::ignored_self;
    }
    const report_outcome outcome = ledger_.report(reporter, reported, now);
    switch (outcome) {
    case report_outcome::counted: count(counters_.reports_counted_total); break;
    case report_outcome::repeated: count(counters_.reports_repeated_total); break;
    case report_outcome::ignored_over_limit:
        count(counters_.reports_ignored_over_limit_total);
        break;
    case report_outcome::ignored_self: count(counters_.reports_ignored_self_total); break;
    }
    // A repeat refreshes the report's time, on every node as here.
    if (outcome == report_outcome::counted || outcome == report_outcome::repeated) {
        const std::lock_guard lock(sink_mutex_);
        if (sink_ != nullptr) sink_->reported(reporter, reported);
    }
    return outcome;
}

std::optional<challenge> controls::issue(std::uint64_t address, time_point now) {
    const config::abuse_settings s = settings();
    if (s.pow_bits == 0) return std::nullopt;
    address_pressure pressure;
    if (address != 0) {
        pressure.reporters = ledger_.status(address, now).reporters;
        pressure.skips = throttle_.recent_skips(address, now);
    }
    const unsigned bits = difficulty(s, joins_.per_second(now), pressure);
    return pow_.issue(bits, static_cast<unsigned>(s.pow_count), now);
}

proof_result controls::check(std::string_view prefix, std::span<const std::string> proof,
                             time_point now) {
    const proof_result result = pow_.check(prefix, proof, now);
    if (result != proof_result::ok) count(counters_.proofs_total[static_cast<std::size_t>(result)]);
    return result;
}

void controls::count_redeemed() {
    count(counters_.proofs_total[static_cast<std::size_t>(proof_result::ok)]);
}

}  // namespace onymous::abuse
