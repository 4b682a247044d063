#include <onymous/relay/token_bucket.hpp>

#include <algorithm>

namespace onymous::relay {

namespace {

/// Units of one token: one per nanosecond at one token per second.
constexpr std::uint64_t unit = 1'000'000'000;

std::uint64_t clamp_value(std::uint64_t v) {
    return std::clamp<std::uint64_t>(v, 1, token_bucket::max_value);
}

}  // namespace

token_bucket::token_bucket(std::uint64_t rate, std::uint64_t burst, time_point now)
    : rate_(clamp_value(rate)),
      capacity_(clamp_value(burst) * unit),
      level_(capacity_),
      last_(now) {}

void token_bucket::refill(time_point now) {
    // A clock that went back (it cannot, for steady_clock) refills nothing.
    if (now <= last_) return;
    const auto elapsed = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - last_).count());
    last_ = now;
    // Compare before multiplying: after hours of silence elapsed * rate
    // would overflow, and the bucket is full long before that.
    const std::uint64_t room = capacity_ - level_;
    if (elapsed >= room / rate_ + 1) {
        level_ = capacity_;
        return;
    }
    level_ += std::min(room, elapsed * rate_);
}

bool token_bucket::try_take(time_point now) {
    refill(now);
    if (level_ < unit) return false;
    level_ -= unit;
    return true;
}

std::uint64_t token_bucket::available(time_point now) {
    refill(now);
    return level_ / unit;
}

}  // namespace onymous::relay
