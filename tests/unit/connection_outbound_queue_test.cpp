// A connection's outbound queue and keepalive timer, without a socket.

#include <onymous/connection/keepalive.hpp>
#include <onymous/connection/outbound_queue.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using onymous::connection::keepalive;
using onymous::connection::outbound_queue;
using push_result = outbound_queue::push_result;

namespace {

onymous::session::frame text_of(std::size_t bytes) {
    return std::make_shared<const std::string>(bytes, 'x');
}

}  // namespace

TEST_CASE("the queue starts one write at a time and never passes its bound",
          "[connection][queue]") {
    outbound_queue q(100);
    CHECK(q.push(text_of(40)) == push_result::write_now);
    CHECK(q.push(text_of(40)) == push_result::queued);
    CHECK(q.push(text_of(21)) == push_result::over_limit);  // 101 > 100: not queued
    CHECK(q.bytes() == 80);
    CHECK(q.push(text_of(20)) == push_result::queued);  // exactly 100 fits
    CHECK(q.complete_write(true));                      // the next one is in flight at once
    CHECK(q.bytes() == 60);
    CHECK(q.complete_write(true));
    CHECK_FALSE(q.complete_write(true));
    CHECK(q.empty());
    CHECK_FALSE(q.writing());
}

TEST_CASE("a close at once keeps only the frame being written", "[connection][queue]") {
    outbound_queue q(1000);
    q.push(text_of(10));
    q.push(text_of(20));
    q.push(text_of(30));
    q.drop_waiting();
    CHECK(q.size() == 1);
    CHECK(q.bytes() == 10);
    CHECK_FALSE(q.complete_write(false));
    CHECK(q.empty());
}

TEST_CASE("a write completing after the queue was cleared touches nothing", "[connection][queue]") {
    outbound_queue q(1000);
    q.push(text_of(10));
    q.push(text_of(20));
    q.clear();  // the connection finished while the write was in flight
    CHECK(q.writing());
    CHECK_FALSE(q.complete_write(true));
    CHECK(q.empty());
    CHECK(q.bytes() == 0);
    // A later push starts writing again rather than waiting forever.
    CHECK(q.push(text_of(5)) == push_result::write_now);
}

TEST_CASE("keepalive: pings on their own rhythm, idle after no frame, then the close deadline",
          "[connection][keepalive]") {
    using namespace std::chrono_literals;
    using action = keepalive::action;
    const keepalive::clock::time_point t0{std::chrono::seconds(1000)};
    keepalive k(20s, 60s);
    k.activity(t0);
    CHECK(k.wake_at() == t0 + 20s);
    CHECK(k.decide(t0 + 19s) == action::wait);
    CHECK(k.decide(t0 + 20s) == action::ping);
    CHECK(k.wake_at() == t0 + 40s);
    k.activity(t0 + 30s);  // a pong: the idle timeout moves, the pings do not
    CHECK(k.wake_at() == t0 + 40s);
    CHECK(k.decide(t0 + 40s) == action::ping);
    CHECK(k.decide(t0 + 89s) == action::ping);
    CHECK(k.decide(t0 + 90s) == action::close_idle);

    SECTION("closing: only the deadline counts") {
        k.closing(t0 + 95s);
        CHECK(k.is_closing());
        CHECK(k.wake_at() == t0 + 95s);
        CHECK(k.decide(t0 + 94s) == action::wait);
        CHECK(k.decide(t0 + 95s) == action::abort);
    }
}
