#pragma once
// The inside of cluster::node (node.hpp), shared by the files that define
// it: node.cpp (the matchmaker's calls, bookkeeping), node_pool.cpp (waiting
// in Redis), node_pairs.cpp (pairs, cross-node links, what other nodes
// say), node_liveness.cpp (heartbeats, dead nodes), node_fallback.cpp (the
// node's own pool while degraded), node_bridges.cpp (resumes of sessions
// another node holds). The records it keeps are in node_parts.hpp.
// Everything here belongs to the cluster thread unless it says otherwise.

#include "node.hpp"
#include "node_parts.hpp"

#include "../../redis/client.hpp"

#include <onymous/abuse/event_sink.hpp>
#include <onymous/cluster/abuse_sharing.hpp>
#include <onymous/cluster/link.hpp>
#include <onymous/cluster/node_stats.hpp>
#include <onymous/cluster/pool.hpp>
#include <onymous/cluster/wire.hpp>
#include <onymous/match/matcher.hpp>
#include <onymous/session/transport.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

namespace onymous::cluster {

using std::chrono::milliseconds;

class node::impl {
public:
    /// Starts the cluster thread (node::node).
    explicit impl(node_options opts);
    /// Lets the last commands out (finish_commands), stops the thread.
    ~impl();

    // node.cpp: the matchmaker's calls, posted from the workers.
    match::matchmaker::handle* attach(std::shared_ptr<match::peer> p);
    void join(member* m, std::uint64_t ticket, protocol::chat_mode mode,
              std::vector<std::string> interests, bool shadowed);
    void next(member* m, std::uint64_t ticket, bool shadowed);
    void leave(member* m, std::uint64_t ticket);
    void detach(member* m);
    void suspend(member* m);
    void reactivate(member* m, std::shared_ptr<match::peer> p);

    /// node_pairs.cpp: a relay from a local session to its partner on
    /// another node (remote_partner posts it here).
    void relay_out(std::uint64_t pair_id, std::string text);

    /// node_fallback.cpp: what the fallback matcher says (fallback_peer).
    void on_fallback_matched(member& m, match::pairing& p);
    void on_fallback_partner_left(member& m, std::uint64_t fallback_pair);

    // node_bridges.cpp: resumes of sessions another node holds.
    /// Any thread; null before the directory goes (at exit).
    void hold_sessions(session::directory* tokens) {
        const std::lock_guard lock(tokens_mutex_);
        tokens_ = tokens;
    }
    std::string resume(std::string token, std::uint64_t last_seq, std::uint64_t expiry,
                       std::weak_ptr<session::signaling_session> requester);
    void client_text(const std::string& id, std::string text);
    void client_closed(const std::string& id, bool clean);
    // node_abuse.cpp: the abuse counters every node shares.
    /// Any thread; null before the controls go (at exit).
    void share_abuse(abuse::controls* controls);
    /// What this node's controls counted (abuse_forwarder posts it here).
    void gather_abuse(abuse_event e);

    /// bridge_transport's calls, posted from the session's thread.
    void holder_sends(const std::string& id, bridge_kind kind, std::string payload);
    void holder_attach(const std::string& id, std::weak_ptr<session::signaling_session> s);

    match::matcher_stats stats;  ///< any thread reads it
    node_stats counters;         ///< any thread reads it
    const std::string& id() const { return id_; }
    asio::io_context& io() { return io_; }

private:
    using clock = std::chrono::steady_clock;

    // node.cpp
    /// At exit: what the sessions' last leaves and partings sent (the
    /// pool's leave, "ended" to partners elsewhere) gets its chance to
    /// reach Redis, for at most a second, before the connection closes.
    void finish_commands(clock::time_point deadline);
    void count() { stats.operations_total.fetch_add(1, std::memory_order_relaxed); }
    member* find(const std::string& id);
    /// Moves `m` to `s`, keeping the gauges of stats.
    void set_state(member& m, member::state s);

    // node_pool.cpp: waiting in Redis.
    /// Queues `m` (or pairs it) for `ticket`, as a new wait: in Redis, or
    /// in the fallback pool while degraded.
    void wait(member& m, std::uint64_t ticket);
    void send_join(member& m);
    void rematch(member& m);
    /// Runs a join or rematch for `m` and applies the answer, if it still
    /// concerns the same wait.
    void run_pool(std::vector<std::string> args, member& m);
    void on_pool_answer(const std::string& id, std::uint64_t ticket,
                        std::optional<pool_answer> answer);
    /// The pool claimed `c` for a wait (of `claimer`) that is over: it waits on.
    void release(const std::string& claimer, const claimed& c);
    void stop_waiting(member& m);
    void retry_later(member& m, milliseconds after);
    /// A queued waiter is looked at again when its interest window ends
    /// and when the cooldown with its last partner ends: either may make it
    /// eligible without anyone new arriving.
    void arm_rematch(member& m);
    /// Runs a pool operation whose answer nobody waits for.
    void pool(std::vector<std::string> args) {
        script_.run(*commands_, {}, std::move(args), [](auto) {});
    }
    void on_redis_connected();
    void fetch_generation();
    void requeue_all();
    void on_redis_lost();
    /// Recomputes `degraded`; on a change, moves the waiters (node_fallback.cpp).
    void update_degraded();

