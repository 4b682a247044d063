// Resumes that reach a node other than the one holding the session
// (PROTOCOL.md, Resume; session/elsewhere.hpp). The requester asks every
// node it hears (T); the holder takes the token from its directory and lends
// the session a bridge_transport, then says S (or F). From then on the
// holder sends the session's frames and its close, the requester the
// client's texts and the connection's end, numbered, acknowledged and
// retried like a pair's messages (cluster/link.hpp). A bridge that breaks
// (a gap, a deadline, a dead node) is a dropped connection to the session,
// which waits out its resume grace; the client, closed with 1001, resumes
// again.
//
// Why a bridge rather than moving the session: the pairing, its links and
// its history stay where they are, so nothing of them can be lost or
// reordered on the way, and its partner's node never hears of it.

#include "node_impl.hpp"

#include <onymous/session/directory.hpp>
#include <onymous/session/signaling_session.hpp>

#include <charconv>

namespace onymous::cluster {

namespace {

/// The close code of a `close` payload; 1001 for anything else.
protocol::close_code close_code_of(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 1000 || value > 4999)
        return protocol::close_code::going_away;
    return static_cast<protocol::close_code>(value);
}

}  // namespace

void bridge_transport::send(session::frame text) {
    if (!text) return;
    asio::post(node_.io(), [&n = node_, id = bridge_, text = std::move(text)] {
        n.holder_sends(id, bridge_kind::frame, *text);
    });
}

void bridge_transport::close(protocol::close_code code) {
    asio::post(node_.io(), [&n = node_, id = bridge_, code] {
        n.holder_sends(id, bridge_kind::close, std::to_string(static_cast<unsigned>(code)));
    });
}

void bridge_transport::attach(std::shared_ptr<session::signaling_session> s) {
    asio::post(node_.io(), [&n = node_, id = bridge_, weak = std::weak_ptr(s)]() mutable {
        n.holder_attach(id, std::move(weak));
    });
}

// --- The requester's end ---------------------------------------------------

std::string node::impl::resume(std::string token, std::uint64_t last_seq, std::uint64_t expiry,
                               std::weak_ptr<session::signaling_session> requester) {
    auto id = random_id();
    asio::post(io_, [this, id, token = std::move(token), last_seq, expiry,
                     requester = std::move(requester)]() mutable {
        ask_for_session(id, token, last_seq, expiry, std::move(requester));
    });
    return id;
}

void node::impl::ask_for_session(const std::string& id, const std::string& token,
                                 std::uint64_t last_seq, std::uint64_t expiry,
                                 std::weak_ptr<session::signaling_session> requester) {
    // Whoever we have heard within node_timeout may hold it; a token that
    // is not a wire payload's (a newline) is nobody's.
    std::vector<std::string> asked;
    if (publisher_->connected() && token.find('\n') == std::string::npos)
        for (const auto& [node, heard] : last_heard_) asked.push_back(node);
    if (asked.empty()) {
        not_found(requester);
        return;
    }
    auto& b = bridges_[id];
    b.id = id;
    b.requester = std::move(requester);
    b.answers_missing = asked.size();
    b.since = clock::now();
    wire_message t;
    t.kind = wire_kind::take_over;
    t.request = id;
    t.from = id_;
    t.seq = last_seq;
    t.expiry = expiry;
    t.payload = token;
    const auto bytes = encode(t);
    for (const auto& node : asked) publish(node, bytes);
}

void node::impl::client_text(const std::string& id, std::string text) {
    asio::post(io_, [this, id, text = std::move(text)]() mutable {
        auto it = bridges_.find(id);
        if (it == bridges_.end() || !it->second.open) return;
        bridge_send(it->second, bridge_kind::text, std::move(text));
    });
}

void node::impl::client_closed(const std::string& id, bool clean) {
    asio::post(io_, [this, id, clean] {
        auto it = bridges_.find(id);
        if (it == bridges_.end() || !it->second.open) return;
        it->second.open = false;
        bridge_send(it->second, bridge_kind::closed, clean ? "clean" : "drop");
    });
}

void node::impl::on_bridge_answer(const wire_message& w) {
    auto it = bridges_.find(w.request);
    const bool asking = it != bridges_.end() && !it->second.holder && it->second.node.empty();
    if (w.kind == wire_kind::session) {
        if (!asking) {
            // We gave up waiting: the holder lets go of the connection
            // (its session waits out the grace, as after a drop).
            disown_bridge(w.from, w.request, false);
            return;
        }
        bridged(it->second, w.from);
        return;
    }
    if (!asking || --it->second.answers_missing > 0) return;
    not_found(it->second.requester);
    bridges_.erase(it);
}

void node::impl::not_found(const std::weak_ptr<session::signaling_session>& requester) {
    counters.resumes_not_found_total.fetch_add(1, std::memory_order_relaxed);
    if (auto r = requester.lock()) r->bridge_answered(false);
}

