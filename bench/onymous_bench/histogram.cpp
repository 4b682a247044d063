#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace onymous::bench {

int latency_histogram::index_of(std::uint64_t ns) {
    if (ns < static_cast<std::uint64_t>(linear)) return static_cast<int>(ns);
    const int top = std::bit_width(ns) - 1;  // >= sub_bits + 1
    const int shift = top - sub_bits;
    const int octave = top - (sub_bits + 1);
    const int sub = static_cast<int>(ns >> shift) - (1 << sub_bits);
    return std::min(linear + octave * (1 << sub_bits) + sub, buckets - 1);
}

std::uint64_t latency_histogram::middle_of(int index) {
    if (index < linear) return static_cast<std::uint64_t>(index);
    const int octave = (index - linear) >> sub_bits;
    const int sub = (index - linear) & ((1 << sub_bits) - 1);
    const int shift = octave + 1;
    const std::uint64_t low = static_cast<std::uint64_t>((1 << sub_bits) + sub) << shift;
    return low + ((std::uint64_t{1} << shift) >> 1);
}

void latency_histogram::record(std::uint64_t ns) {
    ++counts_[static_cast<std::size_t>(index_of(ns))];
    ++count_;
    sum_ += ns;
    min_ = std::min(min_, ns);
    max_ = std::max(max_, ns);
}

void latency_histogram::merge(const latency_histogram& other) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

std::uint64_t latency_histogram::quantile_ns(double q) const {
    if (count_ == 0) return 0;
    const auto rank = static_cast<std::uint64_t>(
        std::clamp(std::ceil(q * static_cast<double>(count_)), 1.0, static_cast<double>(count_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) return std::clamp(middle_of(static_cast<int>(i)), min_, max_);
    }
    return max_;
}

}  // namespace onymous::bench
