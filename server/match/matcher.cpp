// The matcher's front: each public call becomes an operation, handed through
// the lock-free combiner to whichever caller owns the pool at the moment,
// which applies it (the pool tells the peers its decisions as it takes
// them). See docs/architecture.md (matcher section) for why this design.

#include <onymous/match/matcher.hpp>

#include "combiner.hpp"
#include "member.hpp"
#include "node_cache.hpp"
#include "pool.hpp"

#include <utility>

namespace onymous::match {

// The counters of matcher_stats; the front's atomics are checked where
// they are declared (combiner.hpp, mpsc_queue.hpp).
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

namespace {

enum class op_kind : std::uint8_t { attach, join, next, leave, detach, suspend, reactivate, poll };

}  // namespace

struct matcher::operation : queue_node {
    op_kind kind = op_kind::poll;
    member* who = nullptr;
    std::uint64_t ticket = 0;
    protocol::chat_mode mode = protocol::chat_mode::video;
    bool shadowed = false;               ///< join and next
    std::vector<std::string> interests;  ///< join only
    std::shared_ptr<match::peer> peer;   ///< reactivate only; moved out when applied

    /// A node for `kind` about `m`: recycled when possible (node_cache.hpp).
    static operation* make(op_kind kind, member* m) {
        operation* op = node_cache<operation>::take();
        op->kind = kind;
        op->who = m;
        return op;
    }
    static void dispose(operation* op) noexcept {
        op->interests.clear();  // keeps its capacity for the next join
        op->peer.reset();
        node_cache<operation>::give(op);
    }
};

struct matcher::impl {
    impl(const options& opts, matcher_stats& stats) : core(opts, stats) {}

    /// The combiner's owner interface: one operation, then end of a batch.
    void apply(operation& op) noexcept;
    void end_batch() noexcept { core.end_batch(); }

    combiner<operation> front;
    alignas(64) pool core;  ///< owner only
};

matcher::matcher(options opts) : impl_(std::make_unique<impl>(opts, stats_)) {}

matcher::~matcher() {
    // No call is in flight any more, so the queue is empty; this only
    // applies what a misbehaving caller may have left, so that nothing leaks.
    drain();
}

matchmaker::handle* matcher::attach(std::shared_ptr<match::peer> p) {
    auto* m = new member(std::move(p));
    submit(operation::make(op_kind::attach, m));
    return m;
}

namespace {

/// Every handle this matcher hands out is one of its members.
matcher::member* own(matchmaker::handle* h) { return static_cast<matcher::member*>(h); }

}  // namespace

void matcher::join(handle* m, std::uint64_t ticket, protocol::chat_mode mode,
                   std::vector<std::string> interests, bool shadowed) {
    operation* op = operation::make(op_kind::join, own(m));
    op->ticket = ticket;
    op->mode = mode;
    op->shadowed = shadowed;
    // Copied into the node's own vector rather than moved: buffers then stay
    // with the thread that allocated them (the caller's, the recycled
    // node's, the member's), and malloc is spared cross-thread frees.
    op->interests.assign(interests.begin(), interests.end());
    submit(op);
}

void matcher::next(handle* m, std::uint64_t ticket, bool shadowed) {
    operation* op = operation::make(op_kind::next, own(m));
    op->ticket = ticket;
    op->shadowed = shadowed;
    submit(op);
}

void matcher::leave(handle* m, std::uint64_t ticket) {
    operation* op = operation::make(op_kind::leave, own(m));
    op->ticket = ticket;
    submit(op);
}

void matcher::detach(handle* m) { submit(operation::make(op_kind::detach, own(m))); }

void matcher::suspend(handle* m) { submit(operation::make(op_kind::suspend, own(m))); }

void matcher::reactivate(handle* m, std::shared_ptr<match::peer> p) {
    operation* op = operation::make(op_kind::reactivate, own(m));
    op->peer = std::move(p);
    submit(op);
}

void matcher::poll() { submit(operation::make(op_kind::poll, nullptr)); }

void matcher::submit(operation* op) noexcept { impl_->front.submit(op, *impl_); }

void matcher::drain() noexcept { impl_->front.drain(*impl_); }

void matcher::impl::apply(operation& op) noexcept {
    // noexcept: an exception here (a throwing peer callback) would leave the
    // matcher owned forever; terminating says so at once.
    if (op.kind == op_kind::poll) core.start_poll();
    core.run_deadlines();
    switch (op.kind) {
    case op_kind::attach: core.attach(op.who); break;
    case op_kind::join: core.join(op.who, op.ticket, op.mode, op.interests, op.shadowed); break;
    case op_kind::next: core.next(op.who, op.ticket, op.shadowed); break;
    case op_kind::leave: core.leave(op.who, op.ticket); break;
    case op_kind::detach: core.detach(op.who); break;
    case op_kind::suspend: core.suspend(op.who); break;
    case op_kind::reactivate: core.reactivate(op.who, std::move(op.peer)); break;
    case op_kind::poll: break;
    }
    core.count_operation();
}

}  // namespace onymous::match
