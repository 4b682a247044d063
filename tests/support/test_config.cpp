#include "test_config.hpp"

#include "tls_material.hpp"

#include <stdexcept>

namespace onymous::test {

namespace {

config_tree listener(bool tls) { return {{"address", "127.0.0.1"}, {"port", 0}, {"tls", tls}}; }

void emit(std::string& out, const config_tree& map, int indent) {
    for (const auto& [key, value] : map.items()) {
        out.append(static_cast<std::size_t>(indent), ' ');
        out += key;
        out += ':';
        if (value.is_object() && !value.empty()) {
            out += '\n';
            emit(out, value, indent + 2);
        } else {
            out += ' ';
            out += value.dump();
            out += '\n';
        }
    }
}

}  // namespace

config_tree base_config() {
    const auto& tls = shared_tls();
    config_tree tree;
    tree["threads"] = 2;
    tree["listeners"] = config_tree::array({listener(true), listener(false)});
    tree["tls"] = {{"certificate", tls.certificate.string()},
                   {"private_key", tls.private_key.string()}};
    tree["admin"] = {{"address", "127.0.0.1"}, {"port", 0}};
    tree["limits"] = {
        {"max_connections", 10000},
        {"max_connections_per_address", 0},
        {"new_connections_per_address_per_minute", 0},
        {"messages_per_second", 100000},
        {"burst", 100000},
        {"joins_per_second", 100000},
        {"join_burst", 100000},
        {"max_errors", 1000},
        {"pair_max_offers", 1000},
        {"pair_max_candidates", 1000},
        // Every close has this deadline; a short one keeps finished tests quick.
        {"close_timeout", "1s"},
    };
    // The skip throttle counts per address, and every test client is
    // 127.0.0.1: off, unless a test is about it (e2e/abuse_test.cpp).
    tree["abuse"] = {{"skips_per_minute", 0}};
    tree["shutdown"] = {{"drain_timeout", "1s"}};
    tree["logging"] = {{"level", "debug"}};
    return tree;
}

void apply_overrides(config_tree& tree, const std::vector<config_override>& overrides) {
    for (const auto& change : overrides) {
        config_tree* node = &tree;
        std::string_view rest = change.key;
        for (;;) {
            const auto dot = rest.find('.');
            const std::string part(rest.substr(0, dot));
            if (dot == std::string_view::npos) {
                if (change.value.is_null())
                    node->erase(part);
                else
                    (*node)[part] = change.value;
                break;
            }
            if (!node->contains(part)) (*node)[part] = config_tree::object();
            node = &(*node)[part];
            if (!node->is_object())
                throw std::invalid_argument("config override " + change.key + ": " + part +
                                            " is not a map");
            rest.remove_prefix(dot + 1);
        }
    }
}

std::string to_yaml(const config_tree& tree) {
    std::string out;
    emit(out, tree, 0);
    return out;
}

}  // namespace onymous::test
