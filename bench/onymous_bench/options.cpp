#include "options.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace onymous::bench {

std::string usage_text() {
    return R"(usage: onymous-bench SCENARIO [options]

Scenarios:
  idle        open --connections N WebSockets (each up to hello/OPEN), hold them
              --hold seconds; connect rate, and server RSS per connection
  handshake   new connections per second up to hello with --concurrency K
              connectors for --seconds T (TLS 1.3 by default); server CPU per
              connection; plus one bare TLS 1.3 handshake between memory BIOs
              with --cert/--key (server side, median), the physical floor
  relay       --pairs P pairs doing closed-loop rounds of the signaling mix
              (offer 2.2 KB, answer 2.2 KB, 4 candidates each way) for --seconds
              T; messages/s, one-way latency, server CPU per message; plus a
              plain TCP ping-pong on loopback (the latency floor)
  churn       --clients C clients: join, matched, offer, answer, 1 candidate
              each way, next, again, for --seconds T (plain by default);
              pairings/s and join-to-matched latency; with --next-after S the
              pairs chat about S seconds before next; with several --url, the
              SDPs carry an a=x-bench-node line, so pairings are counted
              same-node or cross-node; when hello and waiting carry a
              proof-of-work challenge (abuse.pow_bits > 0), each is solved on
              arrival and join/next carry the proof (pow_* figures: what
              solving cost the generator)

Server:
  --url URL             ws://HOST:PORT/PATH or wss://HOST:PORT/PATH (HOST an
                        IPv4 literal or localhost); given several times, or
                        as a list with commas, the nodes of a cluster: clients
                        are spread over them round-robin (relay: see
                        --pair-nodes); every URL has the same scheme and path
  --port P [--host H] [--path PATH] [--tls|--plain]
                        the same in parts (host 127.0.0.1; path /ws, or /peerjs
                        with --peerjs; TLS except for churn)
  --peerjs              speak the PeerJS server's protocol (idle, relay): connect
                        to PATH?key=KEY&id=ID&token=TOKEN, OFFER/ANSWER/CANDIDATE
                        with dst and payload, HEARTBEAT every --heartbeat s (5)
  --peerjs-key KEY      the PeerServer key (peerjs)
  --server-pid PID      read the server's /proc/PID (RSS, CPU time); several
                        times, or a list with commas (handshake, relay,
                        churn): the nodes of a cluster, their CPU summed
  --redis-pid PID       relay, churn: also report this process's CPU (the
                        cluster's redis-server), apart from the server's

Load:
  --seconds T           duration of handshake, relay and churn (10)
  --connections N       idle: connections (1000)
  --hold S              idle: seconds to hold them once all are open (10)
  --settle S            idle: seconds between the last hello and the RSS sample (2)
  --per-process M       idle: connections per child process, at most 18000 (15000)
  --per-address A       connections per source address, from --source-base (10000)
  --source-base ADDR    first client source address (127.0.0.2)
  --sources K           handshake: source addresses cycled through (4)
  --concurrency K       idle: connects in flight (256); handshake: connectors (8)
  --pairs P             relay: pairs (10)
  --rate R              relay: open loop, R messages/s over all pairs (0 = closed loop)
  --sdp-bytes B         relay, churn: bytes of each SDP (2200)
  --pair-nodes L        relay with several --url: where the two sides of a
                        pair connect: mixed (every combination of nodes
                        equally often, so 1/N of the pairs same-node, as a
                        uniform pool gives), same (both on one node) or
                        cross (always two nodes); latency is reported for
                        same-node and cross-node pairs apart (mixed)
  --clients C           churn: clients (100)
  --next-after S        churn: seconds a negotiated pair stays before next,
                        drawn from S/2 to 3S/2 (0: next at once)
  --waiting-spin-us N   churn: on each waiting, spin N microseconds first (a
                        control: as slow as a generator solving proofs, with
                        proof of work off; bench/pow-churn)
  --no-ack              relay, churn: never send ack (by default the clients
                        ack as the protocol suggests: 8 messages, a quarter of
                        maxUnackedBytes, or 500 ms)

Floors (measured in the same run):
  --cert FILE --key FILE   handshake: the server's certificate and key
  --floor-iterations N     handshake: bare handshakes (1000)
  --floor-bytes B          relay: TCP ping-pong message size (64)
  --floor-rounds N         relay: TCP ping-pong round trips (20000)
  --floor-cpu CPU          relay: pin the echo thread to CPU (e.g. the server's core)
  --no-floor               skip the floors

Output:
  --json                one JSON object on stdout instead of the table
  --label TEXT          tag the report with TEXT ("label" in JSON)
  --quiet               no progress lines on stderr
  -h, --help            this text

The server must let the generator through: per-address limits off
(max_connections_per_address: 0, new_connections_per_address_per_minute: 0),
message, join and per-pairing limits raised, matching.interest_timeout long
(relay pairs connections by a unique interest) and matching.rematch_cooldown 0s
(churn). bench/smoke and bench/compare write such a config.
Exit status: 0, 1 when the run had errors, 2 on a usage error.
)";
}

