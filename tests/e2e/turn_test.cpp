// TURN credentials against a real coturn (PROTOCOL.md: iceServers;
// ../shared/MACHINE.md, TURN): the credentials of hello allocate a relay,
// credentials past their expiry are refused with 401, those of a matched
// refresh work, and a second secret keeps credentials minted under the old
// one working during a rotation. coturn runs on 127.0.0.1 with
// use-auth-secret; the allocations are made by turnutils_uclient (from the
// same package) and by a minimal STUN client here, which reads the error
// code that turnutils_uclient does not print. CI installs coturn: a machine
// without turnserver fails this test rather than skip it.

#include "helpers.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace onymous::test;

namespace {

// --- A minimal TURN client (RFC 5389 / RFC 5766, long-term credentials) ---

constexpr std::uint32_t magic_cookie = 0x2112A442;
constexpr std::uint16_t binding_request = 0x0001;
constexpr std::uint16_t allocate_request = 0x0003;
constexpr std::uint16_t allocate_success = 0x0103;
constexpr std::uint16_t attr_username = 0x0006;
constexpr std::uint16_t attr_message_integrity = 0x0008;
constexpr std::uint16_t attr_error_code = 0x0009;
constexpr std::uint16_t attr_realm = 0x0014;
constexpr std::uint16_t attr_nonce = 0x0015;
constexpr std::uint16_t attr_xor_relayed_address = 0x0016;
constexpr std::uint16_t attr_requested_transport = 0x0019;

/// A datagram socket connected to 127.0.0.1:port.
class udp_socket {
public:
    explicit udp_socket(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
        REQUIRE(fd_ >= 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    }
    ~udp_socket() { ::close(fd_); }
    udp_socket(const udp_socket&) = delete;
    udp_socket& operator=(const udp_socket&) = delete;

    /// Sends `request` and returns the answer, resending a few times: UDP.
    std::optional<std::string> exchange(const std::string& request) {
        for (int attempt = 0; attempt < 5; ++attempt) {
            if (::send(fd_, request.data(), request.size(), 0) < 0) return std::nullopt;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 500) == 1 && (p.revents & POLLIN)) {
                std::string answer(2048, '\0');
                const auto got = ::recv(fd_, answer.data(), answer.size(), 0);
                if (got < 0) return std::nullopt;  // ICMP unreachable: nothing listens yet
                answer.resize(static_cast<std::size_t>(got));
                return answer;
            }
        }
        return std::nullopt;
    }

private:
    int fd_;
};

void put16(std::string& out, std::uint16_t v) {
    out.push_back(static_cast<char>(v >> 8));
    out.push_back(static_cast<char>(v & 0xff));
}

std::uint16_t get16(const std::string& in, std::size_t at) {
    return static_cast<std::uint16_t>((static_cast<unsigned char>(in[at]) << 8) |
                                      static_cast<unsigned char>(in[at + 1]));
}

/// A STUN request being built: header, then attributes.
class stun_request {
public:
    explicit stun_request(std::uint16_t type) {
        put16(bytes_, type);
        put16(bytes_, 0);  // length, set by finish()
        for (int shift = 24; shift >= 0; shift -= 8)
            bytes_.push_back(static_cast<char>((magic_cookie >> shift) & 0xff));
        std::array<unsigned char, 12> id{};
        REQUIRE(RAND_bytes(id.data(), static_cast<int>(id.size())) == 1);
        bytes_.append(reinterpret_cast<const char*>(id.data()), id.size());
    }

    void add(std::uint16_t type, std::string_view value) {
        put16(bytes_, type);
        put16(bytes_, static_cast<std::uint16_t>(value.size()));
        bytes_.append(value);
        while (bytes_.size() % 4 != 0) bytes_.push_back('\0');
    }

    /// The message, ended with MESSAGE-INTEGRITY under `key` when given.
    std::string finish(const std::string& key = {}) {
        if (!key.empty()) {
            // The length covers the integrity attribute, which is not hashed.
            set_length(bytes_.size() - 20 + 24);
            unsigned char mac[EVP_MAX_MD_SIZE];
            unsigned int size = 0;
            HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
                 reinterpret_cast<const unsigned char*>(bytes_.data()), bytes_.size(), mac, &size);
            add(attr_message_integrity, std::string(reinterpret_cast<char*>(mac), size));
        }
        set_length(bytes_.size() - 20);
        return bytes_;
    }

    std::string transaction() const { return bytes_.substr(4, 16); }

private:
    void set_length(std::size_t length) {
        bytes_[2] = static_cast<char>(length >> 8);
        bytes_[3] = static_cast<char>(length & 0xff);
    }
    std::string bytes_;
};

struct stun_response {
    std::uint16_t type = 0;
    int error = 0;  ///< ERROR-CODE, 0 when none
    std::string realm;
    std::string nonce;
    std::string relayed;  ///< XOR-RELAYED-ADDRESS as "a.b.c.d:port"
};

