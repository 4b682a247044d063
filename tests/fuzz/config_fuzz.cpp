// libFuzzer target for the config loader, config::parse() (tests/fuzz/CMakeLists.txt,
// docs/testing.md). A refusal is a config_error; anything else escaping, a crash or a
// sanitizer report is a finding. Properties: a refusal names its origin first and says
// something; a config that parses parses again, under another name, to an equal settings,
// and holds the checks that span several keys.
//
// yaml-cpp 0.7's LoadAll() (Debian 12) loops for ever on inputs such as ","
// (jbeder/yaml-cpp#1040), which this target found; load.cpp no longer calls it, and
// the seed corpus keeps such an input.
//
// The only file parse() reads is ice.turn.secret_file. Relative ones resolve against
// tests/fuzz/config_files/ (secret files the seeds name). An input whose secret_file is
// something else than a missing file, a directory or a small regular file outside /proc and
// /sys (/dev/zero, a FIFO) is skipped: reading it would hang or exhaust memory, which says
// nothing about the parser.
#include <onymous/config/load.hpp>

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

using namespace onymous::config;
namespace fs = std::filesystem;

namespace {

const std::string files_dir = ONYMOUS_FUZZ_CONFIG_FILES;
constexpr std::string_view origin = "fuzz.yaml";
constexpr std::uintmax_t max_secret_file_bytes = 1 << 20;

void require(bool condition, const char* property) {
    if (!condition) {
        std::fprintf(stderr, "property broken: %s\n", property);
        std::abort();
    }
}

// The values of `name` in the mapping `map`, as the key walk matches keys (duplicates
// included: parse() refuses them, but later).
std::vector<YAML::Node> values_of(const YAML::Node& map, std::string_view name) {
    std::vector<YAML::Node> out;
    if (!map.IsMap()) return out;
    for (const auto& pair : map) {
        if (pair.first.IsScalar() && pair.first.Scalar() == name) out.push_back(pair.second);
    }
    return out;
}

// Whether reading `path` as parse() would (resolved as finish() resolves it) is harmless.
bool harmless_to_read(const std::string& path) {
    if (path.empty()) return true;
    fs::path resolved(path);
    if (resolved.is_relative()) resolved = (fs::path(files_dir) / resolved).lexically_normal();
    std::error_code error;
    const fs::file_status status = fs::status(resolved, error);
    // Missing, or unreachable (a loop, a name too long): the read fails the same way.
    if (error || fs::is_directory(status)) return true;
    if (!fs::is_regular_file(status)) return false;
    const std::string real = fs::weakly_canonical(resolved, error).string();
    if (error || real.starts_with("/proc/") || real.starts_with("/sys/")) return false;
    const std::uintmax_t size = fs::file_size(resolved, error);
    return !error && size <= max_secret_file_bytes;
}

bool secret_files_harmless(const std::string& yaml) {
    YAML::Node root;
    try {
        root = YAML::Load(yaml);  // a second document is refused before any file is read
    } catch (const YAML::Exception&) {
        return true;  // refused before any file is read
    }
    for (const auto& ice : values_of(root, "ice")) {
        for (const auto& turn : values_of(ice, "turn")) {
            for (const auto& file : values_of(turn, "secret_file")) {
                if (file.IsScalar() && !harmless_to_read(file.Scalar())) return false;
            }
        }
    }
    return true;
}

void check_refusal(const config_error& error) {
    const std::string_view what = error.what();
    require(what.starts_with(std::string(origin) + ":"), "a refusal starts with its origin");
    require(what.size() > origin.size() + 2, "a refusal says what is wrong");
}

// The checks of server/config/finish.cpp, seen from outside.
void check_accepted(const settings& s) {
    require(!s.listeners.empty(), "at least one listener");
    for (std::size_t j = 0; j < s.listeners.size(); ++j) {
        for (std::size_t i = 0; i < j; ++i) {
            const auto& a = s.listeners[i];
            const auto& b = s.listeners[j];
            require(b.port == 0 || a.port != b.port || a.address != b.address,
                    "no two listeners on one address and port");
        }
    }
    if (s.needs_tls()) {
        require(!s.tls.certificate.empty() && !s.tls.private_key.empty(),
                "TLS listeners have a certificate and a key");
    }
    for (const std::string* path : {&s.tls.certificate, &s.tls.private_key, &s.web.root}) {
        require(path->empty() || fs::path(*path).is_absolute(), "paths are resolved");
    }
    const limits_settings& l = s.limits;
    require(l.max_sdp_bytes <= l.max_message_bytes, "max_sdp_bytes <= max_message_bytes");
    require(l.max_outbound_bytes >= l.max_message_bytes, "max_outbound_bytes >= max_message_bytes");
    require(l.ping_interval < l.idle_timeout, "ping_interval < idle_timeout");
    if (s.cluster) {
        require(s.cluster->heartbeat_interval < s.cluster->node_timeout,
                "heartbeat_interval < node_timeout");
    }
    const turn_settings& turn = s.ice.turn;
    require(turn.secrets.size() <= 2, "at most two TURN secrets");
    require(turn.urls.empty() || !turn.secrets.empty(), "TURN URLs come with a secret");
    require(s.ice.privacy != ice_privacy::relay_only || !turn.urls.empty(),
            "relay_only comes with TURN URLs");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string yaml(reinterpret_cast<const char*>(data), size);
    // Skipped inputs (-1) are not added to the corpus.
    if (!secret_files_harmless(yaml)) return -1;
    try {
        settings first;
        try {
            first = parse(yaml, origin, files_dir);
        } catch (const config_error& error) {
            check_refusal(error);
            return 0;
        }
        check_accepted(first);
        settings again;
        try {
            again = parse(yaml, "again.yaml", files_dir);
        } catch (const config_error&) {
            require(false, "what parsed once parses again");
        }
        require(again == first, "the same text parses to the same settings");
    } catch (const std::exception& error) {
        std::fprintf(stderr, "parse() let through something else than a refusal: %s\n",
                     error.what());
        std::abort();
    }
    return 0;
}