namespace {

template <class T>
T parse_number(std::string_view name, std::string_view text) {
    T value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        throw std::invalid_argument(std::string(name) + ": not a number: " + std::string(text));
    return value;
}

double parse_double(std::string_view name, std::string_view text) {
    std::size_t used = 0;
    double value = 0;
    try {
        value = std::stod(std::string(text), &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || value < 0)
        throw std::invalid_argument(std::string(name) +
                                    ": not a non-negative number: " + std::string(text));
    return value;
}

/// One --url. `first` is the first URL's scheme and path once there is one:
/// every later URL must have the same.
void parse_url(std::string_view url, options& out,
               std::optional<std::pair<bool, std::string>>& first) {
    std::string_view rest;
    bool tls = false;
    if (url.starts_with("wss://")) {
        tls = true;
        rest = url.substr(6);
    } else if (url.starts_with("ws://")) {
        rest = url.substr(5);
    } else {
        throw std::invalid_argument("--url: must start with ws:// or wss://");
    }
    const std::size_t slash = rest.find('/');
    const std::string path =
        slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash));
    if (!first) first.emplace(tls, path);
    if (first->first != tls || first->second != path)
        throw std::invalid_argument("--url: every URL needs the same scheme and path");
    out.tls = tls;
    out.tls_given = true;
    if (!path.empty()) out.path = path;
    const std::string_view authority = rest.substr(0, slash);
    const std::size_t colon = authority.rfind(':');
    if (colon == std::string_view::npos) throw std::invalid_argument("--url: needs a port");
    out.host = std::string(authority.substr(0, colon));
    if (out.host == "localhost") out.host = "127.0.0.1";
    out.port = parse_number<std::uint16_t>("--url port", authority.substr(colon + 1));
    out.nodes.push_back({out.host, out.port});
}

/// "a,b,c" as {"a", "b", "c"} (a value given once is a list of one).
std::vector<std::string_view> split_commas(std::string_view list) {
    std::vector<std::string_view> out;
    for (std::size_t at = 0;;) {
        const std::size_t comma = list.find(',', at);
        out.push_back(list.substr(at, comma - at));
        if (comma == std::string_view::npos) return out;
        at = comma + 1;
    }
}

}  // namespace

