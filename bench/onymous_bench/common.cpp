#include "common.hpp"

#include <sys/resource.h>
#include <time.h>

#include <iostream>

namespace onymous::bench {

std::int64_t monotonic_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

double seconds_between(steady::time_point from, steady::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

void raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
}

void error_tally::add(const std::string& kind, std::uint64_t count) {
    auto& seen = kinds_[kind];
    if (echo_ && seen < 3) std::cerr << "onymous-bench: " << kind << "\n";
    seen += count;
    total_ += count;
}

void error_tally::add(const char* step, const error_code& ec) {
    add(std::string(step) + ": " + ec.message());
}

std::string error_tally::summary() const {
    std::string out;
    for (const auto& [kind, count] : kinds_) {
        if (!out.empty()) out += "; ";
        out += kind + " x" + std::to_string(count);
    }
    return out;
}

void launch_window::fill() {
    while (next_ < count_ && in_flight_ < limit_) {
        ++in_flight_;
        start_(next_++);
    }
}

void launch_window::finished() {
    if (in_flight_ > 0) --in_flight_;
    fill();
}

progress_ticker::progress_ticker(boost::asio::io_context& ioc, std::string scenario, bool enabled,
                                 std::function<std::string()> line,
                                 std::chrono::milliseconds interval)
    : timer_(ioc),
      scenario_(std::move(scenario)),
      enabled_(enabled),
      line_(std::move(line)),
      interval_(interval) {}

void progress_ticker::start() {
    if (!enabled_ || running_) return;
    running_ = true;
    arm();
}

void progress_ticker::stop() {
    running_ = false;
    timer_.cancel();
}

void progress_ticker::arm() {
    timer_.expires_after(interval_);
    timer_.async_wait([this](const error_code& ec) {
        if (ec || !running_) return;
        std::cerr << "onymous-bench " << scenario_ << ": " << line_() << std::endl;
        arm();
    });
}

std::string peerjs_target(const options& opts, const std::string& id) {
    return opts.path + "?key=" + opts.peerjs_key + "&id=" + id + "&token=t" + id;
}

connect_target target_of(const options& opts, std::size_t node) {
    connect_target target;
    target.host = opts.nodes.at(node).host;
    target.port = opts.nodes.at(node).port;
    if (opts.talk == dialect::onymous) target.subprotocol = "onymous.v1";
    return target;
}

std::string_view greeting_type(const options& opts) {
    return opts.talk == dialect::peerjs ? "OPEN" : "hello";
}

}  // namespace onymous::bench
