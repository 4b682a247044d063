// onymousd: anonymous random-chat signaling and matchmaking daemon.

#include "app/daemon.hpp"
#include "app/malloc_tuning.hpp"
#include "app/probe.hpp"

#include <onymous/config/default_config.hpp>
#include <onymous/config/load.hpp>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace {

constexpr const char* default_config_path = "/etc/onymous/onymousd.yaml";

void print_usage(std::FILE* to) {
    std::fprintf(to,
                 "usage: onymousd [--config FILE] [--ready-file FILE]\n"
                 "       onymousd --check-config FILE\n"
                 "       onymousd --probe URL\n"
                 "       onymousd --print-default-config\n"
                 "       onymousd --version | --help\n"
                 "\n"
                 "  --config FILE        run with FILE (default %s)\n"
                 "  --check-config FILE  validate FILE, its TLS certificate and key; exit 0 or 1\n"
                 "  --ready-file FILE    once listening, write the bound ports to FILE as JSON\n"
                 "  --probe URL          GET http://HOST:PORT/PATH (e.g. the admin /healthz);\n"
                 "                       exit 0 on 200 within 3 s, else 1 (2: not an http URL)\n"
                 "  --print-default-config\n"
                 "                       print a complete configuration with every default\n"
                 "  --version            print the version\n"
                 "  --help               print this help\n",
                 default_config_path);
}

/// Centrifugo's `defaultconfig`: a file to start from, commented, every key
/// with its default (`onymousd --print-default-config > onymousd.yaml`).
int print_default_config() {
    const std::string_view text = onymous::config::default_config_text();
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
        std::fprintf(stderr, "onymousd: cannot write the default configuration\n");
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path = default_config_path;
    std::string check_path;
    std::optional<std::string> probe_url;  // set even when empty: "" is a bad URL, not "no probe"
    onymous::app::run_options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--help" || arg == "-h") {
            print_usage(stdout);
            return 0;
        } else if (arg == "--version" || arg == "-v") {
            std::printf("onymousd %s\n", ONYMOUS_VERSION);
            return 0;
        } else if (arg == "--print-default-config") {
            return print_default_config();
        } else if (arg == "--config" && has_value) {
            config_path = argv[++i];
        } else if (arg == "--check-config" && has_value) {
            check_path = argv[++i];
        } else if (arg == "--probe" && has_value) {
            probe_url = argv[++i];
        } else if (arg == "--ready-file" && has_value) {
            options.ready_file = argv[++i];
        } else {
            std::fprintf(stderr, "onymousd: unknown or incomplete argument: %s\n\n", argv[i]);
            print_usage(stderr);
            return 2;
        }
    }
    if (probe_url) return onymous::app::probe(*probe_url);
    if (!check_path.empty()) return onymous::app::check_config(check_path);
    onymous::app::tune_malloc(argv);  // may start this program again, once

    onymous::config::settings settings;
    try {
        settings = onymous::config::load_file(config_path);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "onymousd: %s\n", e.what());
        return 1;
    }
    options.config_path = config_path;  // read again on SIGHUP
    return onymous::app::run_daemon(settings, options);
}
