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
//
// Nodes are allocated in slabs and kept for the process's life. One by one,
// they were allocated at the peak of a load, among the connections' own
// allocations, and each kept the heap page it sat on: after 200 churning
// clients left, 258 nodes (20 KiB) held about 900 KiB of a worker's heap
// that malloc_trim could not give back (heaptrack, bench/memory).

#include "mpsc_queue.hpp"

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace onymous::match {

template <typename Node>
class node_cache {
public:
    /// A node for the calling thread: recycled if possible, else from a new slab.
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
        if (!mine.head) refill(mine);
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
    static constexpr std::size_t slab_nodes = 64;

    /// Nodes belong to their slab, wherever they are listed: a thread that
    /// ends hands its list to the others.
    struct local_list {
        queue_node* head = nullptr;
        std::size_t size = 0;  ///< at most the length of the list
        ~local_list() {
            if (!head) return;
            queue_node* last = head;
            while (queue_node* n = last->next.load(std::memory_order_relaxed)) last = n;
            push_shared(head, last);
        }
    };

    /// Every slab, freed with the process.
    struct slab_store {
        std::mutex lock;
        std::vector<std::unique_ptr<Node[]>> slabs;
    };

    /// A new slab's nodes onto the calling thread's empty list.
    static void refill(local_list& mine) {
        auto slab = std::make_unique<Node[]>(slab_nodes);
        for (std::size_t i = 0; i < slab_nodes; ++i) {
            slab[i].next.store(mine.head, std::memory_order_relaxed);
            mine.head = &slab[i];
        }
        const std::lock_guard guard(slabs_.lock);  // once per 64 nodes ever needed
        slabs_.slabs.push_back(std::move(slab));
    }

    static void share_half(local_list& mine) {
        queue_node* first = mine.head;
        queue_node* last = first;
        for (std::size_t i = 1; i < keep / 2; ++i)
            last = last->next.load(std::memory_order_relaxed);
        mine.head = last->next.load(std::memory_order_relaxed);
        mine.size -= keep / 2;
        push_shared(first, last);
    }

    /// Pushes the chain first..last onto the shared stack with one CAS.
    static void push_shared(queue_node* first, queue_node* last) {
        queue_node* top = shared_.load(std::memory_order_relaxed);
        do {
            last->next.store(top, std::memory_order_relaxed);
        } while (!shared_.compare_exchange_weak(top, first, std::memory_order_release,
                                                std::memory_order_relaxed));
    }

    static inline thread_local local_list local_;
    static inline std::atomic<queue_node*> shared_{nullptr};
    static inline slab_store slabs_;
};

}  // namespace onymous::match
