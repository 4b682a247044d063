#pragma once
// Latencies in nanoseconds, in a log-linear histogram (64 buckets per power
// of two, so a percentile is within 1.6 % of the recorded value): bounded
// memory whatever the run's length, unlike a vector of every sample.

#include <array>
#include <cstdint>

namespace onymous::bench {

class latency_histogram {
public:
    void record(std::uint64_t ns);
    void merge(const latency_histogram& other);

    std::uint64_t count() const { return count_; }
    std::uint64_t max_ns() const { return max_; }
    double mean_ns() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
    /// The value at quantile q (0..1], clamped to the recorded minimum and
    /// maximum, so that p50 <= p99 <= max always holds; 0 when empty.
    std::uint64_t quantile_ns(double q) const;

private:
    static constexpr int sub_bits = 6;                   // 64 sub-buckets
    static constexpr int linear = 2 << sub_bits;         // 0..127 ns: exact
    static constexpr int octaves = 40 - (sub_bits + 1);  // up to 2^40 ns (18 min)
    static constexpr int buckets = linear + octaves * (1 << sub_bits);
    static int index_of(std::uint64_t ns);
    static std::uint64_t middle_of(int index);

    std::array<std::uint64_t, buckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t min_ = ~std::uint64_t{0};
    std::uint64_t max_ = 0;
};

}  // namespace onymous::bench
