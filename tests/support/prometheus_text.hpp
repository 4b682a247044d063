#pragma once
// A strict parser of the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), stricter
// than Prometheus itself where the format only recommends: every sample
// belongs to a family declared by a TYPE line before it, a family's lines are
// contiguous, HELP and TYPE appear at most once per family, no series
// (name + label set) repeats, and every histogram is consistent (ascending
// `le` buckets with non-decreasing counts, a `+Inf` bucket equal to `_count`,
// and a `_sum`), likewise summaries. Any violation throws
// prometheus_parse_error naming the line.

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::test {

class prometheus_parse_error : public std::runtime_error {
public:
    prometheus_parse_error(int line, const std::string& what)
        : std::runtime_error("line " + std::to_string(line) + ": " + what), line_(line) {}
    int line() const { return line_; }

private:
    int line_;
};

using label_set = std::map<std::string, std::string>;

struct prometheus_sample {
    std::string name;  ///< e.g. "onymous_match_wait_seconds_bucket"
    label_set labels;  ///< unescaped values
    double value = 0;
    std::optional<std::int64_t> timestamp_ms;
    int line = 0;
};

struct prometheus_family {
    std::string name;
    std::string type;                 ///< counter, gauge, histogram, summary or untyped
    std::optional<std::string> help;  ///< unescaped
    std::vector<prometheus_sample> samples;
};

class prometheus_exposition {
public:
    std::vector<prometheus_family> families;

    /// The family called `name`, or nullptr.
    const prometheus_family* family(std::string_view name) const;
    /// The sample `name` with exactly `labels`, or nullptr.
    const prometheus_sample* sample(std::string_view name, const label_set& labels = {}) const;
    /// Its value, or nullopt when there is no such series.
    std::optional<double> value(std::string_view name, const label_set& labels = {}) const;
    /// Its value, or 0 when absent (a counter not yet incremented).
    double value_or_zero(std::string_view name, const label_set& labels = {}) const;
    /// Every sample, of every family.
    std::vector<const prometheus_sample*> all_samples() const;
};

/// Parses a whole /metrics body. Throws prometheus_parse_error.
prometheus_exposition parse_prometheus_text(std::string_view text);

}  // namespace onymous::test
