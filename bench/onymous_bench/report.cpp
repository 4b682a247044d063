#include "report.hpp"

#include "common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace onymous::bench {

std::string with_separators(double value, int precision) {
    if (!std::isfinite(value)) return "n/a";
    char digits[64];
    std::snprintf(digits, sizeof digits, "%.*f", precision, std::fabs(value));
    std::string text(digits);
    const std::size_t point = std::min(text.find('.'), text.size());
    for (std::size_t at = point; at > 3; at -= 3) text.insert(at - 3, 1, ',');
    if (value < 0) text.insert(0, 1, '-');
    return text;
}

report::report(std::string scenario, const std::string& label) : scenario_(std::move(scenario)) {
    fields_["scenario"] = scenario_;
    if (!label.empty()) {
        fields_["label"] = label;
        scenario_ += " (";
        scenario_ += label;
        scenario_ += ')';
    }
}

void report::number(const std::string& key, const std::string& label, double value,
                    const std::string& unit, int precision) {
    // JSON keeps three more decimals than the table, not float noise.
    const double scale = std::pow(10.0, precision + 3);
    fields_[key] = std::isfinite(value) ? std::round(value * scale) / scale : 0.0;
    rows_.push_back({label, with_separators(value, precision), unit});
}

void report::integer(const std::string& key, const std::string& label, std::int64_t value,
                     const std::string& unit) {
    fields_[key] = value;
    rows_.push_back({label, with_separators(static_cast<double>(value), 0), unit});
}

void report::text(const std::string& key, const std::string& label, const std::string& value) {
    fields_[key] = value;
    rows_.push_back({label, value, ""});
}

void report::note(const std::string& sentence) { notes_.push_back(sentence); }

void report::print(bool json) const {
    if (json) {
        auto out = fields_;
        if (!notes_.empty()) out["notes"] = notes_;
        std::cout << out.dump() << std::endl;
        return;
    }
    std::size_t label_width = 0;
    std::size_t value_width = 0;
    for (const auto& r : rows_) {
        label_width = std::max(label_width, r.label.size());
        value_width = std::max(value_width, r.shown.size());
    }
    std::cout << "onymous-bench " << scenario_ << "\n";
    for (const auto& r : rows_) {
        std::cout << "  " << r.label << std::string(label_width - r.label.size() + 2, ' ')
                  << std::string(value_width - r.shown.size(), ' ') << r.shown;
        if (!r.unit.empty()) std::cout << ' ' << r.unit;
        std::cout << '\n';
    }
    for (const auto& sentence : notes_) std::cout << "  note: " << sentence << '\n';
    std::cout << std::flush;
}

void report::generator_and_errors(double generator_cpu_seconds, double seconds,
                                  const error_tally& errors) {
    number("generator_cpu_percent", "generator (this process) CPU",
           seconds >= 0.1 ? 100.0 * generator_cpu_seconds / seconds : 0.0, "%", 1);
    integer("errors", "errors", static_cast<std::int64_t>(errors.total()));
    if (errors.total() > 0) text("error_kinds", "error kinds", errors.summary());
}

}  // namespace onymous::bench
