// Matcher throughput with 1 and 2 calling threads, with and without
// interests. Each thread loops join(a), join(b), leave(a), leave(b) over
// random pairs of its own members (all of them idle between iterations,
// whatever the other thread does), with a peer that ignores decisions.
// Time is wall-clock from a common start until every thread has returned
// from its last call, when every operation has been applied (the combining
// front guarantees it), so operations queued but not yet applied are never
// counted. The total work (operations, members) is the same whatever the
// number of threads. Results: docs/performance.md.

#include <onymous/match/matcher.hpp>
#include <onymous/match/peer.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace onymous;

class null_peer : public match::peer {
public:
    void matched(match::pairing) override {}
    void partner_left(std::uint64_t) override {}
    void relay(std::uint64_t, std::string, std::chrono::steady_clock::time_point) override {
    }  // the matcher never relays
};

/// Split among the calling threads, so that 1 and 2 threads work on the
/// same number of sessions (the same memory footprint).
constexpr std::size_t members_total = 2048;
constexpr std::size_t ops_total = 400'000;  // per benchmark iteration, split among threads
const std::vector<std::string> topics = {"music", "chess", "art",   "films",
                                         "books", "games", "sport", "travel"};

/// One calling thread: its members and its own random source.
class caller {
public:
    caller(match::matcher& m, unsigned index, unsigned threads) : matcher_(m), rng_(index + 1) {
        for (std::size_t i = 0; i < members_total / threads; ++i)
            members_.push_back(m.attach(std::make_shared<null_peer>()));
    }
    ~caller() {
        for (auto* member : members_) matcher_.detach(member);
    }
    caller(const caller&) = delete;
    caller& operator=(const caller&) = delete;

    void run(std::size_t ops, bool with_interests) {
        for (std::size_t i = 0; i < ops; i += 4) {
            const std::size_t a = rng_() % members_.size();
            std::size_t b = rng_() % (members_.size() - 1);
            if (b >= a) ++b;
            join(members_[a], with_interests);
            join(members_[b], with_interests);
            matcher_.leave(members_[a], ++ticket_);
            matcher_.leave(members_[b], ++ticket_);
        }
    }

private:
    void join(match::matchmaker::handle* m, bool with_interests) {
        std::vector<std::string> interests;
        if (with_interests) {
            // Two distinct topics of eight: about half of the pairs share one.
            const std::size_t first = rng_() % topics.size();
            const std::size_t second = (first + 1 + rng_() % (topics.size() - 1)) % topics.size();
            interests = {topics[first], topics[second]};
        }
        matcher_.join(m, ++ticket_, protocol::chat_mode::video, std::move(interests));
    }

    match::matcher& matcher_;
    std::minstd_rand rng_;
    std::vector<match::matchmaker::handle*> members_;
    std::uint64_t ticket_ = 0;
};

/// Long-lived calling threads, as the daemon's I/O threads are (a thread
/// that exits takes its recycled operation nodes with it). Each round, every
/// thread runs its caller once; the round is timed from the start signal
/// until every thread has returned from its last call.
class crew {
public:
    crew(std::vector<std::unique_ptr<caller>>& callers, std::size_t ops_each, bool with_interests) {
        for (auto& c : callers)
            threads_.emplace_back([this, &c, ops_each, with_interests] {
                for (int seen = 0;;) {
                    round_.wait(seen, std::memory_order_acquire);
                    if (stop_.load(std::memory_order_acquire)) return;
                    ++seen;
                    c->run(ops_each, with_interests);
                    done_.fetch_add(1, std::memory_order_acq_rel);
                    done_.notify_one();
                }
            });
    }
    ~crew() {
        stop_.store(true, std::memory_order_release);
        round_.fetch_add(1, std::memory_order_acq_rel);
        round_.notify_all();
    }
    crew(const crew&) = delete;
    crew& operator=(const crew&) = delete;

    /// Runs one round; returns its wall-clock duration in seconds. Waiting
    /// threads sleep (futex), so that they take no core from the callers;
    /// waking costs some 30 µs, against rounds of tens of milliseconds.
    double round() {
        done_.store(0, std::memory_order_relaxed);
        const auto start = std::chrono::steady_clock::now();
        round_.fetch_add(1, std::memory_order_acq_rel);
        round_.notify_all();
        const auto all = static_cast<int>(threads_.size());
        for (int done = 0; (done = done_.load(std::memory_order_acquire)) != all;)
            done_.wait(done, std::memory_order_acquire);
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        return took.count();
    }

private:
    std::atomic<int> round_{0};
    std::atomic<int> done_{0};
    std::atomic<bool> stop_{false};
    std::vector<std::jthread> threads_;  // last: joined first, while the atomics live
};

void bm_matcher(benchmark::State& state) {
    const auto threads = static_cast<unsigned>(state.range(0));
    const bool with_interests = state.range(1) != 0;
    match::options opts;  // production defaults: 5 s window, 30 s cooldown
    opts.seed = 1;
    match::matcher m(opts);
    std::vector<std::unique_ptr<caller>> callers;
    for (unsigned t = 0; t < threads; ++t)
        callers.push_back(std::make_unique<caller>(m, t, threads));

    double seconds = 0;
    std::uint64_t ops = 0;
    const std::uint64_t pairings_before = m.stats().pairings_total;
    {
        crew workers(callers, ops_total / threads, with_interests);
        for (auto _ : state) {
            const double took = workers.round();
            state.SetIterationTime(took);
            seconds += took;
            ops += ops_total;
        }
    }
    const auto pairings = m.stats().pairings_total - pairings_before;
    state.counters["ops_per_s"] = benchmark::Counter(static_cast<double>(ops) / seconds);
    state.counters["pairings_per_s"] = benchmark::Counter(static_cast<double>(pairings) / seconds);
    state.counters["ns_per_op"] = benchmark::Counter(seconds * 1e9 / static_cast<double>(ops));
}

BENCHMARK(bm_matcher)
    ->ArgNames({"threads", "interests"})
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({1, 1})
    ->Args({2, 1})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
