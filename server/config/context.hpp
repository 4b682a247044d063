#pragma once
// What every step of loading shares: where the text came from, where each key
// was set, and how a refusal is worded ("file:line: key: expected ..., got ...").

#include <yaml-cpp/yaml.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace onymous::config::detail {

struct load_context {
    std::string origin;    ///< the file name as given, for messages
    std::string base_dir;  ///< relative paths resolve against this (empty = as given)
    int root_line = 1;     ///< line of the top-level mapping
    /// Dotted key (listeners[1].port) -> 1-based line where it was set.
    std::map<std::string, int, std::less<>> lines;

    /// The line where `key` was set, or `fallback` if it was not.
    int line_of(std::string_view key, int fallback) const;
    /// True when the file set `key`.
    bool has(std::string_view key) const { return lines.contains(key); }
};

/// Throws config_error "origin:line: key: what" (key and line left out when empty/unknown).
[[noreturn]] void fail(const load_context& ctx, int line, std::string_view key,
                       std::string_view what);

/// A value being read: its node, its dotted key and the line to blame.
struct value_ref {
    const YAML::Node& node;
    std::string_view key;
    int line;
};

/// Throws "expected <expected>, got <what the node is>".
[[noreturn]] void refuse(const load_context& ctx, const value_ref& value,
                         std::string_view expected);

/// The node's 1-based line, 0 when yaml-cpp does not know it.
int line_of(const YAML::Node& node);

/// How a node reads in "got ...": a quoted scalar, "a list", "a mapping" or "nothing".
std::string describe(const YAML::Node& node);

/// `text` in double quotes, escaped and shortened so a message stays one line.
std::string quote(std::string_view text);

/// "a.b" from "a" and "b"; either may be empty.
std::string join_key(std::string_view prefix, std::string_view leaf);

/// "a[2]": the key of a list item.
std::string indexed_key(std::string_view key, std::size_t index);

}  // namespace onymous::config::detail
