#pragma once
// The result of one run: named figures, printed as a human table or as one
// JSON object (--json). Keys are stable: bench/smoke and bench/compare read
// them. Nothing here ever holds SDP or candidate text.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace onymous::bench {

class error_tally;

class report {
public:
    /// `label` (--label) tags the JSON object, e.g. with the server's name.
    report(std::string scenario, const std::string& label);

    /// A figure shown with `precision` decimals in the table.
    void number(const std::string& key, const std::string& label, double value,
                const std::string& unit, int precision = 1);
    void integer(const std::string& key, const std::string& label, std::int64_t value,
                 const std::string& unit = "");
    void text(const std::string& key, const std::string& label, const std::string& value);
    /// A sentence under the table; in JSON, an item of "notes".
    void note(const std::string& sentence);
    /// The figures every timed run ends with: the generator's own CPU over
    /// the window (near 100 % means the generator set the pace) and errors.
    void generator_and_errors(double generator_cpu_seconds, double seconds,
                              const error_tally& errors);

    /// One line of JSON, or the table, on stdout.
    void print(bool json) const;

private:
    struct row {
        std::string label;
        std::string shown;
        std::string unit;
    };
    std::string scenario_;
    nlohmann::ordered_json fields_;
    std::vector<row> rows_;
    std::vector<std::string> notes_;
};

/// 1234567.8 as "1,234,567.8" (precision decimals).
std::string with_separators(double value, int precision);

}  // namespace onymous::bench
