// Concurrency stress of the matcher: several threads submit random
// join/next/leave/detach/poll operations for their own sessions at once;
// afterwards the checker replays every decision against the rules.
// ONYMOUS_STRESS_OPS sets the number of operations per test case.

#include "match_stress_model.hpp"

#include <onymous/match/matcher.hpp>
#include <onymous/match/peer.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

namespace onymous::match::stress {
namespace {

using namespace std::chrono_literals;

constexpr unsigned thread_count = 4;
constexpr std::size_t slots_per_thread = 16;
/// Operations per thread between two quiet points (see run_stress).
constexpr std::size_t phase_length = 2000;

/// What the peers share; only relaxed atomics, see match_stress_model.hpp.
struct shared_state {
    std::atomic<std::uint64_t> seq{0};
    std::atomic<std::int64_t> ticks{0};         ///< the clock, 1 tick = 1 µs
    std::atomic<std::int64_t> last_reading{0};  ///< last value the matcher read
    std::atomic<std::uint64_t> wakes{0};
};

thread_local std::vector<event_record>* this_thread_log = nullptr;

class stress_peer : public peer {
public:
    stress_peer(shared_state& shared, std::uint32_t id) : shared_(shared), id_(id) {}
    ~stress_peer() override { record(event_record::destroyed); }

    void matched(pairing p) override {
        event_record& e = record(event_record::matched);
        e.partner = static_cast<const stress_peer&>(*p.partner).id_;
        e.ticket = p.ticket;
        e.pair_id = p.pair_id;
        e.role = p.role;
        for (const std::string& interest : p.common_interests) e.common += interest[0];
    }
    void partner_left(std::uint64_t pair_id) override {
        record(event_record::partner_left).pair_id = pair_id;
    }
    void relay(std::uint64_t, std::string, std::chrono::steady_clock::time_point) override {
    }  // the matcher never relays

private:
    event_record& record(event_record::kind_t kind) {
        event_record e;
        e.kind = kind;
        e.seq = shared_.seq.fetch_add(1, std::memory_order_relaxed);
        e.session = id_;
        e.at = shared_.last_reading.load(std::memory_order_relaxed);
        this_thread_log->push_back(std::move(e));
        return this_thread_log->back();
    }

    shared_state& shared_;
    const std::uint32_t id_;
};

struct live_session {
    matchmaker::handle* member = nullptr;
    std::uint32_t id = 0;
};

/// One thread's sessions and what it did to them.
class driver {
public:
    driver(matcher& m, shared_state& shared, unsigned index, std::uint32_t first_id)
        : matcher_(m), shared_(shared), rng_(1000 + index), first_id_(first_id) {}

    /// Runs `operations` steps, waiting at `quiet` after every phase.
    template <typename Barrier>
    void run(std::size_t operations, Barrier& quiet) {
        this_thread_log = &log;
        for (std::size_t i = 0; i < operations; ++i) {
            step(slots[rng_() % slots.size()]);
            if ((i + 1) % phase_length == 0) quiet.arrive_and_wait();
        }
    }

    std::vector<session_record> sessions;  ///< index = id - first_id
    std::vector<event_record> log;         ///< decisions made while this thread owned
    std::uint64_t calls = 0;               ///< every matcher call, for operations_total
    std::array<live_session, slots_per_thread> slots;

private:
    void step(live_session& slot) {
        if (!slot.member) {
            slot.id = first_id_ + static_cast<std::uint32_t>(sessions.size());
            sessions.emplace_back();
            slot.member = matcher_.attach(std::make_shared<stress_peer>(shared_, slot.id));
            ++calls;
            return join(slot);
        }
        auto& ops = record(slot).ops;
        const unsigned roll = rng_() % 100;
        if (roll < 45) return submit(slot, op_record::next);
        if (roll < 70) return submit(slot, op_record::leave);
        if (roll < 80) {
            // A session joins only from idle, which after its own leave it is
            // whatever its partner does; otherwise it skips.
            if (ops.back().kind == op_record::leave) return join(slot);
            return submit(slot, op_record::next);
        }
        if (roll < 88) return submit(slot, op_record::detach);
        ++calls;
        matcher_.poll();
    }

    session_record& record(const live_session& slot) { return sessions[slot.id - first_id_]; }

    void join(live_session& slot) {
        op_record op;
        op.mode = rng_() % 2 ? protocol::chat_mode::text : protocol::chat_mode::video;
        std::string letters = "abcde";
        std::shuffle(letters.begin(), letters.end(), rng_);
        op.interests = letters.substr(0, rng_() % 3);
        std::vector<std::string> interests;
        for (char c : op.interests) interests.emplace_back(1, c);
        auto& ops = record(slot).ops;
        ops.push_back(op);
        ++calls;
        matcher_.join(slot.member, ops.size(), op.mode, std::move(interests));
    }

    void submit(live_session& slot, op_record::kind_t kind) {
        auto& ops = record(slot).ops;
        op_record op;
        op.kind = kind;
        ops.push_back(op);
        ++calls;
        switch (kind) {
        case op_record::next: matcher_.next(slot.member, ops.size()); break;
        case op_record::leave: matcher_.leave(slot.member, ops.size()); break;
        case op_record::detach:
            matcher_.detach(slot.member);
            slot.member = nullptr;
            break;
        case op_record::join: break;
        }
    }

