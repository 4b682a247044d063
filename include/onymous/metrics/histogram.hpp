#pragma once
// A Prometheus histogram that many threads observe into without a lock:
// one relaxed atomic per bucket, plus the count and the sum. A scrape reads
// them one by one, so it may see an observation in the count but not yet in
// its bucket; Prometheus tolerates that, and nothing here needs more.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace onymous::metrics {

/// `bounds_us`: the buckets' upper bounds in microseconds, ascending; the
/// +Inf bucket is implicit (the count).
template <std::size_t N>
class histogram {
public:
    explicit constexpr histogram(const std::array<std::uint64_t, N>& bounds_us)
        : bounds_(bounds_us) {}

    void observe(std::chrono::nanoseconds elapsed) {
        // A clock step backwards counts as zero, never as a huge unsigned.
        const auto ns =
            static_cast<std::uint64_t>(std::max<std::chrono::nanoseconds::rep>(0, elapsed.count()));
        const auto us = ns / 1000;
        // Buckets are cumulative in the text format; here each holds only
        // its own range, and the renderer adds them up.
        std::size_t i = 0;
        while (i < N && us > bounds_[i]) ++i;
        if (i < N) counts_[i].fetch_add(1, std::memory_order_relaxed);
        count_.fetch_add(1, std::memory_order_relaxed);
        sum_ns_.fetch_add(ns, std::memory_order_relaxed);
    }

    static constexpr std::size_t size() { return N; }
    std::uint64_t bound_us(std::size_t i) const { return bounds_[i]; }
    /// Observations in bucket i alone (not cumulative).
    std::uint64_t in_bucket(std::size_t i) const {
        return counts_[i].load(std::memory_order_relaxed);
    }
    std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
    std::uint64_t sum_ns() const { return sum_ns_.load(std::memory_order_relaxed); }

private:
    std::array<std::uint64_t, N> bounds_;
    std::array<std::atomic<std::uint64_t>, N> counts_{};
    std::atomic<std::uint64_t> count_{0};
    std::atomic<std::uint64_t> sum_ns_{0};
};

}  // namespace onymous::metrics