void node::impl::bridged(bridge& b, const std::string& holder) {
    b.node = holder;
    b.since = clock::now();
    counters.resumes_bridged_total.fetch_add(1, std::memory_order_relaxed);
    counters.bridges.fetch_add(1, std::memory_order_relaxed);
    if (auto r = b.requester.lock())
        r->bridge_answered(true);
    else
        client_closed(b.id, false);  // the connection went meanwhile: a drop
}

// --- The holder's end ------------------------------------------------------

void node::impl::on_take_over(const wire_message& w) {
    std::shared_ptr<session::signaling_session> session;
    {
        const std::lock_guard lock(tokens_mutex_);
        if (tokens_ != nullptr) session = tokens_->take(w.payload);
    }
    if (!session || bridges_.contains(w.request)) {
        publish(w.from, encode({wire_kind::take_over_failed, id_, 0, 0, {}, w.request, {}, {}}));
        return;
    }
    auto& b = bridges_[w.request];
    b.id = w.request;
    b.node = w.from;
    b.holder = true;
    b.since = clock::now();
    b.session = session;
    b.transport = std::make_shared<bridge_transport>(*this, b.id);
    if (!last_heard_.contains(w.from)) last_heard_[w.from] = clock::now();
    std::optional<std::chrono::system_clock::time_point> expiry;
    if (w.expiry != 0)
        expiry = std::chrono::system_clock::time_point(std::chrono::seconds(w.expiry));
    session->take_over_remotely(
        b.transport, w.seq, expiry,
        [this, id = b.id, weak = std::weak_ptr(session), t = b.transport](bool ok) mutable {
            asio::post(io_, [this, id, ok, weak = std::move(weak), t = std::move(t)] {
                on_taken_over(id, ok, weak, t);
            });
        });
}

void node::impl::on_taken_over(const std::string& id, bool ok,
                               const std::weak_ptr<session::signaling_session>& session,
                               const std::shared_ptr<bridge_transport>& t) {
    auto it = bridges_.find(id);
    if (it == bridges_.end()) {
        // Given up on meanwhile: a session that took the connection lost it.
        if (auto s = session.lock(); s && ok) s->transport_closed(t, false);
        return;
    }
    bridge& b = it->second;
    if (!ok) {
        publish(b.node, encode({wire_kind::take_over_failed, id_, 0, 0, {}, id, {}, {}}));
        bridges_.erase(it);
        return;
    }
    b.taken = true;
    counters.bridges.fetch_add(1, std::memory_order_relaxed);
    // S first: `resumed` and the replay, sent while taking over, follow it.
    publish(b.node, encode({wire_kind::session, id_, 0, 0, {}, id, {}, {}}));
    auto held = std::move(b.held);
    for (auto& [kind, payload] : held) bridge_send(b, kind, std::move(payload));
    forget_bridge_if_done(id);
}

void node::impl::holder_sends(const std::string& id, bridge_kind kind, std::string payload) {
    auto it = bridges_.find(id);
    if (it == bridges_.end() || !it->second.open) return;
    bridge& b = it->second;
    if (kind == bridge_kind::close) {
        b.open = false;
        b.transport.reset();  // the session let go of it
    }
    if (!b.taken) {
        b.held.emplace_back(kind, std::move(payload));
        return;
    }
    bridge_send(b, kind, std::move(payload));
}

void node::impl::holder_attach(const std::string& id, std::weak_ptr<session::signaling_session> s) {
    if (auto it = bridges_.find(id); it != bridges_.end()) it->second.session = std::move(s);
}

// --- Both ends ---------------------------------------------------------------

void node::impl::bridge_send(bridge& b, bridge_kind kind, std::string payload) {
    wire_message m;
    m.kind = wire_kind::bridge_message;
    m.request = b.id;
    m.seq = b.out.last_seq() + 1;
    m.from = id_;
    m.part = kind;
    m.payload = std::move(payload);
    std::string bytes = encode(m);
    b.out.push(bytes, clock::now());
    counters.link_messages_total.fetch_add(1, std::memory_order_relaxed);
    publish(b.node, std::move(bytes));
}

