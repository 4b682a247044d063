#pragma once
// The complete, commented configuration with every default: config/onymousd.yaml,
// compiled in (CMakeLists.txt). `onymousd --print-default-config` prints it.

#include <string_view>

namespace onymous::config {

/// Every key with its default and a comment. Listeners, TLS paths, the
/// example URLs in comments and the commented-out cluster section are
/// examples; the text says so where they stand.
std::string_view default_config_text();

}  // namespace onymous::config