    // node_fallback.cpp: the node's own pool while degraded.
    /// `m` (waiting, not in the fallback pool) waits among this node's own.
    void wait_in_fallback(member& m);
    /// Takes `m` out of the fallback pool, if it is there: a partner there
    /// gets partner_left (inside this call). `m` keeps its state otherwise.
    void leave_fallback(member& m);
    void end_fallback_state(member& m);
    void arm_fallback_wake(match::clock::time_point at);
    /// Lost Redis (or our subscription): waiters move to the fallback
    /// pool. Back: they move to Redis, with the join time they had.
    void on_degraded_changed(bool now_degraded);

    // node_pairs.cpp: pairs, cross-node links, what other nodes say.
    void pair_locally(member& a, member& b, const claimed& c);
    void pair_remotely(member& m, const claimed& c);
    void become_paired(member& m, remote_pair& p, const std::string& partner);
    remote_pair& new_pair(std::uint64_t id, const std::string& node, member* local);
    /// `m` leaves its pairing, if it has one (next, leave, detach): the
    /// partner gets partner_left, and the two cool down.
    void end_pairing(member& m);
    /// A cross-node pair ends without its partner's word (a gap, a
    /// deadline, a dead node): our side hears partner_left, theirs is told
    /// if it can be.
    void break_pair(std::uint64_t id, bool tell_other);
    /// Our member leaves pair `p` (now idle); the pair stays for its acks.
    /// Returns that member, or null when our side had left already.
    member* release_local(remote_pair& p);
    void cool_down(const std::string& a, const std::string& b);
    /// Numbers a message of the pair and publishes it; the link keeps the
    /// bytes for its retries.
    void send(remote_pair& p, pair_kind kind, std::string payload);
    /// To `node`'s channel, on publisher_ (no reply, no order with commands_).
    void publish(const std::string& node, std::string bytes);
    /// `m`'s interests whose hashes are among `hashes`, in `m`'s order.
    std::vector<std::string> names(const member& m, const std::vector<std::string>& hashes) const;
    void on_message(std::string_view channel, std::string_view payload);
    void on_pair_message(wire_message& w);
    /// Another node claimed one of our waiters.
    void on_claimed(remote_pair& p, std::string_view payload);
    /// Acks are gathered per node for ack_delay and sent as one C message:
    /// one PUBLISH for every message a node received in that time, from
    /// any of its pairs with that node, instead of one per message.
    void owe_ack(remote_pair& p);
    void flush_acks();
    void forget_if_done(std::unordered_map<std::uint64_t, remote_pair>::iterator it);
    /// Every 50 ms: retries due, and pairs past their link's deadline.
    void start_ticks();
    void tick();

    // node_bridges.cpp
    void ask_for_session(const std::string& id, const std::string& token, std::uint64_t last_seq,
                         std::uint64_t expiry, std::weak_ptr<session::signaling_session> requester);
    /// Another node asks for the session of a token (T).
    void on_take_over(const wire_message& w);
    void on_taken_over(const std::string& id, bool ok,
                       const std::weak_ptr<session::signaling_session>& session,
                       const std::shared_ptr<bridge_transport>& t);
    /// The answers to our T: S, or F.
    void on_bridge_answer(const wire_message& w);
    void on_bridge_message(wire_message& w);
    void on_bridge_ack(const wire_message& w);
    void bridge_send(bridge& b, bridge_kind kind, std::string payload);
    void bridged(bridge& b, const std::string& holder);
    /// No node took the resume: resume_failed for the requester (counted).
    void not_found(const std::weak_ptr<session::signaling_session>& requester);
    /// The bridge is over without a word from its other end (a gap, a
    /// deadline, a dead node, an unknown bridge): the holder's session
    /// loses its connection as in a drop (the resume grace), the
    /// requester's connection closes with 1001, for the client to resume
    /// again. `tell_other`: an unnumbered note makes the other end do the same.
    void break_bridge(const std::string& id, bool tell_other);
    /// Tells `node` that bridge `id` is unknown here (an unnumbered B).
    void disown_bridge(const std::string& node, const std::string& id, bool we_hold);
    void owe_bridge_ack(bridge& b);
    void forget_bridge_if_done(const std::string& id);
    void tick_bridges(clock::time_point now);
    /// Every bridge with `node` breaks (it is dead); all of them when empty.
    void break_bridges_with(const std::string& node);

