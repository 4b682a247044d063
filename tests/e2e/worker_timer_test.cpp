// A worker's session timer keeps the promise of session::timer: a cancelled
// callback never runs, even when its expiry was already queued. (Asio's own
// cancel() cannot undo an expiry whose handler is queued: a quick take-over
// and a second drop would then end the new resume grace early.) No daemon:
// the worker's io_context is driven here, on this thread.

#include "net/worker.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <thread>

using namespace std::chrono_literals;

TEST_CASE("a timer cancelled after its expiry was queued does not run",
          "[worker_timer_test][net]") {
    onymous::net::worker w;
    auto grace = w.make_timer();
    bool grace_ran = false;
    bool takeover_ran = false;
    // Another handler, due first, cancels the grace and arms it again (the
    // take-over and the second drop).
    boost::asio::steady_timer takeover(w.io());
    takeover.expires_after(1ms);
    takeover.async_wait([&](boost::system::error_code) {
        grace->cancel();
        grace->start(1h, [&] { grace_ran = true; });
        takeover_ran = true;
    });
    grace->start(2ms, [&] { grace_ran = true; });
    // Both deadlines pass before the loop runs: one pass of the reactor then
    // queues both expiries, the take-over's first (this sleep only lets the
    // clock pass; nothing else runs meanwhile).
    std::this_thread::sleep_for(10ms);
    w.io().poll();
    REQUIRE(takeover_ran);
    CHECK_FALSE(grace_ran);
}
