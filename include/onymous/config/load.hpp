#pragma once
// Reading and validating onymousd's YAML configuration. Every key is one row
// of one table (server/config/keys.cpp): name, type, bounds, default.

#include <onymous/config/config.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::config {

/// A configuration that cannot be used. what() names the file, the line,
/// the key and what was expected, e.g.
/// `onymousd.yaml:12: limits.max_message_bytes: expected an integer from 1024 to 16777216, got "lots"`.
class config_error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Parses YAML text. `origin` names the source in messages; relative TLS,
/// secret and web paths are resolved against `base_dir` (empty = as given).
settings parse(std::string_view yaml, std::string_view origin, std::string_view base_dir = {});

/// Reads and parses a file; relative paths in it are resolved against the
/// file's directory.
settings load_file(const std::string& path);

/// What is valid but most likely not what the operator meant, one sentence
/// each, for `--check-config` and the start-up log: a plain loopback
/// listener (where a TLS-terminating proxy sits) without trusted_proxies,
/// and per-pairing caps that let a partner fill a reader's outbound queue.
std::vector<std::string> warnings(const settings& s);

/// Parses a duration with a unit: "250ms", "10s", "5m", "1h".
/// Returns false on anything else.
bool parse_duration(std::string_view text, duration& out);

/// Every accepted key in table order, dotted ("limits.burst",
/// "listeners[].port"), sections left out: for documentation checks.
std::vector<std::string> key_names();

}  // namespace onymous::config
