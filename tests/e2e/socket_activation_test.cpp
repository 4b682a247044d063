// Socket activation (issue 9, systemd; CONFIG.md listeners[].fd_name): when
// LISTEN_PID is the daemon's pid, the listening sockets at fds 3.. named by
// LISTEN_FDNAMES serve the listeners whose fd_name matches; the ready file
// reports their real port; a listener without fd_name still binds its own.
// An fd_name that was not passed refuses the start (exit 1, naming it), and
// so does one passed to another pid (LISTEN_PID not ours: ignored). Passed
// descriptors no listener names are closed. The test plays systemd: it binds
// the socket itself and passes it as fd 3.

#include "lifecycle.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

using namespace onymous::test;

namespace {

/// A listening TCP socket on 127.0.0.1 at an ephemeral port, as a .socket
/// unit would bind it.
class listening_socket {
public:
    listening_socket() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd_, 128) == 0);
        socklen_t size = sizeof address;
        REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) == 0);
        port_ = ntohs(address.sin_port);
    }
    ~listening_socket() { close(); }
    listening_socket(const listening_socket&) = delete;
    listening_socket& operator=(const listening_socket&) = delete;

    int fd() const { return fd_; }
    std::uint16_t port() const { return port_; }
    /// Closes the test's copy: from then on only the daemon's copy listens.
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

/// Whether a TCP connection to 127.0.0.1:port is refused (nothing listens).
bool connection_refused(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(port);
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    const int error = errno;
    ::close(fd);
    return rc != 0 && error == ECONNREFUSED;
}

launch_options activated(const std::vector<int>& fds, const std::string& names) {
    launch_options launch;
    launch.pass_fds = fds;
    launch.environment = {{"LISTEN_FDS", std::to_string(fds.size())}, {"LISTEN_FDNAMES", names}};
    launch.listen_pid_is_child = true;
    return launch;
}

connect_options plain_on() {
    connect_options options;
    options.tls = false;
    return options;
}

/// Connects a client to `port` and requires the upgrade and hello.
ws_client open_on(std::uint16_t port, bool tls) {
    ws_client client;
    connect_options options;
    options.tls = tls;
    const bool connected = client.connect(port, options);
    INFO("connecting to port " << port << (tls ? " (TLS)" : " (plain)") << ": " << client.error());
    REQUIRE(connected);
    REQUIRE(client.upgrade_response().status == 101);
    expect_type(client, "hello");
    return client;
}

/// A pairing of a and b relays an offer, an answer and a candidate.
void relay_through(ws_client& a, ws_client& b) {
    const auto pairing = pair(a, b);
    auto& offerer = pairing.offerer(a, b);
    auto& answerer = pairing.answerer(a, b);
    offerer.send_json(offer_message(text_sdp("71")));
    expect_message(answerer, offer_message(text_sdp("71")));
    answerer.send_json(answer_message(text_sdp("72")));
    expect_message(offerer, answer_message(text_sdp("72")));
    offerer.send_json(candidate_message(candidate_init("73")));
    expect_message(answerer, candidate_message(candidate_init("73")));
}

/// Requires the daemon to exit with code 1 by itself, without a ready file,
/// and its stderr to name `fd_name`.
void expect_refused_start(daemon_process& daemon, const std::string& fd_name) {
    const auto status = daemon.wait_exit(allowance(10s));
    const auto log = daemon.log();
    INFO("stderr:\n" << log);
    REQUIRE(status.has_value());
    INFO("onymousd " << status->describe());
    REQUIRE(status->exited_with(1));
    REQUIRE(log.find(fd_name) != std::string::npos);
    REQUIRE_FALSE(std::filesystem::exists(daemon.dir().file("ready.json")));
}

config_tree activated_listener(const std::string& name, bool tls) {
    return {{"fd_name", name}, {"tls", tls}};
}

}  // namespace

TEST_CASE("a passed socket serves a pairing, and the ready file reports its port",
          "[socket_activation_test][e2e]") {
    listening_socket web;
    daemon_process daemon(
        activated({web.fd()}, "web"),
        {{"listeners", config_tree::array({activated_listener("web", false)})}, {"tls", nullptr}});
    // From now on only the daemon's copy of the socket listens.
    web.close();
    REQUIRE(daemon.listeners().size() == 1);
    REQUIRE(daemon.listeners()[0].address == "127.0.0.1");
    REQUIRE(daemon.listeners()[0].port == web.port());
    REQUIRE_FALSE(daemon.listeners()[0].tls);

    auto a = open_on(web.port(), false);
    auto b = open_on(web.port(), false);
    relay_through(a, b);
    REQUIRE(admin_status(daemon, "/readyz") == 200);
    finish(daemon);
}

