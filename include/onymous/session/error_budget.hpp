#pragma once
// limits.max_errors: how many refused messages a connection may cause within
// a window (10 s) before it is closed with 1008.
//
// O(1) memory whatever max_errors is: errors are counted in `slots` time
// slots of window/slots each, in a ring of slots + 1. The errors counted are
// those of the current slot and the `slots` before it, so every error of the
// last `window` counts, and none older than window + window/slots (10.5 s by
// default). A flood is thus never forgiven early; at worst an error is
// remembered half a second too long.

#include <array>
#include <chrono>
#include <cstdint>

namespace onymous::session {

class error_budget {
public:
    using time_point = std::chrono::steady_clock::time_point;
    static constexpr std::size_t slots = 20;

    error_budget(std::uint64_t max_errors, std::chrono::milliseconds window);

    /// Records one error at `now`; true when the budget is now spent.
    bool spend(time_point now);
    /// Errors currently counted, as of the last spend().
    std::uint64_t counted() const { return total_; }

private:
    /// Moves the ring to the slot of `now`, forgetting slots that left it.
    void advance(std::int64_t slot);

    std::uint64_t max_errors_;
    std::chrono::nanoseconds slot_width_;
    std::array<std::uint64_t, slots + 1> counts_{};
    std::int64_t head_ = 0;  ///< slot index of `now` at the last spend()
    std::uint64_t total_ = 0;
};

}  // namespace onymous::session
