#pragma once
// Dmitry Vyukov's intrusive multi-producer single-consumer queue: a producer
// pays one atomic exchange on the tail plus one store to link its node; the
// consumer (the matcher's owner of the moment) only follows `next` links.
// Never blocks: a consumer that finds a producer between its exchange and
// its link reports "empty" and lets that producer finish the job (the
// matcher's handshake makes the producer take ownership after linking).
//
// Reclamation: pop() returns a node only once head_ has moved past it, and a
// node's `next` is written exactly once, by the producer that pushed the
// node after it; so no thread can still write to a popped node and the
// owner may free it at once. The one exception is a reader of `next` outside
// ownership (the matcher's re-check after handing ownership back): it pins
// the node it will read, see queue_node::pins.

#include <atomic>
#include <cstdint>

namespace onymous::match {

struct queue_node {
    std::atomic<queue_node*> next{nullptr};
    /// 2 per former owner still about to read `next` after giving ownership
    /// back, plus 1 once the node has been consumed. Whoever brings the count
    /// of pins to 0 on a consumed node, or consumes an unpinned one, frees it.
    std::atomic<std::uint32_t> pins{0};
};

static_assert(std::atomic<queue_node*>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

/// Points where a test may hold a thread to force an interleaving that is
/// otherwise a few instructions wide. Empty, and free, in production.
struct no_pauses {
    /// Producer: the tail is exchanged, the link to its node not yet written.
    static void after_exchange() noexcept {}
    /// Owner: the queue looked empty, ownership not yet given back.
    static void before_release() noexcept {}
    /// Former owner: ownership given back, its head's `next` not yet re-read.
    static void after_release() noexcept {}
};

template <typename Pauses = no_pauses>
class mpsc_queue {
public:
    mpsc_queue() = default;
    mpsc_queue(const mpsc_queue&) = delete;
    mpsc_queue& operator=(const mpsc_queue&) = delete;

    /// Any thread, any time. seq_cst: the matcher's ownership handshake
    /// needs the link ordered before the producer's ownership attempt.
    void push(queue_node* node) noexcept {
        node->next.store(nullptr, std::memory_order_relaxed);
        queue_node* prev = tail_.exchange(node, std::memory_order_seq_cst);
        if (node != &stub_) Pauses::after_exchange();
        prev->next.store(node, std::memory_order_seq_cst);
    }

    /// Owner only. The oldest node, or nullptr when the queue is empty or its
    /// oldest node's successor is still being linked by its producer.
    queue_node* pop() noexcept {
        queue_node* head = head_;
        queue_node* next = head->next.load(std::memory_order_acquire);
        if (head == &stub_) {
            if (!next) return nullptr;
            head_ = next;
            head = next;
            next = next->next.load(std::memory_order_acquire);
        }
        if (next) {
            head_ = next;
            return head;
        }
        // `head` is the last linked node. Unless a producer has exchanged
        // the tail already, put the stub behind it so that it can be returned.
        if (tail_.load(std::memory_order_acquire) != head) return nullptr;
        push(&stub_);
        next = head->next.load(std::memory_order_acquire);
        if (next) {
            head_ = next;
            return head;
        }
        return nullptr;
    }

    /// Owner only: the node whose `next` tells whether more work is linked.
    queue_node* head() const noexcept { return head_; }
    /// The stub lives as long as the queue: reading it needs no pin.
    bool is_stub(const queue_node* node) const noexcept { return node == &stub_; }

private:
    queue_node stub_;
    queue_node* head_ = &stub_;  ///< owner only
    alignas(64) std::atomic<queue_node*> tail_{&stub_};
};

}  // namespace onymous::match
