// sd_notify (issue 9, systemd): with NOTIFY_SOCKET set the daemon says
// READY=1 (with STATUS=) once its listeners are up, refreshes STATUS= with
// its connection and waiting counts, brackets a SIGHUP reload with
// RELOADING=1 + MONOTONIC_USEC and READY=1, says STOPPING=1 when draining
// starts, and with WATCHDOG_USEC sends WATCHDOG=1 every WATCHDOG_USEC/2 only
// while every worker's event loop answers: a wedged loop stops them, and the
// admin listener (its own thread) reports the stall. The test plays the
// service manager: it binds the datagram socket and checks every sender's
// pid (SCM_CREDENTIALS), as systemd does with NotifyAccess=main.

#include "lifecycle.hpp"
#include "notify_socket.hpp"
#include "ops_helpers.hpp"

#include <signal.h>
#include <unistd.h>

#include <regex>
#include <string>
#include <thread>

using namespace onymous::test;
using steady = std::chrono::steady_clock;

namespace {

constexpr long long watchdog_usec = 400000;  // WATCHDOG=1 expected every 200 ms

connect_options plain_options() {
    connect_options options;
    options.tls = false;
    return options;
}

launch_options notified(const notify_socket& socket,
                        std::vector<std::pair<std::string, std::string>> extra = {}) {
    launch_options launch;
    launch.environment = {{"NOTIFY_SOCKET", socket.path().string()},
                          {"WATCHDOG_USEC", std::to_string(watchdog_usec)}};
    for (auto& entry : extra) launch.environment.push_back(std::move(entry));
    launch.wait_ready = false;
    return launch;
}

/// Requires the next datagram with `key`=`value` within `timeout`, sent by
/// `pid`; returns it.
notify_message expect_notify(notify_socket& socket, std::string_view key, std::string_view value,
                             pid_t pid, duration timeout) {
    const auto message = socket.wait_for(key, value, timeout);
    if (!message) {
        std::string seen;
        for (const auto& item : socket.history()) seen += "  \"" + item.text + "\"\n";
        FAIL("no " << key << "=" << value << " within " << timeout.count()
                   << " ms; datagrams so far:\n"
                   << seen);
    }
    INFO("datagram \"" << message->text << "\" from pid " << message->pid);
    REQUIRE(message->pid == pid);
    return *message;
}

/// Every datagram so far came from `pid`.
void require_all_from(const notify_socket& socket, pid_t pid) {
    for (const auto& message : socket.history()) {
        INFO("datagram \"" << message.text << "\"");
        REQUIRE(message.pid == pid);
    }
}

/// WATCHDOG=1 datagrams in history received at or after `from` (and before
/// `until` when given).
std::size_t watchdogs_between(const notify_socket& socket, steady::time_point from,
                              steady::time_point until = steady::time_point::max()) {
    std::size_t count = 0;
    for (const auto& message : socket.history())
        if (message.is("WATCHDOG", "1") && message.received >= from && message.received < until)
            ++count;
    return count;
}

/// Receives (recording) everything for `window`.
void drain_for(notify_socket& socket, duration window) {
    const auto until = steady::now() + window;
    while (steady::now() < until)
        socket.receive(std::chrono::duration_cast<duration>(until - steady::now()));
}

}  // namespace

