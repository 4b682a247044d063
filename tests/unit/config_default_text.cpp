// The text `onymousd --print-default-config` prints (config/onymousd.yaml,
// compiled in) and the Debian package's /etc/onymous/onymousd.yaml
// (config/package.yaml) hold every key of the table with its default, so
// that a key added to server/config/keys.cpp fails here until both files
// have it, and a default changed in the code fails here until both say so.
#include "../../server/config/keys.hpp"
#include "config_test_support.hpp"

#include <onymous/config/default_config.hpp>

#include <yaml-cpp/yaml.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

using namespace onymous::config;

namespace {

const std::string source_dir = ONYMOUS_SOURCE_DIR;
constexpr std::string_view default_file = "config/onymousd.yaml";
constexpr std::string_view package_file = "config/package.yaml";
constexpr std::string_view cluster_marker = "# cluster:";

std::string read_source(std::string_view relative) {
    std::ifstream in(source_dir + "/" + std::string(relative));
    REQUIRE(in.good());
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

/// The text with the "# " of every line from `cluster_marker` on removed: the
/// cluster section stays commented out in both files (a present section turns
/// clustering on), but its keys must be there too.
std::string with_cluster_uncommented(const std::string& text) {
    const auto start = text.find(cluster_marker);
    REQUIRE(start != std::string::npos);
    std::string out = text.substr(0, start);
    std::istringstream rest(text.substr(start));
    for (std::string line; std::getline(rest, line);) {
        out += (line.starts_with("# ") ? line.substr(2) : line) + "\n";
    }
    return out;
}

/// The node at a dotted name, or an invalid node. `node` is const so that
/// yaml-cpp's operator[] looks without inserting.
YAML::Node find(const YAML::Node& root, std::string_view dotted) {
    YAML::Node node = root;
    while (!dotted.empty()) {
        const auto dot = dotted.find('.');
        const std::string part(dotted.substr(0, dot));
        if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
        const YAML::Node& map = node;
        const YAML::Node child = map[part];
        if (!child.IsDefined()) return child;
        node.reset(child);
        dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
    }
    return node;
}

/// Every key of the table (and of a listener item, when `listener_items`)
/// that `text` does not have, in table order.
std::vector<std::string> missing_keys(const std::string& text, bool listener_items) {
    const YAML::Node root = YAML::Load(with_cluster_uncommented(text));
    std::vector<std::string> missing;
    for (const auto& row : detail::settings_keys()) {
        const YAML::Node node = find(root, row.name);
        if (!node.IsDefined()) {
            missing.emplace_back(row.name);
            continue;
        }
        if (row.type != detail::kind::listener_list || !listener_items) continue;
        const YAML::Node first = node.IsSequence() && node.size() > 0 ? node[0] : YAML::Node();
        for (const auto& item : detail::listener_keys()) {
            if (!first.IsMap() || !find(first, item.name).IsDefined())
                missing.push_back(std::string(row.name) + "[]." + std::string(item.name));
        }
    }
    return missing;
}

/// One failure per key, naming it and what to do.
void require_every_key(std::string_view file, const std::string& text, bool listener_items) {
    for (const std::string& key : missing_keys(text, listener_items)) {
        FAIL_CHECK(key << ": in the key table (server/config/keys.cpp) but not in " << file
                       << ": add it there with its default and a comment"
                       << (file == default_file ? " (--print-default-config prints that file)"
                                                : " (the package's /etc/onymous/onymousd.yaml)"));
    }
}

}  // namespace

TEST_CASE("the printed default configuration is config/onymousd.yaml", "[config]") {
    CHECK(default_config_text() == read_source(default_file));
}

TEST_CASE("the printed default configuration has every key of the table", "[config]") {
    require_every_key(default_file, std::string(default_config_text()), true);
}

TEST_CASE("the key walk names a key that a text lacks", "[config]") {
    // What the checks above would say about a file without limits.burst and
    // without listeners[].fd_name, beyond what they say about the file itself
    // (nothing, unless a key is missing there too, reported above).
    const std::string original(default_config_text());
    std::string text = original;
    for (const std::string_view line : {"  burst: ", "    fd_name: "}) {
        const auto at = text.find(line);
        REQUIRE(at != std::string::npos);
        text.erase(at, text.find('\n', at) + 1 - at);
    }
    const auto added = [](const std::vector<std::string>& before,
                          const std::vector<std::string>& after) {
        std::vector<std::string> out;
        for (const auto& key : after)
            if (std::find(before.begin(), before.end(), key) == before.end()) out.push_back(key);
        return out;
    };
    CHECK(added(missing_keys(original, true), missing_keys(text, true)) ==
          std::vector<std::string>{"listeners[].fd_name", "limits.burst"});
    CHECK(added(missing_keys(original, false), missing_keys(text, false)) ==
          std::vector<std::string>{"limits.burst"});
}

TEST_CASE("the printed default configuration loads as the defaults", "[config]") {
    // Examples, not defaults: the listener and the TLS paths (a listener is
    // required, and a TLS one needs the paths), and the cluster's address.
    settings expected;
    expected.listeners = {listener{"::", 443, true, false, ""}};
    expected.tls.certificate = "/etc/onymous/tls/fullchain.pem";
    expected.tls.private_key = "/etc/onymous/tls/privkey.pem";
    const std::string text(default_config_text());
    CHECK(parse(text, default_file) == expected);

    expected.cluster.emplace();
    expected.cluster->redis = "redis://127.0.0.1:6379";
    CHECK(parse(with_cluster_uncommented(text), default_file) == expected);
}

TEST_CASE("the packaged configuration has every key of the table", "[config]") {
    // Its listener takes a passed socket: no address or port.
    require_every_key(package_file, read_source(package_file), false);
}

TEST_CASE("the packaged configuration is the default one plus what a first start needs",
          "[config]") {
    settings expected;
    expected.listeners = {listener{"", 0, true, false, "https"}};
    expected.tls.certificate = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
    expected.tls.private_key = "/etc/ssl/private/ssl-cert-snakeoil.key";
    expected.web.root = "/usr/share/onymous/web";
    const std::string text = read_source(package_file);
    CHECK(parse(text, package_file) == expected);
    CHECK(warnings(expected).empty());

    expected.cluster.emplace();
    expected.cluster->redis = "redis://127.0.0.1:6379";
    CHECK(parse(with_cluster_uncommented(text), package_file) == expected);
}
