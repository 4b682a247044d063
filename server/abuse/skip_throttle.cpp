#include <onymous/abuse/skip_throttle.hpp>

#include "abuse/lru_table.hpp"

#include <algorithm>
#include <mutex>

namespace onymous::abuse {

skip_decision skip_window::on_next(std::uint64_t limit, time_point now) {
    if (limit == 0) return {};
    if (idle(now)) *this = skip_window{now};
    if (now < blocked_until || skips >= limit) {
        // The first refusal: until the minute ends. Later ones: twice the last.
        const milliseconds retry =
            refusals == 0
                ? std::max(milliseconds(1), std::chrono::ceil<milliseconds>(start + window - now))
                : std::min(max_retry, last_retry * 2);
        ++refusals;
        last_retry = retry;
        blocked_until = now + retry;
        return {false, retry};
    }
    ++skips;
    return {};
}

bool skip_window::idle(time_point now) const {
    return now >= start + window && now >= blocked_until;
}

std::uint64_t skip_window::recent_skips(time_point now) const {
    return now < start + window ? skips : 0;
}

struct skip_throttle::impl {
    impl(std::uint64_t limit, std::size_t max_tracked) : limit(limit), windows(max_tracked) {}

    mutable std::mutex mutex;
    std::uint64_t limit;
    detail::lru_table<skip_window> windows;
};

skip_throttle::skip_throttle(std::uint64_t skips_per_minute, std::size_t max_tracked)
    : impl_(std::make_unique<impl>(skips_per_minute, max_tracked)) {}

skip_throttle::~skip_throttle() = default;

skip_decision skip_throttle::on_next(std::uint64_t address, time_point now) {
    const std::lock_guard lock(impl_->mutex);
    if (impl_->limit == 0) return {};
    impl_->windows.sweep([now](const skip_window& w) { return w.idle(now); });
    skip_window& w = impl_->windows.touch(address);
    // A new entry is idle (its minute is long over): on_next starts it at now.
    return w.on_next(impl_->limit, now);
}

std::uint64_t skip_throttle::recent_skips(std::uint64_t address, time_point now) const {
    const std::lock_guard lock(impl_->mutex);
    const skip_window* w = impl_->windows.peek(address);
    return w == nullptr ? 0 : w->recent_skips(now);
}

bool skip_throttle::on() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->limit != 0;
}

void skip_throttle::set_limit(std::uint64_t skips_per_minute) {
    const std::lock_guard lock(impl_->mutex);
    impl_->limit = skips_per_minute;
    if (skips_per_minute == 0) impl_->windows.clear();
}

void skip_throttle::sweep(time_point now) {
    const std::lock_guard lock(impl_->mutex);
    impl_->windows.sweep([now](const skip_window& w) { return w.idle(now); });
}

std::size_t skip_throttle::tracked() const {
    const std::lock_guard lock(impl_->mutex);
    return impl_->windows.size();
}

}  // namespace onymous::abuse
