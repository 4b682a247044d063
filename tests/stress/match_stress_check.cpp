// The stress test's checker: replays what the matcher decided (in decision
// order) against what each session asked for, and lists every broken rule.

#include "match_stress_model.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <sstream>
#include <unordered_map>

namespace onymous::match::stress {

namespace {

constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

struct pair_info {
    const event_record* side[2] = {nullptr, nullptr};
    int sides = 0;
    const event_record* left = nullptr;  ///< the partner_left that ended it
    int left_count = 0;
};

/// The join in force at `ticket` (1-based): the last join at or before it.
const op_record* join_at(const session_record& s, std::uint64_t ticket) {
    for (std::uint64_t i = ticket; i > 0; --i)
        if (s.ops[i - 1].kind == op_record::join) return &s.ops[i - 1];
    return nullptr;
}

std::string common_of(const std::string& receiver, const std::string& other) {
    std::string common;
    for (char c : receiver)
        if (other.find(c) != std::string::npos) common += c;
    return common;
}

class checker {
public:
    checker(const std::vector<session_record>& sessions, const check_settings& settings)
        : sessions_(sessions),
          settings_(settings),
          by_session_(sessions.size()),
          destroyed_(sessions.size(), never) {}

    std::vector<std::string> run(std::vector<event_record>& events) {
        std::sort(events.begin(), events.end(),
                  [](const event_record& a, const event_record& b) { return a.seq < b.seq; });
        for (const event_record& e : events) replay(e);
        for (const auto& [id, p] : pairs_) check_pair(id, p);
        for (std::uint32_t s = 0; s < sessions_.size(); ++s) check_session(s);
        check_cooldowns();
        if (dropped_ > 0) errors_.push_back("... and " + std::to_string(dropped_) + " more");
        return errors_;
    }

private:
    template <typename... Parts>
    void fail(const Parts&... parts) {
        if (errors_.size() >= 40) {
            ++dropped_;
            return;
        }
        std::ostringstream out;
        (out << ... << parts);
        errors_.push_back(out.str());
    }

    void replay(const event_record& e) {
        if (e.session >= sessions_.size()) return fail("unknown session ", e.session);
        if (destroyed_[e.session] != never)
            fail("session ", e.session, " told something (seq ", e.seq, ") after it was freed");
        by_session_[e.session].push_back(&e);
        switch (e.kind) {
        case event_record::matched: return replay_matched(e);
        case event_record::partner_left: return replay_left(e);
        case event_record::destroyed: destroyed_[e.session] = e.seq; return;
        }
    }

    void replay_matched(const event_record& e) {
        if (e.partner == e.session) fail("session ", e.session, " paired with itself");
        if (e.partner >= sessions_.size()) return fail("unknown partner ", e.partner);
        if (destroyed_[e.partner] != never)
            fail("pair ", e.pair_id, ": partner ", e.partner, " had detached");
        pair_info& p = pairs_[e.pair_id];
        if (p.sides == 2) return fail("pair ", e.pair_id, " reported more than twice");
        p.side[p.sides++] = &e;
        if (p.sides == 1) {
            if (e.pair_id <= last_pair_id_) fail("pair ids not increasing at ", e.pair_id);
            last_pair_id_ = e.pair_id;
        }
        const auto& ops = sessions_[e.session].ops;
        if (e.ticket == 0 || e.ticket > ops.size())
            return fail("session ", e.session, " matched with unknown ticket ", e.ticket);
        const auto kind = ops[e.ticket - 1].kind;
        if (kind != op_record::join && kind != op_record::next)
            fail("session ", e.session, " matched (pair ", e.pair_id,
                 ") while its latest op was a leave: paired after it left");
    }

    void replay_left(const event_record& e) {
        const auto found = pairs_.find(e.pair_id);
        if (found == pairs_.end() || found->second.sides != 2)
            return fail("partner_left for pair ", e.pair_id, " before both sides were told");
        pair_info& p = found->second;
        if (p.side[0]->session != e.session && p.side[1]->session != e.session)
            fail("partner_left for pair ", e.pair_id, " sent to an outsider");
        ++p.left_count;
        p.left = &e;
    }

    void check_pair(std::uint64_t id, const pair_info& p) {
        if (p.sides != 2) return fail("pair ", id, " reported to ", p.sides, " side(s)");
        const event_record& a = *p.side[0];
        const event_record& b = *p.side[1];
        if (a.partner != b.session || b.partner != a.session)
            fail("pair ", id, ": sides disagree on who is the partner");
        if (a.role == b.role) fail("pair ", id, ": both sides got the same role");
        if (a.at != b.at) fail("pair ", id, ": two decision times");
        const op_record* ja = join_at(sessions_[a.session], a.ticket);
        const op_record* jb = join_at(sessions_[b.session], b.ticket);
        if (!ja || !jb) return fail("pair ", id, ": a side never joined");
        if (ja->mode != jb->mode) fail("pair ", id, " crosses modes");
        if (a.common != common_of(ja->interests, jb->interests) ||
            b.common != common_of(jb->interests, ja->interests))
            fail("pair ", id, ": wrong common interests");
        if (p.left_count != 1)
            return fail("pair ", id, " ended with ", p.left_count, " partner_left (want 1)");
        // The side not told ended it with an op of its own after the match.
        const event_record& ender = p.left->session == a.session ? b : a;
        if (sessions_[ender.session].ops.size() <= ender.ticket)
            fail("pair ", id, " ended although neither side did anything");
        // Nobody is paired twice at once: each side's next match comes after
        // the end of this one.
        for (const event_record* side : p.side) {
            const auto& mine = by_session_[side->session];
            auto at = std::find(mine.begin(), mine.end(), side);
            for (++at; at != mine.end(); ++at)
                if ((*at)->kind == event_record::matched) {
                    if ((*at)->seq < p.left->seq)
                        fail("session ", side->session, " paired again (pair ", (*at)->pair_id,
                             ") while pair ", id, " went on");
                    break;
                }
        }
    }

