// idle: N connections spread over child processes (each under the 20,000
// descriptors a process may have) and source addresses (each under the
// ~28,000 ephemeral ports of one address). The parent opens nothing itself:
// it samples the server's RSS before the first fork and after every child
// reported its last hello plus a settle time, and divides by the connections
// open. Children report through pipes (idle_worker.cpp).

#include "common.hpp"
#include "idle_worker.hpp"
#include "proc_stats.hpp"
#include "report.hpp"
#include "scenarios.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace onymous::bench {

namespace {

struct child {
    pid_t pid = -1;
    int report_fd = -1;
    int release_fd = -1;
    std::size_t count = 0;
    std::string pending;  // a partial line
    bool ready = false;
    bool done = false;
    bool gone = false;  // its pipe reached end of file
    std::size_t opened = 0;
    std::size_t failed = 0;
    std::size_t dropped = 0;
    std::int64_t last_hello_ns = 0;
    std::string errors;
};

void handle_line(child& c, const std::string& line) {
    std::istringstream in(line);
    std::string what;
    in >> what;
    if (what == "progress") {
        in >> c.opened >> c.failed >> c.dropped;
    } else if (what == "ready") {
        in >> c.opened >> c.failed >> c.last_hello_ns;
        std::getline(in, c.errors);
        if (!c.errors.empty() && c.errors.front() == ' ') c.errors.erase(0, 1);
        c.ready = true;
    } else if (what == "done") {
        in >> c.dropped;
        c.done = true;
    }
}

/// Reads the children's lines until `until` (CLOCK_MONOTONIC ns) or until
/// `enough()`; prints an aggregate progress line every 2 s.
template <class Enough>
void pump(std::vector<child>& children, std::int64_t until, Enough enough, bool progress,
          const char* phase) {
    std::int64_t next_line = monotonic_ns() + 2'000'000'000;
    while (!enough()) {
        const std::int64_t now = monotonic_ns();
        if (now >= until) return;
        std::vector<pollfd> fds;
        for (const auto& c : children)
            if (!c.gone) fds.push_back({c.report_fd, POLLIN, 0});
        if (fds.empty()) return;
        const int wait_ms =
            static_cast<int>(std::min<std::int64_t>((until - now) / 1'000'000 + 1, 200));
        if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR)
            throw std::runtime_error("poll failed");
        for (auto& c : children) {
            if (c.gone) continue;
            pollfd probe{c.report_fd, POLLIN, 0};
            if (::poll(&probe, 1, 0) <= 0) continue;
            char buffer[4096];
            const ssize_t n = ::read(c.report_fd, buffer, sizeof buffer);
            if (n <= 0) {
                c.gone = true;
                continue;
            }
            c.pending.append(buffer, static_cast<std::size_t>(n));
            for (std::size_t end; (end = c.pending.find('\n')) != std::string::npos;) {
                handle_line(c, c.pending.substr(0, end));
                c.pending.erase(0, end + 1);
            }
        }
        if (progress && monotonic_ns() >= next_line) {
            next_line += 2'000'000'000;
            std::size_t opened = 0, failed = 0, dropped = 0;
            for (const auto& c : children) {
                opened += c.opened;
                failed += c.failed;
                dropped += c.dropped;
            }
            std::cerr << "onymous-bench idle: " << phase << ": " << opened << " open, " << failed
                      << " failed, " << dropped << " dropped" << std::endl;
        }
    }
}

child spawn(const options& opts, std::size_t first, std::size_t count,
            const std::vector<child>& earlier) {
    int report[2];
    int release[2];
    if (::pipe(report) != 0 || ::pipe(release) != 0) throw std::runtime_error("pipe failed");
    std::cout.flush();
    std::cerr.flush();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        // The other children's release pipes must have one writer, the
        // parent, or they would never see the end of file.
        for (const auto& c : earlier) {
            ::close(c.report_fd);
            ::close(c.release_fd);
        }
        ::close(report[0]);
        ::close(release[1]);
        int status = 1;
        try {
            status = run_idle_worker(opts, first, count, report[1], release[0]);
        } catch (const std::exception& e) {
            std::cerr << "onymous-bench idle: worker: " << e.what() << std::endl;
        }
        std::cout.flush();
        ::_exit(status);
    }
    ::close(report[1]);
    ::close(release[0]);
    child c;
    c.pid = pid;
    c.report_fd = report[0];
    c.release_fd = release[1];
    c.count = count;
    return c;
}

double kib_per(std::optional<std::uint64_t> after, std::optional<std::uint64_t> before,
               std::size_t n) {
    if (!after || !before || n == 0) return 0.0;
    return (static_cast<double>(*after) - static_cast<double>(*before)) / static_cast<double>(n);
}

}  // namespace

