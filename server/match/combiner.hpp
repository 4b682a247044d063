#pragma once
// Flat combining without a lock: every caller queues its node, then tries to
// become the owner with one atomic exchange; the owner applies every queued
// node, in queue order, and hands ownership back. See docs/architecture.md
// (matcher) for the argument that no node is ever left behind and nobody
// ever waits for another thread.

#include "mpsc_queue.hpp"

#include <atomic>
#include <cstddef>

namespace onymous::match {

template <typename Node, typename Pauses = no_pauses>
class combiner {
public:
    static_assert(std::atomic<bool>::is_always_lock_free);

    combiner() = default;
    combiner(const combiner&) = delete;
    combiner& operator=(const combiner&) = delete;

    /// Queues `node`, then applies the queue unless another thread owns it;
    /// that owner will. Once applied and unreferenced, the node goes back
    /// through Node::dispose(Node*).
    template <typename Owner>
    void submit(Node* node, Owner& owner) noexcept {
        queue_.push(node);
        drain(owner);
    }

    /// Takes ownership while it is free and applies whatever is queued.
    /// One thread at a time calls owner.apply(Node&) for each node in queue
    /// order, then owner.end_batch() before giving ownership back.
    template <typename Owner>
    void drain(Owner& owner) noexcept {
        // Dekker-style handshake with producers: a producer links its node,
        // then reads the flag and, if free, tries to take ownership (all
        // seq_cst). An owner gives ownership back, then re-reads its head's
        // `next` (seq_cst). So either the producer becomes the owner, or the
        // owner whose flag it saw sees its node after letting go and takes
        // ownership again. A node behind a producer that has not linked yet
        // is that producer's to pick up once it has linked. Nobody waits for
        // another thread. (The plain load first spares a busy matcher's
        // cache line an exchange from every producer.)
        while (!owned_.load(std::memory_order_seq_cst) &&
               !owned_.exchange(true, std::memory_order_seq_cst)) {
            while (queue_node* node = queue_.pop()) {
                // Under load the next node was written by another core: ask
                // for it now, so that it arrives while this one is applied.
                if (!queue_.is_stub(queue_.head())) prefetch(queue_.head());
                owner.apply(*static_cast<Node*>(node));
                release(node);
            }
            owner.end_batch();
            // Once ownership is given back, another owner may consume and
            // free our head before we re-read its `next`: pin it (the stub
            // is never freed).
            queue_node* head = queue_.head();
            const bool pinned = !queue_.is_stub(head);
            if (pinned) head->pins.fetch_add(2, std::memory_order_relaxed);
            Pauses::before_release();
            owned_.store(false, std::memory_order_seq_cst);
            Pauses::after_release();
            const bool more = head->next.load(std::memory_order_seq_cst) != nullptr;
            if (pinned) unpin(head);
            if (!more) return;
        }
    }

private:
    static void prefetch(const queue_node* node) noexcept {
        const auto* bytes = reinterpret_cast<const char*>(node);
        for (std::size_t offset = 0; offset < sizeof(Node); offset += 64)
            __builtin_prefetch(bytes + offset);
    }

    /// Disposes of a consumed node, unless a former owner still has it pinned.
    static void release(queue_node* node) noexcept {
        if (node->pins.load(std::memory_order_acquire) == 0 ||
            (node->pins.fetch_or(1, std::memory_order_acq_rel) >> 1) == 0)
            dispose(node);
    }

    /// Drops a pin; the last pin on a consumed node disposes of it.
    static void unpin(queue_node* node) noexcept {
        if (node->pins.fetch_sub(2, std::memory_order_acq_rel) == 3) dispose(node);
    }

    static void dispose(queue_node* node) noexcept {
        node->pins.store(0, std::memory_order_relaxed);  // ready for reuse
        Node::dispose(static_cast<Node*>(node));
    }

    mpsc_queue<Pauses> queue_;
    alignas(64) std::atomic<bool> owned_{false};
};

}  // namespace onymous::match
