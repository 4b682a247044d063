#pragma once
// The command line of onymous-bench (see usage_text() for every option).

#include "signaling_mix.hpp"

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace onymous::bench {

/// One server a client may connect to (a node of a cluster).
struct node_address {
    std::string host;
    std::uint16_t port = 0;
};

/// relay with several nodes: where the two sides of each pair connect.
enum class pair_layout {
    mixed,  ///< every (first, second) combination of nodes equally often
    same,   ///< both sides on one node
    cross   ///< the two sides always on different nodes
};

struct options {
    std::string scenario;  ///< idle | handshake | relay | churn
    dialect talk = dialect::onymous;
    bool tls = true;
    bool tls_given = false;  ///< --tls, --plain or a --url scheme was given
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::string path;  ///< empty: /ws, or /peerjs with --peerjs
    /// Every server, in the order given: --url several times (or a list with
    /// commas) spreads the clients over them, round-robin; else host:port.
    std::vector<node_address> nodes;
    std::string peerjs_key = "peerjs";
    pid_t server_pid = 0;  ///< the first --server-pid
    /// Every --server-pid (several: the nodes of a cluster, CPU summed).
    std::vector<pid_t> server_pids;
    pid_t redis_pid = 0;  ///< --redis-pid: its CPU is reported apart
    bool json = false;
    std::string label;  ///< --label: copied into the report
    bool quiet = false;
    double seconds = 10;

    // idle
    std::size_t connections = 1000;
    double hold = 10;
    double settle = 2;
    std::size_t per_process = 15000;
    std::size_t per_address = 10000;
    std::size_t concurrency = 0;  ///< 0: the scenario's default
    double heartbeat = 5;         ///< PeerJS HEARTBEAT interval, as peerjs-client sends

    // relay
    std::size_t pairs = 10;
    double rate = 0;  ///< messages/s over all pairs; 0 = closed loop
    std::size_t sdp_bytes = 2200;
    pair_layout pair_nodes = pair_layout::mixed;  ///< with several nodes

    // churn
    std::size_t clients = 100;
    /// Once a pairing is negotiated, the offerer waits about this long (a
    /// uniform draw from half to one and a half times it) before `next`:
    /// strangers chatting. 0 = next at once (the closed loop).
    double next_after = 0;
    /// On each `waiting`, spin this many microseconds first: a control for
    /// bench/pow-churn, a generator as slow per pairing as one that solves
    /// proofs, against a server with proof of work off.
    double waiting_spin_us = 0;

    /// Acknowledge as the contract suggests (relay, churn); --no-ack: never.
    bool ack = true;

    // handshake
    std::size_t sources = 4;  ///< source addresses the connectors cycle through

    // the floors measured in the same run
    bool floors = true;
    std::string cert_file;
    std::string key_file;
    std::size_t floor_iterations = 1000;
    std::size_t floor_bytes = 64;
    std::size_t floor_rounds = 20000;
    int floor_cpu = -1;

    std::string source_base = "127.0.0.2";
};

/// Parses argv; throws std::invalid_argument with a message for the user.
/// Returns false when --help was asked (the usage is then printed).
bool parse_options(int argc, char** argv, options& out);

std::string usage_text();

/// `base` + `offset` as an IPv4 literal (127.0.0.2 + 300 = 127.0.1.46).
std::string ipv4_plus(const std::string& base, std::size_t offset);

/// The source address of connection `index` when each address carries
/// `options.per_address` connections.
std::string source_for(const options& opts, std::size_t index);

/// The node client `index` connects to: round-robin over opts.nodes.
std::size_t node_for(const options& opts, std::size_t index);

std::string layout_name(pair_layout layout);

/// "TLS" or "plain", and the dialect's name, for reports.
std::string transport_name(const options& opts);
std::string dialect_name(const options& opts);

}  // namespace onymous::bench
