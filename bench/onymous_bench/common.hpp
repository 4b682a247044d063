#pragma once
// Small pieces every scenario uses: a tally of errors, a window that keeps K
// connects in flight, progress lines on stderr, clocks.

#include "options.hpp"
#include "ws_connection.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace onymous::bench {

using steady = std::chrono::steady_clock;

/// CLOCK_MONOTONIC in nanoseconds: comparable between processes.
std::int64_t monotonic_ns();

double seconds_between(steady::time_point from, steady::time_point to);

/// Raises the soft limit of open descriptors to the hard one (20,000 here).
void raise_descriptor_limit();

/// Errors by kind ("connect: Connection refused", "error rate_limited"), for
/// the report. Kinds never hold message content (no SDP, no candidate).
class error_tally {
public:
    void add(const std::string& kind, std::uint64_t count = 1);
    void add(const char* step, const error_code& ec);
    std::uint64_t total() const { return total_; }
    /// "connect: Connection refused x3; tls: ..." (empty when none).
    std::string summary() const;
    /// Prints the first errors of each kind on stderr as they happen.
    void echo(bool on) { echo_ = on; }

private:
    std::map<std::string, std::uint64_t> kinds_;
    std::uint64_t total_ = 0;
    bool echo_ = true;
};

/// Starts items 0..count-1 with at most `limit` of them unfinished.
class launch_window {
public:
    launch_window(std::size_t count, std::size_t limit, std::function<void(std::size_t)> start)
        : count_(count), limit_(limit == 0 ? 1 : limit), start_(std::move(start)) {}
    void fill();
    /// One started item is done (open or failed): starts the next.
    void finished();
    bool all_started() const { return next_ >= count_; }

private:
    std::size_t count_;
    std::size_t limit_;
    std::function<void(std::size_t)> start_;
    std::size_t next_ = 0;
    std::size_t in_flight_ = 0;
};

/// Every `interval`, prints "onymous-bench SCENARIO: <line()>" on stderr.
class progress_ticker {
public:
    progress_ticker(boost::asio::io_context& ioc, std::string scenario, bool enabled,
                    std::function<std::string()> line,
                    std::chrono::milliseconds interval = std::chrono::seconds(2));
    void start();
    void stop();

private:
    void arm();
    boost::asio::steady_timer timer_;
    std::string scenario_;
    bool enabled_;
    std::function<std::string()> line_;
    std::chrono::milliseconds interval_;
    bool running_ = false;
};

/// The request target of a PeerJS client: PATH?key=KEY&id=ID&token=TOKEN.
std::string peerjs_target(const options& opts, const std::string& id);

/// Where the connections of these options to node `node` (an index into
/// opts.nodes) go.
connect_target target_of(const options& opts, std::size_t node = 0);

/// The message a server sends first: "hello" (onymous) or "OPEN" (PeerJS).
std::string_view greeting_type(const options& opts);

}  // namespace onymous::bench
