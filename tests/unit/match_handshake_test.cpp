// The matcher's lock-free front (server/match/combiner.hpp) in the three
// interleavings that matter, forced deterministically: threads are held at
// the combiner's pause points with latches, so each test takes one exact
// path, every run. (The concurrent stress test covers the rest at random.)

#include "../../server/match/combiner.hpp"

#include <catch2/catch.hpp>

#include <functional>
#include <latch>
#include <thread>
#include <utility>
#include <vector>

namespace onymous::match::test {
namespace {

/// One-shot hooks per thread: the first time a thread reaches a pause
/// point with a hook set, it runs the hook (which may block on a latch).
struct held_pauses {
    static inline thread_local std::function<void()> at_after_exchange;
    static inline thread_local std::function<void()> at_before_release;
    static inline thread_local std::function<void()> at_after_release;

    static void run(std::function<void()>& hook) noexcept {
        if (hook) std::exchange(hook, nullptr)();
    }
    static void after_exchange() noexcept { run(at_after_exchange); }
    static void before_release() noexcept { run(at_before_release); }
    static void after_release() noexcept { run(at_after_release); }
};

struct test_node : queue_node {
    test_node(int v, bool* freed_flag = nullptr) : value(v), freed(freed_flag) {}
    ~test_node() {
        if (freed) *freed = true;
    }
    static void dispose(test_node* n) { delete n; }
    int value;
    bool* freed;
    std::function<void()> on_apply;
};

/// A combiner whose owner records node values (only ever run by the owner).
struct front {
    combiner<test_node, held_pauses> c;
    std::vector<int> applied;

    void apply(test_node& n) noexcept {
        applied.push_back(n.value);
        if (n.on_apply) n.on_apply();
    }
    void end_batch() noexcept {}
    void submit(test_node* node) { c.submit(node, *this); }
};

TEST_CASE("combiner owner takes back a node linked while it let go", "[match]") {
    // B submits while A owns and is about to give ownership back: B's
    // attempt fails and it returns at once; A must see B's node after
    // letting go, take ownership again and apply it before returning.
    front f;
    std::latch a_at_release(1), b_returned(1);
    held_pauses::at_before_release = [&] {
        a_at_release.count_down();
        b_returned.wait();
    };
    std::jthread b([&] {
        a_at_release.wait();
        f.submit(new test_node(2));
        b_returned.count_down();
    });
    f.submit(new test_node(1));
    CHECK(f.applied == std::vector{1, 2});
}

TEST_CASE("combiner owner stops at a producer between exchange and link", "[match]") {
    // B has exchanged the tail but not linked: A's node sits behind B's.
    // A must not wait for B: it returns with its node not applied yet, and B,
    // once linked, takes ownership and applies both, in queue order.
    front f;
    std::latch b_exchanged(1), a_returned(1);
    std::jthread b([&] {
        held_pauses::at_after_exchange = [&] {
            b_exchanged.count_down();
            a_returned.wait();
        };
        f.submit(new test_node(2));
    });
    b_exchanged.wait();
    f.submit(new test_node(1));
    CHECK(f.applied.empty());
    a_returned.count_down();
    b.join();
    CHECK(f.applied == std::vector{2, 1});
}

TEST_CASE("combiner keeps a former owner's head alive until it has re-read it", "[match]") {
    // A ends its turn with X at its head and B between exchange and link
    // behind X. A lets go and, before re-reading X's `next`, B links, takes
    // ownership, applies X and Y and moves past X: X is pinned by A, so B
    // must leave freeing X to A.
    front f;
    bool x_freed = false;
    bool x_freed_under_a = true;
    std::latch a_in_apply(1), c_done(1), b_exchanged(1), resume_b(1), b_done(1);

    auto* first = new test_node(0);
    first->on_apply = [&] {
        a_in_apply.count_down();
        b_exchanged.wait();
    };
    held_pauses::at_after_release = [&] {
        resume_b.count_down();
        b_done.wait();
        x_freed_under_a = x_freed;
    };
    std::jthread c([&] {
        a_in_apply.wait();
        f.submit(new test_node(1, &x_freed));  // X: A owns, so C just queues it
        c_done.count_down();
    });
    std::jthread b([&] {
        c_done.wait();
        held_pauses::at_after_exchange = [&] {
            b_exchanged.count_down();
            resume_b.wait();
        };
        f.submit(new test_node(2));  // Y
        b_done.count_down();
    });
    f.submit(first);
    b.join();
    c.join();
    CHECK(f.applied == std::vector{0, 1, 2});
    CHECK_FALSE(x_freed_under_a);
    CHECK(x_freed);
}

}  // namespace
}  // namespace onymous::match::test