TEST_CASE("sd_notify: READY=1, WATCHDOG=1, STATUS=, RELOADING=1/READY=1 on SIGHUP, STOPPING=1",
          "[systemd_notify_test][e2e]") {
    notify_socket socket;
    daemon_process daemon(notified(socket), {quick_close});

    const auto ready = expect_notify(socket, "READY", "1", daemon.pid(), daemon_start_timeout);
    {
        INFO("READY datagram: \"" << ready.text << "\"");
        REQUIRE(ready.has("STATUS"));
        REQUIRE_FALSE(ready.value("STATUS")->empty());
        // Not reloading, not stopping: a plain start-up notification.
        REQUIRE_FALSE(ready.has("RELOADING"));
        REQUIRE_FALSE(ready.has("STOPPING"));
    }
    // READY=1 came once the listeners were up: they answer now.
    daemon.await_ready(allowance(2s));
    REQUIRE(admin_status(daemon, "/readyz") == 200);
    auto idle = open_client(daemon);
    ping_pong(idle);
    auto waiting = open_client(daemon, plain_options());
    join(waiting, "text");

    // WATCHDOG=1 every WATCHDOG_USEC/2 = 200 ms: about 5 a second.
    const auto window_start = steady::now();
    drain_for(socket, 1000ms);
    const auto watchdogs = watchdogs_between(socket, window_start);
    INFO("WATCHDOG=1 datagrams in 1 s: " << watchdogs);
    REQUIRE(watchdogs >= 1);
    if (timing_tests_enabled()) {
        REQUIRE(watchdogs >= 3);
        REQUIRE(watchdogs <= 8);
    }

    // STATUS= is refreshed every 2 s with the counts: two connections, one
    // of them waiting.
    const auto status = socket.wait_for(
        [](const notify_message& message) {
            return message.is("STATUS", "2 connections, 1 waiting");
        },
        allowance(5s));
    {
        std::string seen;
        for (const auto& item : socket.history())
            if (item.has("STATUS")) seen += "  \"" + item.text + "\"\n";
        INFO("STATUS datagrams so far:\n" << seen);
        REQUIRE(status.has_value());
    }
    const std::regex counts("[0-9]+ connections, [0-9]+ waiting");

    // SIGHUP: RELOADING=1 with MONOTONIC_USEC taken after the signal was
    // sent and before the datagram arrived, then READY=1 saying "reloaded".
    const auto before = monotonic_usec();
    REQUIRE(::kill(daemon.pid(), SIGHUP) == 0);
    const auto reloading = expect_notify(socket, "RELOADING", "1", daemon.pid(), allowance(5s));
    {
        INFO("RELOADING datagram: \"" << reloading.text << "\", signal sent at " << before);
        REQUIRE(reloading.has("MONOTONIC_USEC"));
        const auto stamp = std::stoll(*reloading.value("MONOTONIC_USEC"));
        REQUIRE(stamp >= before);
        REQUIRE(stamp <= reloading.received_monotonic_usec);
    }
    const auto reloaded = expect_notify(socket, "READY", "1", daemon.pid(), allowance(5s));
    {
        INFO("READY after the reload: \"" << reloaded.text << "\"");
        REQUIRE(reloaded.has("STATUS"));
        REQUIRE(reloaded.value("STATUS")->find("reloaded") != std::string::npos);
        REQUIRE(reloaded.value("STATUS")->find("failed") == std::string::npos);
    }
    // The watchdog goes on after a reload.
    expect_notify(socket, "WATCHDOG", "1", daemon.pid(), allowance(1s));
    ping_pong(idle);

    // SIGTERM: STOPPING=1 as the drain starts; the idle and waiting sessions
    // close at once, so the daemon exits 0 promptly.
    REQUIRE(idle.close(1000).close_frame);
    REQUIRE(waiting.close(1000).close_frame);
    REQUIRE(::kill(daemon.pid(), SIGTERM) == 0);
    const auto stopping = expect_notify(socket, "STOPPING", "1", daemon.pid(), allowance(5s));
    INFO("STOPPING datagram: \"" << stopping.text << "\"");
    const auto exit = daemon.wait_exit(allowance(5s));
    INFO("stderr:\n" << daemon.log());
    REQUIRE(exit.has_value());
    REQUIRE(exit->exited_with(0));
    // No READY=1 after STOPPING=1, and every datagram came from the daemon.
    drain_for(socket, 50ms);
    bool stopped = false;
    for (const auto& message : socket.history()) {
        INFO("datagram \"" << message.text << "\"");
        if (stopped) REQUIRE_FALSE(message.is("READY", "1"));
        stopped = stopped || message.is("STOPPING", "1");
        if (message.has("STATUS") && !message.has("READY") && !message.has("RELOADING") &&
            !message.has("STOPPING")) {
            // A periodic refresh is exactly the counts line.
            REQUIRE(std::regex_match(*message.value("STATUS"), counts));
        }
    }
    require_all_from(socket, daemon.pid());
}

