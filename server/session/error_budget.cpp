#include <onymous/session/error_budget.hpp>

#include <algorithm>

namespace onymous::session {

namespace {

constexpr std::size_t ring = error_budget::slots + 1;

std::size_t position(std::int64_t slot) {
    // Slot indexes may be negative for a clock whose epoch is ahead.
    const auto r = static_cast<std::int64_t>(ring);
    return static_cast<std::size_t>(((slot % r) + r) % r);
}

}  // namespace

error_budget::error_budget(std::uint64_t max_errors, std::chrono::milliseconds window)
    : max_errors_(max_errors),
      slot_width_(std::max<std::chrono::nanoseconds>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(window) / slots,
          std::chrono::nanoseconds(1))) {}

void error_budget::advance(std::int64_t slot) {
    if (slot <= head_ && total_ > 0) return;  // same slot (or a clock gone back)
    // Clears the slots between the last one and this one, at most the whole
    // ring: bounded work however long the connection was quiet.
    const auto steps =
        total_ == 0 ? static_cast<std::int64_t>(ring) : std::min<std::int64_t>(slot - head_, ring);
    for (std::int64_t i = 1; i <= steps; ++i) {
        auto& c = counts_[position(head_ + i)];
        total_ -= c;
        c = 0;
    }
    head_ = slot;
}

bool error_budget::spend(time_point now) {
    advance(std::chrono::floor<std::chrono::nanoseconds>(now.time_since_epoch()) / slot_width_);
    ++counts_[position(head_)];
    ++total_;
    return total_ >= max_errors_;
}

}  // namespace onymous::session
