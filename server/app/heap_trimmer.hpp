#pragma once
// Gives freed heap back to the system once a load spike has gone
// (memory/trim_policy decides, glibc's malloc_trim does it), on the control
// thread, so that no worker waits for it except on an arena lock.

#include "net/server_context.hpp"

#include <onymous/memory/trim_policy.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>

namespace onymous::app {

class heap_trimmer {
public:
    /// How often the load is sampled.
    static constexpr std::chrono::seconds period{5};

    heap_trimmer(boost::asio::io_context& control, const net::server_context& server,
                 std::atomic<std::uint64_t>& trims_total);

    void start() { tick(); }
    /// Control thread only.
    void stop() {
        stopped_ = true;
        timer_.cancel();
    }

private:
    void tick();

    const net::server_context& server_;
    std::atomic<std::uint64_t>& trims_total_;
    memory::trim_policy policy_;
    boost::asio::steady_timer timer_;
    bool stopped_ = false;
};

}  // namespace onymous::app
