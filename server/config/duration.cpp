#include "config/values.hpp"

#include <onymous/config/load.hpp>

#include <array>
#include <limits>

namespace onymous::config {

namespace {

struct unit {
    std::string_view suffix;
    std::int64_t milliseconds;
};

// Longest first, so that format_duration picks the coarsest exact unit.
constexpr std::array<unit, 4> units{{{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

}  // namespace

bool parse_duration(std::string_view text, duration& out) {
    std::size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        ++digits;
    }
    std::uint64_t count = 0;
    if (digits == 0 || !detail::parse_uint(text.substr(0, digits), count)) {
        return false;
    }
    const std::string_view suffix = text.substr(digits);
    for (const unit& u : units) {
        if (suffix != u.suffix) {
            continue;
        }
        constexpr auto max_ms =
            static_cast<std::uint64_t>(std::numeric_limits<duration::rep>::max());
        if (count > max_ms / static_cast<std::uint64_t>(u.milliseconds)) {
            return false;
        }
        out = duration(static_cast<duration::rep>(count) * u.milliseconds);
        return true;
    }
    return false;
}

namespace detail {

std::string format_duration(duration d) {
    const auto ms = d.count();
    if (ms == 0) {
        return "0s";
    }
    for (const unit& u : units) {
        if (ms % u.milliseconds == 0) {
            return std::to_string(ms / u.milliseconds) + std::string(u.suffix);
        }
    }
    return std::to_string(ms) + "ms";
}

}  // namespace detail

}  // namespace onymous::config