stun_response parse_response(const std::string& bytes, const std::string& transaction) {
    REQUIRE(bytes.size() >= 20);
    REQUIRE(bytes.substr(4, 16) == transaction);
    stun_response r;
    r.type = get16(bytes, 0);
    const std::size_t end = 20 + get16(bytes, 2);
    REQUIRE(end <= bytes.size());
    for (std::size_t at = 20; at + 4 <= end;) {
        const std::uint16_t type = get16(bytes, at);
        const std::uint16_t length = get16(bytes, at + 2);
        REQUIRE(at + 4 + length <= end);
        const std::string value = bytes.substr(at + 4, length);
        if (type == attr_error_code && length >= 4)
            r.error = (value[2] & 0x7) * 100 + static_cast<unsigned char>(value[3]);
        if (type == attr_realm) r.realm = value;
        if (type == attr_nonce) r.nonce = value;
        if (type == attr_xor_relayed_address && length == 8 && value[1] == 0x01) {
            const auto port = static_cast<std::uint16_t>(get16(value, 2) ^ (magic_cookie >> 16));
            std::string address;
            for (int i = 0; i < 4; ++i) {
                const auto byte = static_cast<unsigned char>(value[4 + i]) ^
                                  ((magic_cookie >> (24 - 8 * i)) & 0xff);
                address += (i ? "." : "") + std::to_string(byte);
            }
            r.relayed = address + ":" + std::to_string(port);
        }
        at += 4 + ((length + 3) & ~3u);
    }
    return r;
}

/// MD5(username ":" realm ":" password): the long-term credential key.
std::string long_term_key(const std::string& username, const std::string& realm,
                          const std::string& password) {
    const std::string text = username + ":" + realm + ":" + password;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    REQUIRE(EVP_Digest(text.data(), text.size(), digest, &size, EVP_md5(), nullptr) == 1);
    return std::string(reinterpret_cast<char*>(digest), size);
}

/// What an Allocate with these credentials got: 200 and the relayed
/// address, or the error code (401 for refused credentials).
struct allocation {
    int status = 0;
    std::string relayed;
};

allocation allocate(std::uint16_t port, const std::string& username, const std::string& password) {
    udp_socket socket(port);
    const std::string udp_transport("\x11\0\0\0", 4);  // REQUESTED-TRANSPORT: UDP
    // The first request, without credentials, gets the realm and a nonce.
    stun_request first(allocate_request);
    first.add(attr_requested_transport, udp_transport);
    const auto challenge_bytes = socket.exchange(first.finish());
    REQUIRE(challenge_bytes);
    const auto challenge = parse_response(*challenge_bytes, first.transaction());
    REQUIRE(challenge.error == 401);
    REQUIRE_FALSE(challenge.nonce.empty());

    stun_request second(allocate_request);
    second.add(attr_requested_transport, udp_transport);
    second.add(attr_username, username);
    second.add(attr_realm, challenge.realm);
    second.add(attr_nonce, challenge.nonce);
    const auto answer_bytes =
        socket.exchange(second.finish(long_term_key(username, challenge.realm, password)));
    REQUIRE(answer_bytes);
    const auto answer = parse_response(*answer_bytes, second.transaction());
    if (answer.type == allocate_success) return {200, answer.relayed};
    REQUIRE(answer.error != 0);
    return {answer.error, {}};
}

// --- coturn ---------------------------------------------------------------

std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = std::string(path ? path : "") + ":/usr/bin:/usr/sbin";
    for (std::size_t start = 0; start <= dirs.size();) {
        const auto colon = std::min(dirs.find(':', start), dirs.size());
        const std::filesystem::path candidate =
            std::filesystem::path(dirs.substr(start, colon - start)) / name;
        if (!dirs.substr(start, colon - start).empty() && ::access(candidate.c_str(), X_OK) == 0)
            return candidate.string();
        start = colon + 1;
    }
    return {};
}

/// A port that was free on 127.0.0.1 for UDP and TCP a moment ago.
std::uint16_t free_port() {
    for (int attempt = 0; attempt < 20; ++attempt) {
        const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in at{};
        at.sin_family = AF_INET;
        at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t size = sizeof at;
        ::bind(udp, reinterpret_cast<sockaddr*>(&at), sizeof at);
        ::getsockname(udp, reinterpret_cast<sockaddr*>(&at), &size);
        const int tcp = ::socket(AF_INET, SOCK_STREAM, 0);
        const bool tcp_free = ::bind(tcp, reinterpret_cast<sockaddr*>(&at), sizeof at) == 0;
        ::close(tcp);
        ::close(udp);
        if (tcp_free) return ntohs(at.sin_port);
    }
    FAIL("no free port on 127.0.0.1");
    return 0;
}