TEST_CASE("a passed TLS socket and a self-bound plain listener serve side by side",
          "[socket_activation_test][e2e]") {
    listening_socket web;
    daemon_process daemon(
        activated({web.fd()}, "web"),
        {{"listeners",
          config_tree::array({activated_listener("web", true),
                              {{"address", "127.0.0.1"}, {"port", 0}, {"tls", false}}})}});
    web.close();
    REQUIRE(daemon.listeners().size() == 2);
    REQUIRE(daemon.listeners()[0].port == web.port());
    REQUIRE(daemon.listeners()[0].tls);
    REQUIRE(daemon.listeners()[1].port != 0);
    REQUIRE(daemon.listeners()[1].port != web.port());
    REQUIRE_FALSE(daemon.listeners()[1].tls);
    REQUIRE(daemon.tls_port() == web.port());

    auto over_passed = open_on(web.port(), true);
    auto over_bound = open_client(daemon, plain_on());
    relay_through(over_passed, over_bound);
    finish(daemon);
}

TEST_CASE("the address and port of an activated listener are ignored",
          "[socket_activation_test][e2e]") {
    listening_socket web;
    // Were address:port bound instead, the ready file would report port 1.
    daemon_process daemon(
        activated({web.fd()}, "web"),
        {{"listeners",
          config_tree::array(
              {{{"fd_name", "web"}, {"address", "127.0.0.1"}, {"port", 1}, {"tls", false}}})},
         {"tls", nullptr}});
    web.close();
    REQUIRE(daemon.listeners().size() == 1);
    REQUIRE(daemon.listeners()[0].port == web.port());
    auto client = open_on(web.port(), false);
    ping_pong(client);
    finish(daemon);
}

TEST_CASE("a passed descriptor that no listener names is closed", "[socket_activation_test][e2e]") {
    listening_socket web;
    listening_socket spare;
    daemon_process daemon(
        activated({web.fd(), spare.fd()}, "web:spare"),
        {{"listeners", config_tree::array({activated_listener("web", false)})}, {"tls", nullptr}});
    web.close();
    spare.close();
    auto client = open_on(web.port(), false);
    ping_pong(client);
    // The daemon's copy was the last one: once it is closed, nothing listens.
    INFO("stderr:\n" << daemon.log());
    REQUIRE(connection_refused(spare.port()));
    REQUIRE(daemon.log().find("spare") != std::string::npos);
    finish(daemon);
}

TEST_CASE("an fd_name that was not passed refuses the start, naming it",
          "[socket_activation_test][e2e]") {
    const config_override listeners{"listeners",
                                    config_tree::array({activated_listener("frontdoor", false)})};
    const config_override no_tls{"tls", nullptr};
    SECTION("no descriptors at all") {
        launch_options launch;
        launch.wait_ready = false;
        daemon_process daemon(launch, {listeners, no_tls});
        expect_refused_start(daemon, "frontdoor");
    }
    SECTION("a descriptor under another name") {
        listening_socket other;
        auto launch = activated({other.fd()}, "backdoor");
        launch.wait_ready = false;
        daemon_process daemon(launch, {listeners, no_tls});
        expect_refused_start(daemon, "frontdoor");
    }
}

TEST_CASE("descriptors passed to another pid are ignored", "[socket_activation_test][e2e]") {
    listening_socket web;
    launch_options launch;
    launch.pass_fds = {web.fd()};
    // This test process's pid: the descriptors were meant for it, not the daemon.
    launch.environment = {{"LISTEN_FDS", "1"},
                          {"LISTEN_FDNAMES", "frontdoor"},
                          {"LISTEN_PID", std::to_string(::getpid())}};
    launch.wait_ready = false;
    daemon_process daemon(
        launch, {{"listeners", config_tree::array({activated_listener("frontdoor", false)})},
                 {"tls", nullptr}});
    expect_refused_start(daemon, "frontdoor");
}
