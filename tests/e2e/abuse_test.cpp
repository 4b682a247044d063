// The abuse controls through the real daemon (PROTOCOL.md, Abuse controls;
// issue 19): proof of work on join and next, reports that move an address
// into the shadow pool and then suspend it, and the skip throttle.
//
// Every abuse counter is per address, and every test client connects from
// loopback: each client here binds its own 127.0.0.x source address (the
// loopback /8 is all local on Linux), as address_limits_test does.

#include "abuse_helpers.hpp"
#include "helpers.hpp"
#include "lifecycle.hpp"
#include "ops_helpers.hpp"

using namespace onymous::test;

namespace {

json join_with(const json& proof) {
    json m = join_message("text");
    m["proof"] = proof;
    return m;
}

/// A counter or gauge as /metrics shows it (0 when absent).
double sample(const daemon_process& daemon, std::string_view name, const label_set& labels = {}) {
    const auto exposition = scrape(daemon);
    const auto* s = exposition.sample(name, labels);
    return s ? s->value : 0;
}

}  // namespace

TEST_CASE("proof of work: join needs a valid proof of the challenge in force, once",
          "[abuse_test][e2e]") {
    daemon_process daemon(
        {{"abuse.pow_bits", 8}, {"abuse.pow_count", 4}, {"abuse.pow_max_bits", 12}});
    auto a = client_from(daemon, "127.0.0.2");
    auto b = client_from(daemon, "127.0.0.3");
    const auto a_challenge = challenge_of(a.history().front());
    CHECK(a_challenge.bits >= 8);
    CHECK(a_challenge.count == 4);
    CHECK(a_challenge.prefix.size() == 44);
    CHECK(a_challenge.expires_ms == 120000);

    // Without a proof, then with a wrong one: invalid_proof, ref join; the
    // challenge stays the same.
    a.send_json(join_message("text"));
    expect_error(a, "invalid_proof", "join");
    a.send_json(join_with({"x", "y"}));
    expect_error(a, "invalid_proof", "join");
    a.send_json(join_with(json::array()));
    expect_error(a, "invalid_proof", "join");
    // A proof of another session's challenge is no proof of this one's.
    a.send_json(join_with(proof_for(challenge_of(b.history().front()))));
    expect_error(a, "invalid_proof", "join");

    // A valid proof: waiting, with the next challenge.
    const json a_proof = proof_for(a_challenge);
    a.send_json(join_with(a_proof));
    const json waiting = expect_type(a, "waiting");
    const auto next_challenge = challenge_of(waiting);
    CHECK(next_challenge.prefix != a_challenge.prefix);

    b.send_json(join_with(proof_for(challenge_of(b.history().front()))));
    expect_type(b, "waiting");
    expect_pairing(a, b);

    // Replayed: the redeemed proof again, on next, is refused (it is checked
    // against the challenge `waiting` gave, which its 4 nonces of 8 bits meet
    // by a chance of 2^-32); a proof of that challenge is accepted.
    a.send_json({{"type", "next"}, {"proof", a_proof}});
    expect_error(a, "invalid_proof", "next");
    a.send_json({{"type", "next"}, {"proof", proof_for(next_challenge)}});
    challenge_of(expect_type(a, "waiting"));
    expect_type(b, "partner_left");

    const auto exposition =
        wait_for_sample(daemon, "onymous_proofs_total", {{"result", "verified"}}, 3);
    double refused = 0;
    for (const auto* reason : {"missing", "malformed", "too_few_bits", "expired"}) {
        const auto* s = exposition.sample("onymous_proofs_total", {{"result", reason}});
        if (s) refused += s->value;
    }
    CHECK(refused == 5);
    CHECK(sample(daemon, "onymous_errors_total", {{"code", "invalid_proof"}}) == 5);
    finish(daemon);
}

