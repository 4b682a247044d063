#include "relay_pairs.hpp"

#include "relay_run.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

namespace onymous::bench {

std::array<std::size_t, 2> relay_nodes(const options& opts, std::size_t index) {
    const std::size_t n = opts.nodes.size();
    const std::size_t first = index % n;
    const std::size_t turn = index / n;
    switch (n == 1 ? pair_layout::same : opts.pair_nodes) {
    case pair_layout::same: return {first, first};
    case pair_layout::cross: return {first, (first + 1 + turn % (n - 1)) % n};
    case pair_layout::mixed: break;
    }
    return {first, (first + turn % n) % n};
}

relay_side::relay_side(relay_run& run, relay_pair& pair, bool first)
    : run_(run),
      pair_(pair),
      first_(first),
      offerer_(first),
      connection_(run.io(), run.tls(), *this) {}

void relay_side::open() {
    const options& opts = run_.opts();
    const std::string path = opts.talk == dialect::peerjs
                                 ? peerjs_target(opts, pair_.tag + (first_ ? "a" : "b"))
                                 : opts.path;
    connection_.open(target_of(opts, pair_.node[first_ ? 0 : 1]), path,
                     source_for(opts, pair_.index * 2 + (first_ ? 0 : 1)));
}

void relay_side::fail(const std::string& kind) {
    if (state_ == state::broken) return;
    if (state_ == state::connecting) run_.greeting_failed();
    if (state_ != state::matched) run_.settled(false);
    state_ = state::broken;
    run_.errors().add(kind);
    connection_.abort();
}

void relay_side::on_open(const error_code& ec, const char* step) {
    if (ec) fail(std::string(step) + ": " + ec.message());
}

void relay_side::on_message(std::string_view text) {
    const std::string_view type = message_type(text);
    switch (state_) {
    case state::connecting: return on_greeting(text);
    case state::joined:
        if (type == "matched") return on_matched(text);
        if (type == "waiting") return;
        return fail("join answered with " + std::string(type) + " " +
                    std::string(string_field(text, "code")));
    case state::matched:
        // Every connection is closing: a partner whose close the server
        // handled first leaves, which is no error (a cluster node tells it
        // through its cluster thread, late enough for this to be seen).
        if (type == "partner_left" && run_.closing()) return;
        if (type == "error" || type == "ERROR" || type == "EXPIRE" || type == "LEAVE" ||
            type == "partner_left")
            return run_.errors().add("server sent " + std::string(type) + " " +
                                     std::string(string_field(text, "code")));
        run_.relayed(*this, pair_, text);
        if (auto ack = acker_.processed(text, steady::now()); !ack.empty())
            connection_.send_copy(std::move(ack));
        return;
    case state::greeted:
    case state::broken: return;
    }
}

void relay_side::on_greeting(std::string_view text) {
    const std::string_view type = message_type(text);
    if (type != greeting_type(run_.opts()))
        return fail("first message was not the greeting but " + std::string(type));
    if (run_.opts().talk == dialect::peerjs) {
        // Paired by ids: the first connection of a pair offers.
        state_ = state::matched;
        run_.greeted(false);
        run_.settled(true);
        return;
    }
    const auto hello = nlohmann::json::parse(text, nullptr, false);
    const bool relay_policy =
        !hello.is_discarded() && hello.value("iceTransportPolicy", "") == "relay";
    std::uint64_t max_unacked = 0;
    if (run_.opts().ack && !hello.is_discarded() && hello.contains("limits"))
        max_unacked = hello["limits"].value("maxUnackedBytes", std::uint64_t{0});
    acker_.start(max_unacked);
    state_ = state::joined;
    run_.greeted(relay_policy);
    connection_.send_copy(R"({"type":"join","mode":"video","interests":[")" + pair_.tag + "\"]}");
}

void relay_side::on_matched(std::string_view text) {
    const auto matched = nlohmann::json::parse(text, nullptr, false);
    if (matched.is_discarded()) return fail("matched is not JSON");
    const auto interests = matched.value("interests", nlohmann::json::array());
    bool ours = false;
    for (const auto& interest : interests) ours = ours || interest == pair_.tag;
    // Paired with another pair's connection: the server's interest window
    // (matching.interest_timeout) ended before both sides of a pair joined.
    if (!ours) return fail("matched outside its pair (raise matching.interest_timeout)");
    offerer_ = matched.value("role", "") == "offerer";
    state_ = state::matched;
    run_.settled(true);
}

void relay_side::on_closed(const error_code&, int close_code) {
    ended_ = true;
    if (state_ != state::matched && state_ != state::broken)
        return fail("closed before being matched (close code " + std::to_string(close_code) + ")");
    state_ = state::broken;
    run_.side_closed(close_code);
}

}  // namespace onymous::bench