TEST_CASE("WATCHDOG_USEC without NOTIFY_SOCKET changes nothing", "[systemd_notify_test][e2e]") {
    launch_options launch;
    launch.environment = {{"WATCHDOG_USEC", std::to_string(watchdog_usec)}};
    daemon_process daemon(launch, {});
    auto client = open_client(daemon);
    ping_pong(client);
    REQUIRE(client.expect_silence(500ms));
    ping_pong(client);
    finish(daemon);
}

TEST_CASE("WATCHDOG_PID of another process turns the watchdog off", "[systemd_notify_test][e2e]") {
    notify_socket socket;
    // The test's own pid: the watchdog is meant for another process.
    daemon_process daemon(notified(socket, {{"WATCHDOG_PID", std::to_string(::getpid())}}), {});
    expect_notify(socket, "READY", "1", daemon.pid(), daemon_start_timeout);
    drain_for(socket, allowance(1s));
    REQUIRE(watchdogs_between(socket, steady::time_point::min()) == 0);
    daemon.await_ready(allowance(2s));
    finish(daemon);
}

TEST_CASE("a wedged worker stops WATCHDOG=1; /healthz answers 503 and the stall is counted",
          "[systemd_notify_test][e2e]") {
    notify_socket socket;
    constexpr auto wedge_after = 300ms;
    daemon_process daemon(notified(socket, {{"ONYMOUS_TEST_WEDGE_AFTER_MS", "300"}}),
                          {{"threads", 2}});
    const auto ready = expect_notify(socket, "READY", "1", daemon.pid(), daemon_start_timeout);
    const auto wedged_at = ready.received + wedge_after;
    daemon.await_ready(allowance(2s));

    // Before the wedge (and for up to one watchdog period after it, while the
    // last heartbeat is recent) WATCHDOG=1 flows.
    const auto first = socket.wait_for("WATCHDOG", "1", allowance(1s));
    REQUIRE(first.has_value());
    REQUIRE(first->pid == daemon.pid());
    if (timing_tests_enabled()) REQUIRE(first->received < wedged_at + 200ms);

    // A heartbeat is "recent" for WATCHDOG_USEC/2 after the wedge, and a
    // WATCHDOG=1 already due may still go out: after twice that (plus slack)
    // none may come for 1.5 s.
    const auto quiet_from = wedged_at + allowance(600ms);
    drain_for(socket, std::chrono::duration_cast<duration>(quiet_from - steady::now()));
    const auto window_start = steady::now();
    drain_for(socket, 1500ms);
    {
        std::string seen;
        for (const auto& item : socket.history())
            seen +=
                "  +" +
                std::to_string(
                    std::chrono::duration_cast<duration>(item.received - ready.received).count()) +
                " ms \"" + item.text + "\"\n";
        INFO("datagrams since READY (wedge at +300 ms):\n" << seen);
        REQUIRE(watchdogs_between(socket, window_start) == 0);
    }

    // The admin listener has its own thread: it answers, and says so.
    const auto deadline = steady::now() + allowance(5s);
    http_response health;
    do {
        health = http_exchange(daemon.admin_port(), false, get_request("/healthz"), 3s);
        if (health.status == 503) break;
        std::this_thread::sleep_for(50ms);  // a poll step: health has no push interface
    } while (steady::now() < deadline);
    INFO("/healthz: " << health.status << " \"" << health.body << "\"");
    REQUIRE(health.status == 503);
    REQUIRE(health.body == "event loop stalled\n");
    const auto metrics =
        wait_for_sample(daemon, "onymous_event_loops_stalled", {}, 1, allowance(3s), false);
    REQUIRE(metrics.family("onymous_event_loops_stalled")->type == "gauge");
    require_all_from(socket, daemon.pid());

    // The wedged loop would hold a drain for 60 s: end it here.
    const auto status = daemon.stop(0ms, SIGKILL);
    REQUIRE(status.signal == SIGKILL);
}
