#pragma once
// The scenarios of onymous-bench; each prints its report and returns the
// process's exit status (0, or 1 when the run had errors).

#include "options.hpp"

namespace onymous::bench {

int run_idle(const options& opts);
int run_handshake(const options& opts);
int run_relay(const options& opts);
int run_churn(const options& opts);

}  // namespace onymous::bench