int run_idle(const options& opts) {
    raise_descriptor_limit();
    const std::size_t total = opts.connections;
    const std::size_t processes = (total + opts.per_process - 1) / opts.per_process;
    const pid_t server = opts.server_pid;
    const auto rss_before = server > 0 ? resident_kib(server) : std::nullopt;
    const auto fds_before = server > 0 ? open_descriptors(server) : std::nullopt;

    const std::int64_t started = monotonic_ns();
    std::vector<child> children;
    for (std::size_t p = 0; p < processes; ++p) {
        const std::size_t first = total * p / processes;
        const std::size_t last = total * (p + 1) / processes;
        children.push_back(spawn(opts, first, last - first, children));
    }
    auto all = [&](bool child::*flag) {
        return [&children, flag] {
            return std::all_of(children.begin(), children.end(),
                               [flag](const child& c) { return c.*flag || c.gone; });
        };
    };
    // A guard against a hung child only: each connection attempt ends
    // within 15 s, so every child reports; slow TLS servers take minutes.
    const double open_limit = std::max(60.0, 30.0 + 0.02 * static_cast<double>(total));
    const std::int64_t open_deadline = started + static_cast<std::int64_t>(open_limit * 1e9);
    pump(children, open_deadline, all(&child::ready), !opts.quiet, "opening");

    std::size_t opened = 0, failed = 0;
    std::int64_t last_hello = started;
    std::string errors;
    for (const auto& c : children) {
        opened += c.opened;
        failed += c.ready ? c.failed : c.count - c.opened;
        last_hello = std::max(last_hello, c.last_hello_ns);
        if (!c.errors.empty()) errors += (errors.empty() ? "" : "; ") + c.errors;
        if (!c.ready)
            errors += (errors.empty() ? "" : "; ") + std::string("a worker never got ready");
    }
    const double connect_seconds = static_cast<double>(last_hello - started) / 1e9;

    const std::int64_t opened_at = monotonic_ns();
    auto never = [] { return false; };
    pump(children, opened_at + static_cast<std::int64_t>(opts.settle * 1e9), never, !opts.quiet,
         "settling");
    const auto rss_after = server > 0 ? resident_kib(server) : std::nullopt;
    const auto fds_after = server > 0 ? open_descriptors(server) : std::nullopt;
    cpu_meter hold_cpu(server);
    hold_cpu.start();
    const std::int64_t hold_from = monotonic_ns();
    pump(children, opened_at + static_cast<std::int64_t>(std::max(opts.hold, opts.settle) * 1e9),
         never, !opts.quiet, "holding");
    hold_cpu.stop();
    const double held = static_cast<double>(monotonic_ns() - hold_from) / 1e9;
    const auto rss_end = server > 0 ? resident_kib(server) : std::nullopt;

    for (auto& c : children) ::close(c.release_fd);
    pump(children, monotonic_ns() + 20'000'000'000LL, all(&child::done), false, "closing");
    std::size_t dropped = 0;
    int worker_failures = 0;
    for (auto& c : children) {
        dropped += c.dropped;
        int status = 0;
        ::waitpid(c.pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !c.done) ++worker_failures;
        ::close(c.report_fd);
    }

    report out("idle", opts.label);
    out.text("dialect", "dialect", dialect_name(opts));
    out.text("transport", "transport", transport_name(opts));
    out.integer("connections", "connections asked", static_cast<std::int64_t>(total));
    out.integer("opened", "connections open (greeting received)",
                static_cast<std::int64_t>(opened));
    out.integer("failed", "connections failed", static_cast<std::int64_t>(failed));
    out.integer("processes", "client processes", static_cast<std::int64_t>(processes));
    out.integer("source_addresses", "client source addresses",
                static_cast<std::int64_t>((total + opts.per_address - 1) / opts.per_address));
    out.number("connect_seconds", "time to open all", connect_seconds, "s", 2);
    out.number("connect_rate_per_s", "connect rate (up to the greeting)",
               connect_seconds > 0 ? static_cast<double>(opened) / connect_seconds : 0.0, "/s");
    out.number("hold_seconds", "held after the last open", opts.hold, "s", 1);
    out.integer("dropped", "dropped while held", static_cast<std::int64_t>(dropped));
    if (server > 0) {
        out.integer("server_rss_before_kib", "server RSS before",
                    static_cast<std::int64_t>(rss_before.value_or(0)), "KiB");
        out.integer("server_rss_after_kib", "server RSS with all open",
                    static_cast<std::int64_t>(rss_after.value_or(0)), "KiB");
        out.integer("server_rss_end_kib", "server RSS at the end of the hold",
                    static_cast<std::int64_t>(rss_end.value_or(0)), "KiB");
        out.number("server_rss_per_connection_kib", "server RSS per connection",
                   kib_per(rss_after, rss_before, opened), "KiB", 2);
        out.number("server_fds_per_connection", "server descriptors per connection",
                   fds_before && fds_after && opened > 0
                       ? (static_cast<double>(*fds_after) - static_cast<double>(*fds_before)) /
                             static_cast<double>(opened)
                       : 0.0,
                   "", 3);
        out.number("server_cpu_percent_hold", "server CPU while held",
                   held > 0 && hold_cpu.valid() ? 100.0 * hold_cpu.seconds() / held : 0.0, "%", 2);
    }
    const std::uint64_t error_count =
        failed + dropped + static_cast<std::uint64_t>(worker_failures);
    out.integer("errors", "errors", static_cast<std::int64_t>(error_count));
    if (!errors.empty()) out.text("error_kinds", "error kinds", errors);
    out.print(opts.json);
    return error_count == 0 ? 0 : 1;
}

}  // namespace onymous::bench
