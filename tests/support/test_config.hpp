#pragma once
// The daemon configuration the end-to-end tests start from, as a JSON tree
// (edited with dotted-key overrides) written out as block YAML, so that a
// failing test's config file reads like an operator's.

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace onymous::test {

using config_tree = nlohmann::ordered_json;

/// One change to the base config: `key` is dotted ("limits.ping_interval");
/// a null `value` removes the key (so that the daemon's default applies).
struct config_override {
    std::string key;
    config_tree value;
};

/// The base test config: a TLS and a plain listener and the admin listener,
/// all on 127.0.0.1 port 0; the shared test certificate; rate limits and the
/// error budget so high that they never interfere; per-address limits off;
/// debug logging (so that the privacy test sees every log line); short drain.
config_tree base_config();

/// Applies `overrides` in order to `tree`, creating intermediate maps.
void apply_overrides(config_tree& tree, const std::vector<config_override>& overrides);

/// Block YAML for a tree: maps as indented blocks (one key per line), every
/// other value in flow style (JSON is valid YAML flow).
std::string to_yaml(const config_tree& tree);

}  // namespace onymous::test