bool parse_options(int argc, char** argv, options& out) {
    if (argc < 2) throw std::invalid_argument("no scenario given");
    out.scenario = argv[1];
    if (out.scenario == "-h" || out.scenario == "--help") {
        std::cout << usage_text();
        return false;
    }
    if (out.scenario != "idle" && out.scenario != "handshake" && out.scenario != "relay" &&
        out.scenario != "churn")
        throw std::invalid_argument("unknown scenario: " + out.scenario);
    bool host_or_port = false;  // --host or --port, which name one server only
    std::optional<std::pair<bool, std::string>> first_url;  // its scheme and path
    for (int i = 2; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + ": needs a value");
            return argv[++i];
        };
        auto size = [&]() { return parse_number<std::size_t>(arg, value()); };
        if (arg == "-h" || arg == "--help") {
            std::cout << usage_text();
            return false;
        } else if (arg == "--url") {
            for (const auto url : split_commas(value())) parse_url(url, out, first_url);
        } else if (arg == "--host") {
            out.host = std::string(value());
            if (out.host == "localhost") out.host = "127.0.0.1";
            host_or_port = true;
        } else if (arg == "--port") {
            out.port = parse_number<std::uint16_t>(arg, value());
            host_or_port = true;
        } else if (arg == "--path") {
            out.path = std::string(value());
        } else if (arg == "--tls" || arg == "--plain") {
            out.tls = arg == "--tls";
            out.tls_given = true;
        } else if (arg == "--peerjs") {
            out.talk = dialect::peerjs;
        } else if (arg == "--peerjs-key") {
            out.peerjs_key = std::string(value());
        } else if (arg == "--server-pid") {
            for (const auto pid : split_commas(value()))
                out.server_pids.push_back(parse_number<pid_t>(arg, pid));
            out.server_pid = out.server_pids.front();
        } else if (arg == "--redis-pid") {
            out.redis_pid = parse_number<pid_t>(arg, value());
        } else if (arg == "--pair-nodes") {
            const std::string_view layout = value();
            if (layout == "mixed")
                out.pair_nodes = pair_layout::mixed;
            else if (layout == "same")
                out.pair_nodes = pair_layout::same;
            else if (layout == "cross")
                out.pair_nodes = pair_layout::cross;
            else
                throw std::invalid_argument("--pair-nodes: mixed, same or cross");
        } else if (arg == "--json") {
            out.json = true;
        } else if (arg == "--label") {
            out.label = std::string(value());
        } else if (arg == "--quiet") {
            out.quiet = true;
        } else if (arg == "--seconds") {
            out.seconds = parse_double(arg, value());
        } else if (arg == "--connections") {
            out.connections = size();
        } else if (arg == "--hold") {
            out.hold = parse_double(arg, value());
        } else if (arg == "--settle") {
            out.settle = parse_double(arg, value());
        } else if (arg == "--per-process") {
            out.per_process = size();
        } else if (arg == "--per-address") {
            out.per_address = size();
        } else if (arg == "--source-base") {
            out.source_base = std::string(value());
        } else if (arg == "--sources") {
            out.sources = size();
        } else if (arg == "--concurrency") {
            out.concurrency = size();
        } else if (arg == "--heartbeat") {
            out.heartbeat = parse_double(arg, value());
        } else if (arg == "--pairs") {
            out.pairs = size();
        } else if (arg == "--rate") {
            out.rate = parse_double(arg, value());
        } else if (arg == "--sdp-bytes") {
            out.sdp_bytes = size();
        } else if (arg == "--clients") {
            out.clients = size();
        } else if (arg == "--next-after") {
            out.next_after = parse_double(arg, value());
        } else if (arg == "--waiting-spin-us") {
            out.waiting_spin_us = parse_double(arg, value());
        } else if (arg == "--no-ack") {
            out.ack = false;
        } else if (arg == "--cert") {
            out.cert_file = std::string(value());
        } else if (arg == "--key") {
            out.key_file = std::string(value());
        } else if (arg == "--floor-iterations") {
            out.floor_iterations = size();
        } else if (arg == "--floor-bytes") {
            out.floor_bytes = size();
        } else if (arg == "--floor-rounds") {
            out.floor_rounds = size();
        } else if (arg == "--floor-cpu") {
            out.floor_cpu = parse_number<int>(arg, value());
        } else if (arg == "--no-floor") {
            out.floors = false;
        } else {
            throw std::invalid_argument("unknown option: " + std::string(arg));
        }
    }
    if (out.port == 0)
        throw std::invalid_argument("the server's port is missing (--url or --port)");
    if (out.nodes.size() > 1 && host_or_port)
        throw std::invalid_argument("several nodes: give each as a --url, without --host/--port");
    // One server: host and port as the options left them (--port after
    // --url overrides, as it always did).
    if (out.nodes.size() <= 1) out.nodes = {{out.host, out.port}};
    if (out.nodes.size() > 1 && out.talk == dialect::peerjs)
        throw std::invalid_argument("--peerjs: one server only (PeerJS has no cluster mode)");
    if (out.server_pids.size() > 1 && out.scenario == "idle")
        throw std::invalid_argument("idle: one --server-pid (RSS per connection of one server)");
    if (out.pair_nodes == pair_layout::cross && out.nodes.size() < 2)
        throw std::invalid_argument("--pair-nodes cross: needs two --url or more");
    if (!out.tls_given && out.scenario == "churn") out.tls = false;
    if (out.path.empty()) out.path = out.talk == dialect::peerjs ? "/peerjs" : "/ws";
    if (out.talk == dialect::peerjs && out.scenario != "idle" && out.scenario != "relay")
        throw std::invalid_argument("--peerjs applies to idle and relay only");
    if (out.per_process == 0 || out.per_process > 18000)
        throw std::invalid_argument("--per-process: 1 to 18000 (20,000 descriptors per process)");
    if (out.per_address == 0 || out.sources == 0 || out.pairs == 0 || out.clients < 2 ||
        out.connections == 0)
        throw std::invalid_argument("counts must be positive (churn needs 2 clients or more)");
    ipv4_plus(out.source_base, 0);  // checks it
    return true;
}

std::string ipv4_plus(const std::string& base, std::size_t offset) {
    in_addr address{};
    if (::inet_pton(AF_INET, base.c_str(), &address) != 1)
        throw std::invalid_argument("not an IPv4 address: " + base);
    address.s_addr = htonl(ntohl(address.s_addr) + static_cast<std::uint32_t>(offset));
    char text[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &address, text, sizeof text);
    return text;
}

std::string source_for(const options& opts, std::size_t index) {
    return ipv4_plus(opts.source_base, index / opts.per_address);
}

std::size_t node_for(const options& opts, std::size_t index) { return index % opts.nodes.size(); }

std::string layout_name(pair_layout layout) {
    switch (layout) {
    case pair_layout::mixed: return "mixed";
    case pair_layout::same: return "same";
    case pair_layout::cross: return "cross";
    }
    return "?";
}

std::string transport_name(const options& opts) { return opts.tls ? "TLS" : "plain"; }

std::string dialect_name(const options& opts) {
    return opts.talk == dialect::peerjs ? "peerjs" : "onymous";
}

}  // namespace onymous::bench
