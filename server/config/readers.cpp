#include "config/readers.hpp"

#include "config/values.hpp"

#include <onymous/config/load.hpp>

#include <algorithm>

namespace onymous::config::detail {

namespace {

// What one item of a list must be, "" when it is fine. Every kind refuses
// the empty text, so item_problem(type, prefixes, "") says what is expected.
std::string item_problem(kind type, std::span<const std::string_view> prefixes,
                         const std::string& text) {
    switch (type) {
    case kind::url_list:
        return has_url_prefix(text, prefixes) ? std::string()
                                              : describe_expected(kind::url, 0, 0, prefixes);
    case kind::origin_list:
        return is_origin(text) ? std::string()
                               : "an origin such as https://chat.example.org (http or https, "
                                 "lower case, no path)";
    case kind::cidr_list:
        switch (check_cidr(text)) {
        case cidr_status::ok: return {};
        case cidr_status::malformed: return "a CIDR such as 10.0.0.0/8 or 2001:db8::/32";
        case cidr_status::host_bits_set:
            return "a CIDR with no address bits set past its prefix length, e.g. "
                   "10.0.0.0/8";
        }
        break;
    default: break;
    }
    return text.empty() ? "a non-empty string" : std::string();
}

}  // namespace

const std::string& scalar(const load_context& ctx, const value_ref& value,
                          std::string_view expected) {
    if (!value.node.IsScalar()) {
        refuse(ctx, value, expected);
    }
    return value.node.Scalar();
}

std::string read_string(const load_context& ctx, const value_ref& value,
                        std::string_view expected) {
    return value.node.IsNull() ? std::string() : scalar(ctx, value, expected);
}

std::uint64_t read_uint(const load_context& ctx, const value_ref& value, std::uint64_t min,
                        std::uint64_t max, std::string_view expected) {
    std::uint64_t number = 0;
    if (!parse_uint(scalar(ctx, value, expected), number) || number < min || number > max) {
        refuse(ctx, value, expected);
    }
    return number;
}

bool read_bool(const load_context& ctx, const value_ref& value, std::string_view expected) {
    const std::string& text = scalar(ctx, value, expected);
    if (text != "true" && text != "false") {
        refuse(ctx, value, expected);
    }
    return text == "true";
}

duration read_duration(const load_context& ctx, const value_ref& value, std::uint64_t min,
                       std::uint64_t max, std::string_view expected) {
    constexpr std::string_view syntax = "a duration with a unit, e.g. 10s";
    duration result{};
    if (!parse_duration(scalar(ctx, value, syntax), result)) {
        refuse(ctx, value, syntax);
    }
    const auto ms = static_cast<std::uint64_t>(result.count());
    if (ms < min || ms > max) {
        refuse(ctx, value, expected);
    }
    return result;
}

std::uint64_t read_choice(const load_context& ctx, const value_ref& value,
                          std::span<const std::string_view> names, std::string_view expected) {
    const std::string& text = scalar(ctx, value, expected);
    const auto found = std::find(names.begin(), names.end(), text);
    if (found == names.end()) {
        refuse(ctx, value, expected);
    }
    return static_cast<std::uint64_t>(found - names.begin());
}

std::vector<std::string> read_list(const load_context& ctx, const value_ref& value, kind type,
                                   std::span<const std::string_view> prefixes,
                                   std::uint64_t max_items, std::string_view expected) {
    std::vector<std::string> items;
    if (value.node.IsNull()) {
        return items;
    }
    if (type == kind::secret && value.node.IsScalar()) {
        if (!value.node.Scalar().empty()) {
            items.push_back(value.node.Scalar());
        }
        return items;
    }
    if (!value.node.IsSequence()) {
        refuse(ctx, value, expected);
    }
    if (type == kind::secret && value.node.size() > max_items) {
        fail(ctx, value.line, value.key,
             "expected " + std::string(expected) + ", got a list of " +
                 std::to_string(value.node.size()));
    }
    for (const YAML::Node& item : value.node) {
        const std::string key = indexed_key(value.key, items.size());
        const value_ref ref{item, key, item.IsNull() ? value.line : line_of(item)};
        const std::string& text = scalar(ctx, ref, item_problem(type, prefixes, ""));
        if (const std::string problem = item_problem(type, prefixes, text); !problem.empty()) {
            refuse(ctx, ref, problem);
        }
        items.push_back(text);
    }
    return items;
}

std::string read_url(const load_context& ctx, const value_ref& value,
                     std::span<const std::string_view> prefixes, std::string_view expected) {
    std::string text = read_string(ctx, value, expected);
    // Not repeated: a redis:// URL may hold a password.
    if (!text.empty() && !has_url_prefix(text, prefixes)) {
        fail(ctx, value.line, value.key,
             "expected " + std::string(expected) + ", got something else (not shown)");
    }
    return text;
}

std::string read_address(const load_context& ctx, const value_ref& value,
                         std::string_view expected) {
    const std::string& text = scalar(ctx, value, expected);
    if (!is_ip_literal(text)) {
        refuse(ctx, value, expected);
    }
    return text;
}

std::string read_fd_name(const load_context& ctx, const value_ref& value,
                         std::string_view expected) {
    const std::string& text = scalar(ctx, value, expected);
    // systemd's own rule for FileDescriptorName= (fdname_is_valid): the
    // names travel colon-separated in LISTEN_FDNAMES.
    const bool valid = text.size() <= 255 && std::all_of(text.begin(), text.end(), [](char c) {
                           return c >= 0x20 && c < 0x7f && c != ':';
                       });
    if (!valid) {
        refuse(ctx, value, expected);
    }
    return text;
}

}  // namespace onymous::config::detail