/// turnserver in the foreground on 127.0.0.1, REST-API secrets, no TLS,
/// its database, pid file and log in a scratch directory of its own.
class coturn {
public:
    explicit coturn(const std::vector<std::string>& secrets) {
        binary_ = find_program("turnserver");
        INFO(
            "coturn's turnserver is not installed: apt-get install coturn "
            "(scripts/lib/common.sh installs it; CI has it)");
        REQUIRE_FALSE(binary_.empty());
        port_ = free_port();
        std::vector<std::string> argv{binary_,
                                      "-n",
                                      "--use-auth-secret",
                                      "--realm=onymous",
                                      "--listening-ip=127.0.0.1",
                                      "--relay-ip=127.0.0.1",
                                      "--listening-port=" + std::to_string(port_),
                                      "--no-tls",
                                      "--no-dtls",
                                      "--no-cli",
                                      "--fingerprint",
                                      "--allow-loopback-peers",  // tests only: peers on 127.0.0.1
                                      "--log-file=stdout",
                                      "--userdb=" + dir_.file("turndb").string(),
                                      "--pidfile=" + dir_.file("turnserver.pid").string()};
        for (const auto& secret : secrets) argv.push_back("--static-auth-secret=" + secret);
        pid_ = spawn_process(argv, dir_.file("turn.log"), dir_.file("turn.log"), dir_.path());
        wait_ready();
    }
    ~coturn() {
        if (pid_ > 0) stop_process(pid_, SIGTERM, std::chrono::seconds(5));
    }
    coturn(const coturn&) = delete;
    coturn& operator=(const coturn&) = delete;

    std::uint16_t port() const { return port_; }
    std::string url() const { return "turn:127.0.0.1:" + std::to_string(port_) + "?transport=udp"; }
    std::string log() const { return read_file(dir_.file("turn.log")); }

private:
    /// Until it answers a STUN Binding request.
    void wait_ready() {
        const auto deadline = clock_type::now() + std::chrono::seconds(20);
        while (clock_type::now() < deadline) {
            if (wait_process(pid_, clock_type::now())) {
                pid_ = -1;
                FAIL("turnserver exited at start:\n" << log());
            }
            udp_socket socket(port_);
            stun_request binding(binding_request);
            if (const auto answer = socket.exchange(binding.finish())) {
                if (parse_response(*answer, binding.transaction()).type == 0x0101) return;
            }
            // Not listening yet (the port answers ICMP unreachable at once).
            std::this_thread::sleep_for(20ms);
        }
        FAIL("turnserver did not answer on port " << port_ << ":\n" << log());
    }

    temp_dir dir_;
    std::string binary_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

// --- Credentials as the daemon hands them out ------------------------------

struct credentials {
    std::string username;
    std::string credential;
    std::int64_t expiry = 0;
};

/// The TURN entry of an iceServers list.
credentials turn_entry(const json& servers, const std::string& url) {
    INFO("iceServers: " << servers.dump());
    for (const json& server : servers) {
        if (!server.contains("username")) continue;
        REQUIRE(server.at("urls") == json::array({url}));
        credentials c{server.at("username"), server.at("credential"), 0};
        c.expiry = std::stoll(c.username.substr(0, c.username.find(':')));
        return c;
    }
    FAIL("no TURN entry");
    return {};
}

std::int64_t unix_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Waits (on the wall clock the TURN server reads) until `unix` has passed.
/// coturn reads its clock once a second: refusals wait one second more.
void wait_until_after(std::int64_t unix) {
    while (unix_now() <= unix) std::this_thread::sleep_for(100ms);
}

/// turnutils_uclient's verdict: it exits 0 either way, so its output says.
bool uclient_allocates(const coturn& turn, const credentials& c) {
    const auto uclient = find_program("turnutils_uclient");
    REQUIRE_FALSE(uclient.empty());
    const auto result =
        run_process({uclient, "-u", c.username, "-w", c.credential, "-p",
                     std::to_string(turn.port()), "-n", "1", "-m", "1", "-y", "-c", "127.0.0.1"},
                    std::chrono::seconds(30));
    INFO("turnutils_uclient:\n" << result.out << result.err);
    REQUIRE_FALSE(result.timed_out);
    return result.out.find("Total lost packets 0") != std::string::npos;
}

std::vector<config_override> turn_config(const coturn& turn, const json& secret,
                                         std::string_view ttl) {
    return {{"ice.turn.urls", json::array({turn.url()})},
            {"ice.turn.secret", secret},
            {"ice.turn.ttl", std::string(ttl)}};
}

}  // namespace

