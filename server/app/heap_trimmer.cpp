#include "app/heap_trimmer.hpp"

#include <malloc.h>

namespace onymous::app {

namespace {

/// A fall of about 128 connections' worth: a 200-client spike is trimmed.
constexpr std::uint64_t min_drop = 1024;

}  // namespace

heap_trimmer::heap_trimmer(boost::asio::io_context& control, const net::server_context& server,
                           std::atomic<std::uint64_t>& trims_total)
    : server_(server), trims_total_(trims_total), policy_(min_drop), timer_(control) {}

void heap_trimmer::tick() {
    if (stopped_) return;
    const auto load = memory::trim_policy::load_of(
        server_.stats.open_connections.load(std::memory_order_relaxed) +
            server_.sessions.counters.in_grace.load(std::memory_order_relaxed),
        server_.sessions.budget.used());
    if (policy_.sample(load)) {
        ::malloc_trim(0);
        trims_total_.fetch_add(1, std::memory_order_relaxed);
    }
    timer_.expires_after(period);
    timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) tick();
    });
}

}  // namespace onymous::app