    void check_session(std::uint32_t s) {
        if (sessions_[s].ops.empty() && by_session_[s].empty()) return;  // id not used
        if (destroyed_[s] == never) return fail("session ", s, " never freed");
        std::uint64_t last_ticket = 0;
        std::uint64_t current = 0;
        for (const event_record* e : by_session_[s]) {
            if (e->kind == event_record::matched) {
                if (e->ticket <= last_ticket)
                    fail("session ", s, " matched twice for ticket ", e->ticket);
                last_ticket = e->ticket;
                current = e->pair_id;
            } else if (e->kind == event_record::partner_left) {
                if (e->pair_id != current)
                    fail("session ", s, " told partner_left for pair ", e->pair_id,
                         " it is not in");
                current = 0;
            }
        }
    }

    void check_cooldowns() {
        if (settings_.cooldown_ticks <= 0) return;
        std::map<std::pair<std::uint32_t, std::uint32_t>, std::vector<const pair_info*>> met;
        for (const auto& [id, p] : pairs_) {
            if (p.sides != 2 || !p.left) continue;
            const auto a = p.side[0]->session, b = p.side[1]->session;
            met[{std::min(a, b), std::max(a, b)}].push_back(&p);
        }
        for (auto& [who, list] : met) {
            std::sort(list.begin(), list.end(), [](const pair_info* x, const pair_info* y) {
                return x->side[0]->seq < y->side[0]->seq;
            });
            for (std::size_t i = 1; i < list.size(); ++i) check_rematch(*list[i - 1], *list[i]);
        }
    }

    void check_rematch(const pair_info& first, const pair_info& again) {
        // The first pairing ended when its partner_left was decided; that is
        // the time the matcher counts the cooldown from.
        const std::int64_t ended = first.left->at;
        if (ended < first.side[0]->at)
            fail("pair ", first.side[0]->pair_id, " ended before it began");
        if (again.side[0]->at >= ended + settings_.cooldown_ticks) return;
        // Unless both sides have had enough partners since to forget each other.
        std::size_t newer[2] = {0, 0};
        for (int k = 0; k < 2; ++k)
            for (const event_record* e : by_session_[first.side[k]->session])
                if (e->kind == event_record::matched && e->seq > first.side[k]->seq &&
                    e->seq < again.side[0]->seq)
                    ++newer[k];
        if (newer[0] >= settings_.cooldown_memory && newer[1] >= settings_.cooldown_memory) return;
        fail("sessions ", first.side[0]->session, " and ", first.side[1]->session,
             " re-matched (pair ", again.side[0]->pair_id, ") at tick ", again.side[0]->at,
             ", inside the cooldown of pair ", first.side[0]->pair_id, " that ended >= ", ended);
    }

    const std::vector<session_record>& sessions_;
    const check_settings settings_;
    std::unordered_map<std::uint64_t, pair_info> pairs_;
    std::vector<std::vector<const event_record*>> by_session_;
    std::vector<std::uint64_t> destroyed_;
    std::uint64_t last_pair_id_ = 0;
    std::vector<std::string> errors_;
    std::size_t dropped_ = 0;
};

}  // namespace

std::vector<std::string> check(const std::vector<session_record>& sessions,
                               std::vector<event_record> events, const check_settings& settings) {
    return checker(sessions, settings).run(events);
}

std::vector<waiting_session> still_waiting(const std::vector<session_record>& sessions,
                                           const std::vector<event_record>& events) {
    std::vector<bool> matched_last(sessions.size(), false);
    for (const event_record& e : events)
        if (e.kind == event_record::matched && e.session < sessions.size() &&
            e.ticket == sessions[e.session].ops.size())
            matched_last[e.session] = true;
    std::vector<waiting_session> waiting;
    for (std::uint32_t s = 0; s < sessions.size(); ++s) {
        const auto& ops = sessions[s].ops;
        if (ops.empty() || matched_last[s]) continue;
        const auto kind = ops.back().kind;
        if (kind == op_record::join || kind == op_record::next)
            waiting.push_back({s, join_at(sessions[s], ops.size())->mode});
    }
    return waiting;
}

}  // namespace onymous::match::stress
