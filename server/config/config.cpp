#include <onymous/config/config.hpp>

#include <algorithm>

namespace onymous::config {

bool settings::needs_tls() const {
    return std::any_of(listeners.begin(), listeners.end(), [](const listener& l) { return l.tls; });
}

}  // namespace onymous::config