TEST_CASE("the TURN credentials of hello allocate a relay on coturn", "[turn_test][e2e]") {
    coturn turn({"onymous-turn-secret"});
    const auto overrides = turn_config(turn, "onymous-turn-secret", "10m");
    daemon_process daemon({overrides[0], overrides[1], overrides[2]});
    auto client = open_client(daemon);
    const auto c = turn_entry(client.history().front().at("iceServers"), turn.url());
    CHECK(c.expiry >= unix_now() + 590);
    CHECK(c.expiry <= unix_now() + 600);

    const auto got = allocate(turn.port(), c.username, c.credential);
    CHECK(got.status == 200);
    CHECK(got.relayed.rfind("127.0.0.1:", 0) == 0);
    CHECK(uclient_allocates(turn, c));
    // A credential for another username, or another secret, is refused.
    CHECK(allocate(turn.port(), c.username + "0", c.credential).status == 401);
    finish(daemon);
}

TEST_CASE("TURN credentials past their expiry are refused with 401", "[turn_test][e2e]") {
    coturn turn({"onymous-turn-secret"});
    const auto overrides = turn_config(turn, "onymous-turn-secret", "2s");
    daemon_process daemon({overrides[0], overrides[1], overrides[2]});
    auto client = open_client(daemon);
    const auto c = turn_entry(client.history().front().at("iceServers"), turn.url());
    // Good until their expiry (checked at once: a 2 s ttl leaves 1 to 2 s)...
    CHECK(allocate(turn.port(), c.username, c.credential).status == 200);
    // ...and refused after it.
    wait_until_after(c.expiry + 1);
    CHECK(allocate(turn.port(), c.username, c.credential).status == 401);
    CHECK_FALSE(uclient_allocates(turn, c));
    finish(daemon);
}

TEST_CASE("TURN credentials from a matched refresh work where hello's have expired",
          "[turn_test][e2e]") {
    coturn turn({"onymous-turn-secret"});
    const auto overrides = turn_config(turn, "onymous-turn-secret", "8s");
    daemon_process daemon({overrides[0], overrides[1], overrides[2]});
    auto a = open_client(daemon);
    auto b = open_client(daemon);
    const auto hello_a = turn_entry(a.history().front().at("iceServers"), turn.url());

    // Paired at once: hello's credentials still have more than ttl/2 to go.
    {
        auto c = open_client(daemon);
        auto d = open_client(daemon);
        const auto fresh = pair(c, d);
        CHECK_FALSE(fresh.a_matched.contains("iceServers"));
        CHECK_FALSE(fresh.b_matched.contains("iceServers"));
    }

    // Once they expire within ttl/2 (4 s), matched brings new ones (to
    // each side: b's hello was as old).
    wait_until_after(hello_a.expiry - 4);
    join(a);
    join(b);
    const json matched_a = expect_type(a, "matched");
    const json matched_b = expect_type(b, "matched");
    REQUIRE(matched_a.contains("iceServers"));
    REQUIRE(matched_b.contains("iceServers"));
    const auto refreshed = turn_entry(matched_a.at("iceServers"), turn.url());
    CHECK(refreshed.username != hello_a.username);
    CHECK(refreshed.expiry > hello_a.expiry);
    CHECK(turn_entry(matched_b.at("iceServers"), turn.url()).username != refreshed.username);

    // After hello's have expired, the refreshed ones still allocate.
    wait_until_after(hello_a.expiry + 1);
    REQUIRE(unix_now() < refreshed.expiry);
    CHECK(allocate(turn.port(), hello_a.username, hello_a.credential).status == 401);
    CHECK(allocate(turn.port(), refreshed.username, refreshed.credential).status == 200);
    CHECK(uclient_allocates(turn, refreshed));
    finish(daemon);
}

TEST_CASE("with two secrets the daemon mints under the first, and coturn takes both",
          "[turn_test][e2e]") {
    // Mid-rotation: coturn knows the new and the old secret; a daemon still
    // on the old one and a daemon already on the new one both work, and a
    // secret coturn does not know is refused.
    coturn turn({"new-secret", "old-secret"});
    for (const auto& secrets :
         {json::array({"new-secret", "old-secret"}), json::array({"old-secret", "new-secret"})}) {
        INFO("ice.turn.secret " << secrets.dump());
        const auto overrides = turn_config(turn, secrets, "10m");
        daemon_process daemon({overrides[0], overrides[1], overrides[2]});
        auto client = open_client(daemon);
        const auto c = turn_entry(client.history().front().at("iceServers"), turn.url());
        CHECK(allocate(turn.port(), c.username, c.credential).status == 200);
        finish(daemon);
    }
    const auto overrides = turn_config(turn, json::array({"unknown-secret", "new-secret"}), "10m");
    daemon_process daemon({overrides[0], overrides[1], overrides[2]});
    auto client = open_client(daemon);
    const auto c = turn_entry(client.history().front().at("iceServers"), turn.url());
    CHECK(allocate(turn.port(), c.username, c.credential).status == 401);
    finish(daemon);
}