    matcher& matcher_;
    shared_state& shared_;
    std::mt19937_64 rng_;
    const std::uint32_t first_id_;
};

void run_stress(std::size_t cooldown_memory) {
    const std::size_t per_thread = operation_count() / thread_count;
    const std::int64_t cooldown_ticks = 2000;  // 2 ms of the tick clock
    shared_state shared;
    options opts;
    opts.interest_timeout = 1ms;
    opts.rematch_cooldown = 2ms;
    opts.cooldown_memory = cooldown_memory;
    opts.seed = 7;
    opts.now = [&shared] {
        const std::int64_t t = shared.ticks.fetch_add(1, std::memory_order_relaxed);
        shared.last_reading.store(t, std::memory_order_relaxed);
        return clock::time_point{} + std::chrono::microseconds(t);
    };
    opts.wake_at = [&shared](clock::time_point) {
        shared.wakes.fetch_add(1, std::memory_order_relaxed);
    };

    std::vector<event_record> main_log;
    this_thread_log = &main_log;
    std::uint64_t calls = 0;
    std::vector<session_record> sessions;
    std::vector<event_record> events;
    std::size_t pair_count = 0;
    {
        matcher m(opts);
        std::vector<std::unique_ptr<driver>> drivers;
        const auto id_space = static_cast<std::uint32_t>(per_thread + slots_per_thread);
        for (unsigned t = 0; t < thread_count; ++t)
            drivers.push_back(std::make_unique<driver>(m, shared, t, t * id_space));
        // At each quiet point every call has returned, so every operation
        // must have been applied: none left stranded in the queue by an
        // owner that let go while a producer was linking.
        std::uint64_t stranded_phases = 0;
        const auto all_applied = [&]() noexcept {
            std::uint64_t submitted = 0;
            for (auto& d : drivers) submitted += d->calls;
            if (m.stats().operations_total != submitted) ++stranded_phases;
        };
        {
            std::barrier quiet(thread_count, all_applied);
            std::vector<std::jthread> threads;
            for (auto& d : drivers)
                threads.emplace_back([&d, &quiet, per_thread] { d->run(per_thread, quiet); });
        }
        CHECK(stranded_phases == 0);

        // Quiet now. Far past every window and cooldown, two waiters of one
        // mode would be eligible: poll must leave at most one per mode.
        shared.ticks.fetch_add(1'000'000'000, std::memory_order_relaxed);
        m.poll();
        ++calls;
        for (auto& d : drivers) calls += d->calls;
        sessions.assign(thread_count * id_space, {});
        for (unsigned t = 0; t < thread_count; ++t)
            for (std::size_t i = 0; i < drivers[t]->sessions.size(); ++i)
                sessions[t * id_space + i] = std::move(drivers[t]->sessions[i]);
        const auto gather = [&] {
            events = main_log;
            for (auto& d : drivers) events.insert(events.end(), d->log.begin(), d->log.end());
        };
        gather();
        const auto waiting = still_waiting(sessions, events);
        int per_mode[2] = {0, 0};
        for (const auto& w : waiting) ++per_mode[static_cast<int>(w.mode)];
        INFO("waiting after the final poll: text " << per_mode[0] << ", video " << per_mode[1]);
        CHECK(per_mode[0] <= 1);
        CHECK(per_mode[1] <= 1);

        // Everyone leaves; the matcher must end up empty.
        for (auto& d : drivers)
            for (live_session& slot : d->slots)
                if (slot.member) {
                    op_record op;
                    op.kind = op_record::detach;
                    sessions[slot.id].ops.push_back(op);
                    m.detach(slot.member);
                    ++calls;
                }
        gather();
        const matcher_stats& s = m.stats();
        for (const auto& e : events) pair_count += e.kind == event_record::matched;
        CHECK(s.waiting_text == 0);
        CHECK(s.waiting_video == 0);
        CHECK(s.paired_sessions == 0);
        CHECK(s.pairings_total * 2 == pair_count);
        CHECK(s.operations_total == calls);
    }
    this_thread_log = nullptr;

    const auto errors = check(sessions, events, {cooldown_ticks, cooldown_memory});
    std::string report;
    for (const auto& e : errors) report += e + "\n";
    INFO(report);
    std::printf(
        "matcher stress (cooldown memory %zu): %llu calls, %zu pairings, "
        "%llu wake_at calls\n",
        cooldown_memory, static_cast<unsigned long long>(calls), pair_count / 2,
        static_cast<unsigned long long>(shared.wakes.load()));
    CHECK(errors.empty());
    CHECK(pair_count > calls / 20);  // the run did pair people
}

TEST_CASE("matcher keeps every rule under concurrent operations", "[match][stress]") {
    run_stress(128);
}

TEST_CASE("matcher keeps every rule under concurrency with a tiny cooldown memory",
          "[match][stress]") {
    run_stress(2);
}

}  // namespace
}  // namespace onymous::match::stress
