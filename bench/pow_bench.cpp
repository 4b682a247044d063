// Server CPU per proof of work (issue 19; docs/performance.md, Proof of
// work on the server): issuing a challenge, verifying a valid proof
// (`count` SHA-256 hashes and the MAC), and refusing a proof
// at each of its cheap checks. Proofs are solved before the timed loop at
// 12 bits: the server's cost does not depend on the bits (it hashes each
// nonce once), only the client's does.

#include <onymous/abuse/proof_of_work.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <vector>

namespace {

using namespace onymous;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t solved_proofs = 2048;

struct solved {
    abuse::challenge challenge;
    std::vector<std::string> nonces;
};

const abuse::proof_of_work& issuer() {
    static const abuse::proof_of_work pow(abuse::random_pow_key(), std::chrono::minutes(2));
    return pow;
}

/// Proofs for `count` nonces, made once per count.
const std::vector<solved>& proofs(unsigned count) {
    static std::vector<std::vector<solved>> by_count(abuse::proof_of_work::max_count + 1);
    auto& out = by_count.at(count);
    if (out.empty()) {
        const auto now = clock_type::now();
        for (std::size_t i = 0; i < solved_proofs; ++i) {
            auto c = issuer().issue(12, count, now);
            auto s = abuse::solve(c);
            out.push_back({std::move(c), std::move(s.nonces)});
        }
    }
    return out;
}

void issue(benchmark::State& state) {
    const auto now = clock_type::now();
    for (auto _ : state) benchmark::DoNotOptimize(issuer().issue(16, 4, now));
}
BENCHMARK(issue);

/// A valid proof, checked: what an accepted join or next costs, with
/// issue() for the challenge that replaces it.
void verify_valid(benchmark::State& state) {
    const auto count = static_cast<unsigned>(state.range(0));
    const auto& all = proofs(count);
    const auto now = clock_type::now();
    std::size_t i = 0;
    for (auto _ : state) {
        const auto& p = all[i++ % all.size()];
        const auto result = issuer().check(p.challenge.prefix, p.nonces, now);
        if (result != abuse::proof_result::ok) state.SkipWithError("a valid proof was refused");
    }
}
BENCHMARK(verify_valid)->Arg(1)->Arg(4)->Arg(16);

/// A proof whose first nonce is short of the bits: one hash after the MAC.
void refuse_too_few_bits(benchmark::State& state) {
    const auto& p = proofs(4).front();
    auto wrong = p.nonces;
    wrong.front() = "not-a-solution";
    const auto now = clock_type::now();
    for (auto _ : state) benchmark::DoNotOptimize(issuer().check(p.challenge.prefix, wrong, now));
}
BENCHMARK(refuse_too_few_bits);

/// A prefix this process never issued: refused at the MAC, no hash.
void refuse_foreign(benchmark::State& state) {
    const abuse::proof_of_work other(abuse::random_pow_key(), std::chrono::minutes(2));
    const auto c = other.issue(12, 4, clock_type::now());
    const auto s = abuse::solve(c);
    const auto now = clock_type::now();
    for (auto _ : state) benchmark::DoNotOptimize(issuer().check(c.prefix, s.nonces, now));
}
BENCHMARK(refuse_foreign);

}  // namespace

BENCHMARK_MAIN();
