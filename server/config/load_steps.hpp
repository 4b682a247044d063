#pragma once
// The steps of parse(), each in its own translation unit: walking the YAML
// against the key tables, then the checks that span several keys.

#include "config/context.hpp"

#include <onymous/config/config.hpp>

#include <string>
#include <system_error>

namespace onymous::config::detail {

/// Sets every key of the top-level mapping into `out`: refuses unknown and
/// duplicate keys and values of the wrong type or out of bounds.
void read_settings(load_context& ctx, const YAML::Node& root, settings& out);

/// Checks across keys, resolves relative paths and reads ice.turn.secret_file.
void finish(const load_context& ctx, settings& out);

/// `path` resolved against `base_dir` unless it is empty or absolute.
std::string resolve_path(const std::string& base_dir, const std::string& path);

/// Reads a whole file; the error says why it could not.
std::error_code read_text_file(const std::string& path, std::string& out);

}  // namespace onymous::config::detail
