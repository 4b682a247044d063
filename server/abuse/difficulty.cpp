#include <onymous/abuse/difficulty.hpp>

#include <algorithm>

namespace onymous::abuse {

namespace {

constexpr std::int64_t ms_per_second = 1000;

std::int64_t to_ms(join_rate::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// Largest k with base * 2^k <= value, for value >= base >= 1.
unsigned doublings(std::uint64_t value, std::uint64_t base) {
    unsigned k = 0;
    while (base <= value / 2) {
        base *= 2;
        ++k;
    }
    return k;
}

/// Floor division, so that second numbers stay ordered before the epoch.
std::int64_t second_of(std::int64_t ms) {
    return ms >= 0 ? ms / ms_per_second : -((-ms + ms_per_second - 1) / ms_per_second);
}

}  // namespace

void join_rate::advance(std::int64_t second) const {
    if (second <= second_) return;  // the same second, or a clock that went back
    previous_ = second == second_ + 1 ? current_ : 0;
    current_ = 0;
    second_ = second;
}

void join_rate::record(time_point now) {
    const std::lock_guard lock(mutex_);
    advance(second_of(to_ms(now)));
    ++current_;
}

std::uint64_t join_rate::per_second(time_point now) const {
    const std::lock_guard lock(mutex_);
    const std::int64_t ms = to_ms(now);
    advance(second_of(ms));
    if (second_of(ms) < second_) return current_ + previous_;  // clock went back: the whole window
    const auto into = static_cast<std::uint64_t>(ms - second_ * ms_per_second);
    return current_ + previous_ * (ms_per_second - into) / ms_per_second;
}

unsigned load_bits(std::uint64_t joins_per_second, std::uint64_t threshold) {
    threshold = std::max<std::uint64_t>(threshold, 1);
    if (joins_per_second < threshold) return 0;
    return doublings(joins_per_second, threshold);
}

unsigned skip_bits(std::uint64_t skips, std::uint64_t skips_per_minute) {
    if (skips_per_minute == 0) return 0;
    const std::uint64_t half = std::max<std::uint64_t>(1, skips_per_minute / 2);
    if (skips < half) return 0;
    return 1 + doublings(skips, half);
}

unsigned difficulty(const config::abuse_settings& s, std::uint64_t joins_per_second,
                    const address_pressure& address) {
    if (s.pow_bits == 0) return 0;
    // Every term is at most 64; the sum cannot overflow before the cap.
    const std::uint64_t reports = std::min<std::uint64_t>(address.reporters, 64);
    const std::uint64_t bits = s.pow_bits + load_bits(joins_per_second, s.pow_load_threshold) +
                               reports + skip_bits(address.skips, s.skips_per_minute);
    return static_cast<unsigned>(std::min(bits, s.pow_max_bits));
}

}  // namespace onymous::abuse
