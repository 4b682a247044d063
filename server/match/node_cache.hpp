#pragma once
// Recycles the matcher's operation nodes so that the hot path does not go
// through the allocator: a node is allocated by the submitting thread and
// freed by whichever thread owns the matcher then, and glibc's malloc pays
// for that cross-thread traffic with its arena locks.
//
// Each thread keeps a private free list. Freed nodes go to the freeing
// thread's list; once it holds more than `keep`, half of it is pushed, as one
// chain with one CAS, onto a shared stack. A thread whose list is empty takes
// the whole shared stack with one exchange, or allocates. Pushing with CAS
// and taking everything with an exchange is free of the ABA problem, so no
// tags are needed, and no thread ever waits for another.

#include "mpsc_queue.hpp"

#include <atomic>
#include <cstddef>

namespace onymous::match {

template <typename Node>
class node_cache {
public:
    /// A node for the calling thread: recycled if possible, else new.
    /// Its payload is in whatever state its last use left it.
    static Node* take() {
        local_list& mine = local_;
        if (!mine.head) {
            // Not counted (walking the chain would miss the cache on every
            // node): `size` counts what this thread gave since, which is
            // what the sharing threshold is about.
            mine.head = shared_.exchange(nullptr, std::memory_order_acquire);
            mine.size = 0;
        }
        if (!mine.head) return new Node;
        queue_node* n = mine.head;
        mine.head = n->next.load(std::memory_order_relaxed);
        if (mine.size > 0) --mine.size;
        return static_cast<Node*>(n);
    }

    /// Takes back a node nobody uses any more.
    static void give(Node* node) {
        local_list& mine = local_;
        node->next.store(mine.head, std::memory_order_relaxed);
        mine.head = node;
        if (++mine.size > keep) share_half(mine);
    }

private:
    static constexpr std::size_t keep = 256;

    struct local_list {
        queue_node* head = nullptr;
        std::size_t size = 0;  ///< at most the length of the list
        ~local_list() {
            while (head) {
                queue_node* n = head;
                head = n->next.load(std::memory_order_relaxed);
                delete static_cast<Node*>(n);
            }
        }
    };

    static void share_half(local_list& mine) {
        queue_node* first = mine.head;
        queue_node* last = first;
        for (std::size_t i = 1; i < keep / 2; ++i)
            last = last->next.load(std::memory_order_relaxed);
        mine.head = last->next.load(std::memory_order_relaxed);
        mine.size -= keep / 2;
        queue_node* top = shared_.load(std::memory_order_relaxed);
        do {
            last->next.store(top, std::memory_order_relaxed);
        } while (!shared_.compare_exchange_weak(top, first, std::memory_order_release,
                                                std::memory_order_relaxed));
    }

    static inline thread_local local_list local_;
    static inline std::atomic<queue_node*> shared_{nullptr};
};

}  // namespace onymous::match
