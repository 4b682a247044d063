#include <onymous/cluster/pool.hpp>

#include "../redis/reply.hpp"
#include "../redis/sha1.hpp"

#include <charconv>
#include <stdexcept>

namespace onymous::cluster {
namespace {

std::vector<std::string> head(std::string_view prefix, std::string_view op) {
    return {std::string(prefix), std::string(op)};
}

std::optional<std::uint64_t> number_of(const redis::reply& r) {
    if (r.type == redis::reply::kind::integer)
        return r.integer < 0 ? std::nullopt : std::optional<std::uint64_t>(r.integer);
    if (r.type != redis::reply::kind::string) return std::nullopt;
    std::uint64_t out = 0;
    const auto* end = r.text.data() + r.text.size();
    auto [at, ec] = std::from_chars(r.text.data(), end, out);
    if (ec != std::errc() || at != end) return std::nullopt;
    return out;
}

bool is_text(const redis::reply& r) {
    return r.type == redis::reply::kind::string || r.type == redis::reply::kind::status;
}

}  // namespace

std::vector<std::string> join_args(std::string_view prefix, const join_request& r) {
    auto out = head(prefix, "join");
    out.insert(out.end(),
               {r.member, r.node, std::string(protocol::to_string(r.mode)), r.pool,
                std::to_string(r.joined_ms), std::to_string(r.now_ms), std::to_string(r.window_ms),
                std::to_string(r.ticket), std::to_string(r.random & max_pool_random),
                std::to_string(r.ttl_ms), r.hash_key});
    out.insert(out.end(), r.interest_hashes.begin(), r.interest_hashes.end());
    return out;
}

std::vector<std::string> rematch_args(std::string_view prefix, std::string_view member,
                                      std::int64_t now_ms, std::uint64_t random,
                                      std::int64_t ttl_ms, std::string_view hash_key) {
    auto out = head(prefix, "rematch");
    out.insert(out.end(), {std::string(member), std::to_string(now_ms),
                           std::to_string(random & max_pool_random), std::to_string(ttl_ms),
                           std::string(hash_key)});
    return out;
}

std::vector<std::string> member_args(std::string_view prefix, std::string_view op,
                                     std::string_view member) {
    auto out = head(prefix, op);
    out.emplace_back(member);
    return out;
}

std::vector<std::string> touch_args(std::string_view prefix, std::string_view node,
                                    std::int64_t ttl_ms) {
    auto out = head(prefix, "touch");
    out.insert(out.end(), {std::string(node), std::to_string(ttl_ms)});
    return out;
}

std::vector<std::string> purge_args(std::string_view prefix, std::string_view node) {
    auto out = head(prefix, "purge");
    out.emplace_back(node);
    return out;
}

std::vector<std::string> raise_pairs_args(std::string_view prefix, std::uint64_t floor) {
    auto out = head(prefix, "raise_pairs");
    out.push_back(std::to_string(floor));
    return out;
}

std::optional<pool_answer> parse_pool_answer(const redis::reply& r) {
    if (r.type != redis::reply::kind::array || r.elements.empty() || !is_text(r.elements[0]))
        return std::nullopt;
    const auto& e = r.elements;
    if (e[0].text == "queued" && e.size() == 1) return pool_answer{pool_answer::kind::queued, {}};
    if (e[0].text == "gone" && e.size() == 1) return pool_answer{pool_answer::kind::gone, {}};
    // paired pair_id member node ticket role [common hashes...]
    if (e[0].text != "paired" || e.size() < 6) return std::nullopt;
    pool_answer out{pool_answer::kind::paired, {}};
    auto pair_id = number_of(e[1]);
    auto ticket = number_of(e[4]);
    if (!pair_id || !ticket || !is_text(e[2]) || !is_text(e[3]) || !is_text(e[5]))
        return std::nullopt;
    out.partner.pair_id = *pair_id;
    out.partner.member = e[2].text;
    out.partner.node = e[3].text;
    out.partner.ticket = *ticket;
    if (e[5].text == "offerer")
        out.partner.caller_role = protocol::role::offerer;
    else if (e[5].text == "answerer")
        out.partner.caller_role = protocol::role::answerer;
    else
        return std::nullopt;
    for (std::size_t i = 6; i < e.size(); ++i) {
        if (!is_text(e[i])) return std::nullopt;
        out.partner.common_hashes.push_back(e[i].text);
    }
    return out;
}

std::string interest_hash(std::string_view key, std::string_view interest) {
    std::string text(key);
    text += '\n';
    text += interest;
    return redis::sha1_hex(text).substr(0, 24);
}

std::string cooldown_key(std::string_view prefix, std::string_view hash_key, std::string_view a,
                         std::string_view b) {
    if (b < a) std::swap(a, b);
    std::string text(hash_key);
    text += a;
    text += ':';
    text += b;
    return std::string(prefix) + ":cd:" + redis::sha1_hex(text);
}

}  // namespace onymous::cluster