void node::impl::on_bridge_message(wire_message& w) {
    auto it = bridges_.find(w.request);
    if (it != bridges_.end() && !it->second.holder && it->second.node.empty() && w.seq != 0)
        bridged(it->second, w.from);  // its S went missing; what follows says it
    if (it == bridges_.end() || it->second.node != w.from) {
        if (w.seq != 0) {
            publish(w.from, encode({wire_kind::bridge_ack, id_, 0, w.seq, {}, w.request, {}, {}}));
            // Frames come from a holder, texts from a requester: the other
            // end is told it is talking to nobody.
            disown_bridge(w.from, w.request, w.part == bridge_kind::text);
        }
        return;
    }
    bridge& b = it->second;
    if (w.seq == 0) {
        break_bridge(b.id, false);  // "unknown here": the other end is gone
        return;
    }
    switch (b.in.accept(w.seq)) {
    case receiver::verdict::duplicate: owe_bridge_ack(b); return;
    case receiver::verdict::gap: break_bridge(b.id, true); return;
    case receiver::verdict::deliver: break;
    }
    owe_bridge_ack(b);
    if (b.holder) {
        auto s = b.session.lock();
        if (w.part == bridge_kind::text) {
            if (s && b.open) s->receive(b.transport, w.payload);
        } else if (w.part == bridge_kind::closed && b.open) {
            b.open = false;
            if (s) s->transport_closed(b.transport, w.payload == "clean");
            b.transport.reset();
        }
    } else {
        auto r = b.requester.lock();
        if (w.part == bridge_kind::frame) {
            if (r && b.open) r->bridge_frame(std::move(w.payload));
        } else if (w.part == bridge_kind::close && b.open) {
            b.open = false;
            if (r) r->bridge_close(close_code_of(w.payload));
        }
    }
    forget_bridge_if_done(b.id);
}

void node::impl::on_bridge_ack(const wire_message& w) {
    auto it = bridges_.find(w.request);
    if (it == bridges_.end() || it->second.node != w.from) return;
    it->second.out.ack(w.seq);
    forget_bridge_if_done(w.request);
}

void node::impl::owe_bridge_ack(bridge& b) {
    if (b.ack_owed) return;
    b.ack_owed = true;
    // One ack for every message of this bridge read in the same batch.
    asio::post(io_, [this, id = b.id] {
        auto it = bridges_.find(id);
        if (it == bridges_.end() || !it->second.ack_owed) return;
        it->second.ack_owed = false;
        publish(it->second.node,
                encode({wire_kind::bridge_ack, id_, 0, it->second.in.delivered(), {}, id, {}, {}}));
        forget_bridge_if_done(id);
    });
}

void node::impl::forget_bridge_if_done(const std::string& id) {
    auto it = bridges_.find(id);
    if (it == bridges_.end()) return;
    const bridge& b = it->second;
    if (b.open || !b.out.idle() || b.ack_owed || (b.holder && !b.taken)) return;
    counters.bridges.fetch_sub(1, std::memory_order_relaxed);
    bridges_.erase(it);
}

void node::impl::break_bridge(const std::string& id, bool tell_other) {
    auto it = bridges_.find(id);
    if (it == bridges_.end()) return;
    bridge& b = it->second;
    if (!b.holder && b.node.empty()) {
        // Still asking: nobody has it, as far as we can tell now.
        not_found(b.requester);
        bridges_.erase(it);
        return;
    }
    if (b.open) {
        if (b.holder) {
            if (auto s = b.session.lock()) s->transport_closed(b.transport, false);
        } else if (auto r = b.requester.lock()) {
            r->bridge_close(protocol::close_code::going_away);
        }
    }
    if (tell_other && !b.node.empty()) disown_bridge(b.node, id, b.holder);
    const bool counted = !b.holder ? !b.node.empty() : b.taken;
    if (counted) counters.bridges.fetch_sub(1, std::memory_order_relaxed);
    bridges_.erase(it);
}

void node::impl::disown_bridge(const std::string& node, const std::string& id, bool we_hold) {
    wire_message m;
    m.kind = wire_kind::bridge_message;
    m.request = id;
    m.seq = 0;
    m.from = id_;
    m.part = we_hold ? bridge_kind::close : bridge_kind::closed;
    m.payload = we_hold ? "1001" : "drop";
    publish(node, encode(m));
}

void node::impl::tick_bridges(clock::time_point now) {
    const auto deadline = link_timing{}.deadline;
    std::vector<std::string> broken;
    for (auto& [id, b] : bridges_) {
        if (!b.holder && b.node.empty()) {
            if (now - b.since > deadline) broken.push_back(id);  // no answer: not found
            continue;
        }
        if (b.holder && !b.taken) {
            if (now - b.since > deadline) broken.push_back(id);  // the session never answered
            continue;
        }
        if (b.out.idle()) continue;
        if (b.out.expired(now)) {
            broken.push_back(id);
            continue;
        }
        for (const auto& r : b.out.due(now)) {
            counters.link_retries_total.fetch_add(1, std::memory_order_relaxed);
            publish(b.node, *r.text);
        }
    }
    for (const auto& id : broken) break_bridge(id, true);
}

void node::impl::break_bridges_with(const std::string& node) {
    std::vector<std::string> ended;
    for (const auto& [id, b] : bridges_)
        if (node.empty() || b.node == node) ended.push_back(id);
    for (const auto& id : ended) break_bridge(id, false);
}

}  // namespace onymous::cluster
