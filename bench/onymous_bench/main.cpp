// onymous-bench: the load generator of docs/performance.md (issue 11).
// `onymous-bench --help` lists the scenarios and options.

#include "options.hpp"
#include "scenarios.hpp"

#include <csignal>
#include <exception>
#include <iostream>
#include <stdexcept>

int main(int argc, char** argv) {
    using namespace onymous::bench;
    // Writes to a closed pipe or socket are errors to handle, not a signal.
    std::signal(SIGPIPE, SIG_IGN);
    options opts;
    try {
        if (!parse_options(argc, argv, opts)) return 0;
    } catch (const std::invalid_argument& e) {
        std::cerr << "onymous-bench: " << e.what()
                  << "\n(onymous-bench --help lists the options)\n";
        return 2;
    }
    try {
        if (opts.scenario == "idle") return run_idle(opts);
        if (opts.scenario == "handshake") return run_handshake(opts);
        if (opts.scenario == "relay") return run_relay(opts);
        return run_churn(opts);
    } catch (const std::exception& e) {
        std::cerr << "onymous-bench " << opts.scenario << ": " << e.what() << "\n";
        return 1;
    }
}
