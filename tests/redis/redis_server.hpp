#pragma once
// A real redis-server for tests (the Debian package's binary): on
// 127.0.0.1, a free port, and a Unix socket, in a scratch directory of its
// own, with no persistence (`--save "" --appendonly no`), killed at the end.
// Tests stop, pause, kill and restart it on the same port to make the
// client lose Redis the ways production does.
//
//   onymous::test::redis_server redis;           // started, answering PING
//   onymous::redis::connection c(io, redis.endpoint(), ...);
//   redis.pause();   // SIGSTOP: sockets stay open, nothing is answered
//   redis.resume();  // SIGCONT
//   redis.kill();    // kill -9
//   redis.start();   // an empty Redis again, same port and socket
//
// Not thread-safe; every call blocks until the process is in the state asked
// for (answering, stopped, continued, reaped), under a 10 s bound that
// throws std::runtime_error.

#include "../../server/redis/endpoint.hpp"

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace onymous::test {

class temp_dir;

class redis_server {
public:
    struct settings {
        std::string password;                 ///< requirepass when not empty
        std::uint16_t port = 0;               ///< 0: a free one, found by binding port 0
        std::vector<std::string> extra_args;  ///< more arguments ("--maxmemory", "1mb")
    };

    /// Starts it and waits until it answers. With port 0 it retries on
    /// another free port when the one it found was taken meanwhile.
    explicit redis_server(settings how);
    redis_server();
    /// Kills it (SIGKILL: there is nothing to save) and removes its directory.
    ~redis_server();
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    /// Starts it again after stop() or kill(), on the same port and socket; empty.
    void start();
    /// SIGTERM; waits for its exit.
    void stop();
    /// SIGKILL (kill -9); reaps it.
    void kill();
    /// kill() then start(): what a crash and a supervisor's restart look like.
    void restart();
    /// SIGSTOP: its sockets stay open and the kernel still accepts
    /// connections, but nothing is answered. Returns once it has stopped.
    void pause();
    /// SIGCONT; returns once it runs again.
    void resume();
    bool running() const { return pid_ > 0; }

    std::uint16_t port() const { return port_; }
    std::filesystem::path unix_socket() const;
    /// 127.0.0.1:port, with the password.
    redis::endpoint endpoint() const;
    /// The Unix socket (no password: the client's unix: form has none, see endpoint.hpp).
    redis::endpoint unix_endpoint() const;
    /// As cluster.redis takes it: "redis://[:password@]127.0.0.1:port".
    std::string url() const;

    /// Runs redis-cli with `args` against it (TCP, with the password) and
    /// returns what it printed, without the last newline. Throws when it fails.
    std::string cli(const std::vector<std::string>& args) const;
    /// What the server printed (its log) so far.
    std::string log() const;

private:
    /// Spawns it on port_ and waits for an answer; false when it exited first.
    bool launch();

    settings how_;
    std::unique_ptr<temp_dir> dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

/// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
std::uint16_t free_port();

}  // namespace onymous::test
