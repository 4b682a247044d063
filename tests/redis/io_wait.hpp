#pragma once
// Waiting for events on an io_context in tests: run it until a condition
// holds, under a deadline, instead of sleeping. run_for is for the other
// case, showing that something does not happen within a window.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>

namespace onymous::test {

/// Runs `io` on this thread until `done()` holds (checked before and after
/// each handler) or `timeout` passes; whether it holds.
inline bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
                      std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto work = boost::asio::make_work_guard(io);  // no return for lack of work
    io.restart();
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        io.run_one_until(deadline);
    }
    return true;
}

/// Runs `io` on this thread for `duration`, whatever happens.
inline void run_for(boost::asio::io_context& io, std::chrono::milliseconds duration) {
    run_until(
        io, [] { return false; }, duration);
}

}  // namespace onymous::test
