#include <onymous/memory/budget.hpp>

#include <algorithm>

namespace onymous::memory {

namespace {

/// The largest holders are what eviction is for; a session that acks holds a
/// few hundred bytes and never takes the budget's lock.
constexpr std::uint64_t max_listing_threshold = 4096;

}  // namespace

std::size_t budget::listed() const {
    const std::lock_guard lock(mutex_);
    return listed_.size();
}

std::uint64_t budget::listing_threshold() const {
    // A small test budget still sees its holders listed.
    return std::clamp<std::uint64_t>(limit() / 64, 1, max_listing_threshold);
}

void budget::list(account& a) {
    const std::lock_guard lock(mutex_);
    if (a.listed_.load() || a.evicted_.load()) return;
    a.index_ = listed_.size();
    listed_.push_back(&a);
    a.listed_.store(true);
}

void budget::unlist(account& a) {
    const std::lock_guard lock(mutex_);
    if (!a.listed_.load()) return;
    listed_[a.index_] = listed_.back();
    listed_[a.index_]->index_ = a.index_;
    listed_.pop_back();
    a.listed_.store(false);
}

void budget::evict_while_over(std::uint64_t used) {
    const std::lock_guard lock(mutex_);
    // What accounts already chosen still hold is on its way out: counting
    // it again would evict more holders than the overflow needs.
    while (used > limit() + being_evicted_.load()) {
        if (listed_.empty()) return;  // only small holders: refusing newcomers is what is left
        auto largest = std::max_element(listed_.begin(), listed_.end(),
                                        [](auto* a, auto* b) { return a->bytes() < b->bytes(); });
        account& chosen = **largest;
        const auto owed = chosen.bytes();
        chosen.owed_.store(owed);
        being_evicted_.fetch_add(owed);
        // Evicted before unlisted: a destructor that sees it unlisted also
        // sees it evicted, and waits for this lock (account::~account).
        chosen.evicted_.store(true);
        listed_[chosen.index_] = listed_.back();
        listed_[chosen.index_]->index_ = chosen.index_;
        listed_.pop_back();
        chosen.listed_.store(false);
        evictions_.fetch_add(1, std::memory_order_relaxed);
        if (chosen.evict_) chosen.evict_();
        used = used_.load();
    }
}

account::account(budget& b, std::function<void()> evict) : budget_(b), evict_(std::move(evict)) {}

account::~account() {
    remove(bytes());
    // Whatever the eviction was still owed is no longer on its way out.
    budget_.being_evicted_.fetch_sub(owed_.exchange(0));
    // The lock is the one the evicting thread holds while it calls evict_.
    if (listed_.load() || evicted_.load()) budget_.unlist(*this);
}

void account::add(std::uint64_t bytes) {
    if (bytes == 0) return;
    const auto now = bytes_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    const auto used = budget_.used_.fetch_add(bytes, std::memory_order_relaxed) + bytes;
    if (now >= budget_.listing_threshold() && !listed_.load(std::memory_order_relaxed) &&
        !evicted_.load(std::memory_order_relaxed))
        budget_.list(*this);
    if (used > budget_.limit()) budget_.evict_while_over(used);
}

void account::remove(std::uint64_t bytes) {
    if (bytes == 0) return;
    const auto now = bytes_.fetch_sub(bytes, std::memory_order_relaxed) - bytes;
    budget_.used_.fetch_sub(bytes, std::memory_order_relaxed);
    if (evicted_.load()) {
        // Gives back to the eviction what it counted on, at most what it owes.
        auto owed = owed_.load();
        while (owed > 0 && !owed_.compare_exchange_weak(owed, owed - std::min(owed, bytes))) {
        }
        budget_.being_evicted_.fetch_sub(std::min(owed, bytes));
    }
    // Half the threshold: a holder hovering around it does not take the
    // lock at every message.
    if (now < budget_.listing_threshold() / 2 && listed_.load(std::memory_order_relaxed))
        budget_.unlist(*this);
}

void account::move_to(account& other, std::uint64_t bytes) {
    if (&other == this) return;
    // Removed first: the sum never rises on the way.
    remove(bytes);
    other.add(bytes);
}

namespace {

/// Allocates the shared pointer's one block (control block and string
/// object) and gives the text's bytes back when that block goes: the
/// account lives as long as the last copy of the text.
template <class T>
struct charging_allocator {
    using value_type = T;

    charging_allocator(std::shared_ptr<account> a, std::uint64_t b)
        : charged(std::move(a)), bytes(b) {}
    template <class U>
    charging_allocator(const charging_allocator<U>& other)
        : charged(other.charged), bytes(other.bytes) {}

    T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
    void deallocate(T* p, std::size_t n) {
        std::allocator<T>{}.deallocate(p, n);
        charged->remove(bytes);
    }
    template <class U>
    bool operator==(const charging_allocator<U>& other) const {
        return charged == other.charged;
    }

    std::shared_ptr<account> charged;
    std::uint64_t bytes;
};

}  // namespace

std::shared_ptr<const std::string> charged_text(const std::shared_ptr<account>& a,
                                                std::string text) {
    const auto bytes = text.size();
    auto out = std::allocate_shared<const std::string>(charging_allocator<std::string>(a, bytes),
                                                       std::move(text));
    // Charged once it exists: a failed allocation owes nothing.
    a->add(bytes);
    return out;
}

}  // namespace onymous::memory