TEST_CASE("three distinct reporters move an address into the shadow pool", "[abuse_test][e2e]") {
    daemon_process daemon({{"abuse.shadow_threshold", 3},
                           {"abuse.suspend_threshold", 100},
                           {"abuse.report_window", "10m"},
                           {"abuse.shadow_duration", "10m"},
                           {"matching.rematch_cooldown", "0s"}});
    std::vector<ws_client> reporters;
    for (const auto* source : {"127.0.0.11", "127.0.0.12", "127.0.0.13"})
        reporters.push_back(client_from(daemon, source));

    // Two addresses, each reported by three different people.
    auto t1 = client_from(daemon, "127.0.0.21");
    auto t2 = client_from(daemon, "127.0.0.22");
    for (auto* target : {&t1, &t2})
        for (auto& reporter : reporters) report_once(*target, reporter);
    wait_for_sample(daemon, "onymous_addresses_shadowed", {}, 2);
    CHECK(sample(daemon, "onymous_reports_total", {{"outcome", "counted"}}) == 6);

    auto u1 = client_from(daemon, "127.0.0.31");
    auto u2 = client_from(daemon, "127.0.0.32");

    // t1 waits; unflagged clients meet each other and never t1.
    join(t1);
    join(u1);
    join(u2);
    expect_pairing(u1, u2);
    CHECK(t1.expect_silence(300ms));
    // Another flagged client is t1's partner.
    join(t2);
    expect_pairing(t1, t2);

    // And it goes on: the unflagged meet the unflagged again.
    meet_again(u1, u2);
    finish(daemon);
}

TEST_CASE("suspension refuses join and next with retryAfterMs, and it ends", "[abuse_test][e2e]") {
    daemon_process daemon({{"abuse.shadow_threshold", 2},
                           {"abuse.suspend_threshold", 2},
                           {"abuse.report_window", "4s"},
                           {"abuse.shadow_duration", "1s"},
                           {"matching.rematch_cooldown", "0s"}});
    auto target = client_from(daemon, "127.0.0.41");
    auto r1 = client_from(daemon, "127.0.0.42");
    auto r2 = client_from(daemon, "127.0.0.43");
    report_once(target, r1);

    // A report of one's own address is ignored (two people behind one NAT).
    auto twin = client_from(daemon, "127.0.0.41");
    pair(target, twin);
    twin.send_json({{"type", "report"}});
    expect_type(twin, "reported");
    twin.send_json({{"type", "leave"}});
    expect_type(twin, "left");
    expect_type(target, "partner_left");

    // The last partner may be reported within 10 s after the pairing ended,
    // once per pairing.
    pair(target, r2);
    r2.send_json({{"type", "leave"}});
    expect_type(r2, "left");
    expect_type(target, "partner_left");
    r2.send_json({{"type", "report"}});
    expect_type(r2, "reported");
    r2.send_json({{"type", "report"}});
    expect_type(r2, "reported");
    wait_for_sample(daemon, "onymous_addresses_suspended", {}, 1);
    CHECK(sample(daemon, "onymous_reports_total", {{"outcome", "counted"}}) == 2);
    CHECK(sample(daemon, "onymous_reports_total", {{"outcome", "ignored_self"}}) == 1);
    CHECK(sample(daemon, "onymous_reports_total", {{"outcome", "repeated"}}) == 0);

    target.send_json(join_message("text"));
    const auto retry = expect_retry_after(target, "suspended", "join");
    CHECK(retry > 0);
    CHECK(retry <= 4000);
    target.send_json({{"type", "next"}});
    CHECK(expect_retry_after(target, "suspended", "next") <= retry);
    // Another session of the address is suspended too; other addresses are not.
    twin.send_json(join_message("text"));
    expect_retry_after(twin, "suspended", "join");
    join(r1);

    // It ends once the reports age out of the window.
    wait_for_sample(daemon, "onymous_addresses_suspended", {}, 0, allowance(6s, 2));
    target.send_json(join_message("text"));
    expect_type(target, "waiting");
    finish(daemon);
}

TEST_CASE("the skip throttle refuses next past the limit, doubling retryAfterMs",
          "[abuse_test][e2e]") {
    daemon_process daemon({{"abuse.skips_per_minute", 2}});
    auto client = client_from(daemon, "127.0.0.51");
    // Another address has its own minute.
    auto other = client_from(daemon, "127.0.0.52");
    join(client);
    for (int i = 0; i < 2; ++i) {
        client.send_json({{"type", "next"}});
        expect_type(client, "waiting");
    }
    client.send_json({{"type", "next"}});
    const auto first = expect_retry_after(client, "rate_limited", "next");
    CHECK(first > 0);
    CHECK(first <= 60000);
    client.send_json({{"type", "next"}});
    CHECK(expect_retry_after(client, "rate_limited", "next") == 2 * first);
    client.send_json({{"type", "next"}});
    CHECK(expect_retry_after(client, "rate_limited", "next") == 4 * first);
    // join is no skip.
    client.send_json({{"type", "leave"}});
    expect_type(client, "left");

    join(other);
    other.send_json({{"type", "next"}});
    expect_type(other, "waiting");
    wait_for_sample(daemon, "onymous_skips_refused_total", {}, 3);
    finish(daemon);
}