    // node_abuse.cpp
    /// Offers this node's address key; adopts the one Redis keeps. At each
    /// connection and at each new UTC day (heartbeat).
    void sync_address_key();
    void sync_address_key_daily();
    /// Once, at the first connection: the reports in the log that still count.
    void load_report_log();
    /// The gathered events as one E to every node, and the reports to the log.
    void flush_abuse();
    /// How long the log keeps reports under the abuse settings in force
    /// (a reload may change them); nullopt once the controls are gone.
    std::optional<std::chrono::milliseconds> report_log_span_in_force();
    /// The reports among `events` into the log in Redis, trimmed.
    void log_reports(const std::vector<abuse_event>& events);
    void on_abuse_events(const wire_message& w);

    // node_liveness.cpp: heartbeats, leases, dead nodes, the subscription's probe.
    void start_heartbeats();
    void heartbeat();
    /// Our own heartbeat came back lately: only then are others judged.
    bool hearing_ourselves(clock::time_point now) const;
    void heard_own_heartbeat();
    /// Whether a write was taken (a replica answers READONLY): part of degraded.
    void note_write(const std::optional<redis::reply>& r);
    std::int64_t ttl_ms() const;
    /// Shorter than node_timeout, longer than a heartbeat interval.
    std::int64_t lease_ms() const;

    node_options opts_;
    const std::string id_;
    const std::string prefix_;
    const std::string channel_;
    const std::string heartbeats_;
    redis::script script_;
    std::mt19937_64 random_;
    asio::io_context io_{1};
    asio::executor_work_guard<asio::io_context::executor_type> guard_{io_.get_executor()};
    std::optional<redis::connection> commands_;
    /// Messages to another node's channel, which its receiver acknowledges
    /// (or ends the pair), and the heartbeat, whose return probes this
    /// connection: no replies (redis::publisher). The lease, the abuse
    /// events and the pool stay on commands_, whose replies count.
    std::optional<redis::publisher> publisher_;
    std::optional<redis::subscriber> subscriber_;
    asio::steady_timer heartbeat_timer_{io_};
    asio::steady_timer tick_timer_{io_};
    asio::steady_timer stop_timer_{io_};
    bool stopping_ = false;  ///< the node is being destroyed: nothing re-arms
    std::string generation_;
    bool writable_ = true;     ///< Redis took our last write (see note_write)
    bool ever_ready_ = false;  ///< for the log: "again" only after a first time
    std::uint64_t highest_pair_ = 0;
    std::optional<match::matcher> fallback_;
    asio::steady_timer fallback_wake_{io_};
    std::uint64_t fallback_base_ = 0;  ///< fallback pair ids are above it
    std::unordered_map<std::string, std::unique_ptr<member>> members_;
    std::unordered_map<std::uint64_t, remote_pair> pairs_;
    std::unordered_map<std::string, bridge> bridges_;
    /// Pairs owed an ack, by the node to send it to (owe_ack).
    std::unordered_map<std::string, std::vector<std::uint64_t>> acks_owed_;
    asio::steady_timer ack_timer_{io_};
    bool ack_timer_armed_ = false;
    /// Set and cleared by the daemon's thread, used on the cluster thread:
    /// the controls die before the node does (node_abuse.cpp).
    std::mutex abuse_mutex_;
    abuse::controls* abuse_ = nullptr;
    std::unique_ptr<abuse::event_sink> forwarder_;
    redis::script address_key_script_{std::string(address_key_script())};
    std::int64_t address_key_day_ = -1;             ///< the UTC day of the last sync
    bool address_key_needed_ = opts_.shares_abuse;  ///< ready needs the cluster's key
    bool address_key_adopted_ = false;              ///< we hold the cluster's key
    bool report_log_loaded_ = false;
    std::vector<abuse_event> abuse_out_;
    asio::steady_timer abuse_timer_{io_};
    bool abuse_timer_armed_ = false;
    /// Set and cleared by the daemon's thread, read on the cluster thread:
    /// the directory dies before the node does.
    std::mutex tokens_mutex_;
    session::directory* tokens_ = nullptr;
    std::unordered_map<std::string, clock::time_point> last_heard_;
    std::unordered_map<std::string, std::int64_t> cooldown_ends_;
    clock::time_point last_own_heartbeat_ = clock::now();
    std::thread thread_;
};

}  // namespace onymous::cluster
