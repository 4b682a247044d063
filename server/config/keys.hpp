#pragma once
// THE table: every configuration key is one row (dotted name, type, bounds and
// a setter into the struct whose defaults are the key's defaults), after
// Redis's src/config.c. Listener items have a table of their own.

#include <onymous/config/config.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace onymous::config::detail {

enum class kind {
    section,        ///< a mapping of further keys; setter: on_present or none
    uint,           ///< integer in [min, max]
    boolean,        ///< true | false
    string,         ///< any scalar; empty value = ""
    path,           ///< a string resolved against the config file's directory later
    ip_address,     ///< IPv4 or IPv6 literal
    fd_name,        ///< a systemd FileDescriptorName=: 1-255 printable ASCII, no ':'
    choice,         ///< one of `choices`; setter gets the index
    duration,       ///< "<integer><unit>" in [min, max] milliseconds
    url,            ///< a string starting with one of `choices`, or empty
    url_list,       ///< strings starting with one of `choices`
    origin_list,    ///< browser origins
    cidr_list,      ///< networks such as 10.0.0.0/8
    secret,         ///< a string, or a list of at most `max` strings
    listener_list,  ///< a non-empty list of listener mappings
};

template <class Target>
using setter =
    std::variant<std::monostate, void (*)(Target&), void (*)(Target&, std::uint64_t),
                 void (*)(Target&, bool), void (*)(Target&, std::string),
                 void (*)(Target&, duration), void (*)(Target&, std::vector<std::string>),
                 void (*)(Target&, std::vector<listener>)>;

template <class Target>
struct key_row {
    std::string_view name;  ///< dotted, relative to Target
    kind type;
    std::uint64_t min = 0;  ///< uint: value; duration: milliseconds
    std::uint64_t max = 0;  ///< uint: value; duration: milliseconds; secret: count
    std::span<const std::string_view> choices{};  ///< choice: names; url(_list): prefixes
    setter<Target> set{};
};

/// Every key of the settings struct, sections included.
std::span<const key_row<settings>> settings_keys();

/// The keys of one `listeners` item.
std::span<const key_row<listener>> listener_keys();

/// What a row accepts, as it follows "expected ": "an integer from 1 to 10".
std::string describe_expected(kind type, std::uint64_t min, std::uint64_t max,
                              std::span<const std::string_view> choices);

template <class Target>
std::string describe_expected(const key_row<Target>& row) {
    return describe_expected(row.type, row.min, row.max, row.choices);
}

}  // namespace onymous::config::detail
