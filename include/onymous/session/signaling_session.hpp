#pragma once
// One client's signaling session, apart from any connection: the state
// table of protocol v1 (idle, waiting, paired), seq and the history of what
// was sent, the pairing and the relay to the partner, the error budget and
// the resume token. A connection (session::transport) attaches to it and
// detaches from it; a session whose connection dropped waits out its resume
// grace, and a resume on any connection of the daemon takes it back.
//
// Threading: a session has a home (session::home), the thread that runs all
// of its handlers, fixed for its whole life. Every public function may be
// called from any thread: it runs at once on the home's thread and is posted
// there from any other. See docs/architecture.md (Session lifetime).

#include <onymous/abuse/controls.hpp>
#include <onymous/config/config.hpp>
#include <onymous/match/matcher.hpp>
#include <onymous/memory/budget.hpp>
#include <onymous/metrics/histogram.hpp>
#include <onymous/protocol/messages.hpp>
#include <onymous/protocol/parse.hpp>
#include <onymous/protocol/serialize.hpp>
#include <onymous/relay/connection_limits.hpp>
#include <onymous/relay/relay_only.hpp>
#include <onymous/session/directory.hpp>
#include <onymous/session/elsewhere.hpp>
#include <onymous/session/error_budget.hpp>
#include <onymous/session/history.hpp>
#include <onymous/session/home.hpp>
#include <onymous/session/transport.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onymous::session {

using clock = std::chrono::steady_clock;
using state = protocol::session_state;

/// What the sessions of a daemon share, as of one configuration: a reload
/// makes a new one, and each session keeps the one it started with.
struct session_settings {
    /// The limits.* keys: rates and per-pairing caps (relay/connection_limits),
    /// the error budget, the resume grace, the bounds on what is held for the
    /// client (max_outbound_bytes, max_unacked_bytes), and hello.limits.
    config::limits_settings limits;
    /// matching.max_interests: for the parser and hello.limits.
    std::uint64_t max_interests = config::matching_settings{}.max_interests;
    std::chrono::milliseconds error_window{10000};
    /// Relay messages that arrive this soon after a pairing ended are
    /// dropped silently (trickle races), not refused.
    std::chrono::milliseconds trickle_grace{10000};
    /// A `report` reaches the last partner this long after the pairing ended.
    std::chrono::milliseconds report_grace{10000};
    /// The abuse.* keys: read by session_context's abuse controls at start
    /// (a reload configures them anew: app/reload.cpp).
    config::abuse_settings abuse;
    /// ice.privacy: relay_only. hello says "iceTransportPolicy":"relay",
    /// and what is relayed passes relay/relay_only (ice.relay_networks).
    bool relay_only = false;
    /// ice.stun, ice.turn and ice.relay_networks: the iceServers of hello,
    /// the fresh ones of matched, the relay networks of relay_only.
    config::ice_settings ice;
    std::function<clock::time_point()> now = [] { return clock::now(); };
    /// Unix time, for TURN credentials (which carry their expiry).
    std::function<std::chrono::system_clock::time_point()> wall_now = [] {
        return std::chrono::system_clock::now();
    };
};

/// One configuration's settings with what is built from them once.
struct session_snapshot {
    explicit session_snapshot(session_settings s)
        : settings(std::move(s)),
          parse{settings.limits.max_sdp_bytes, settings.max_interests},
          relay_filter(address::network_set(settings.ice.relay_networks)) {}

    const session_settings settings;
    /// What the parser checks against, from the same limits.
    const protocol::parse_limits parse;
    /// Applied to every offer, answer and candidate when settings.relay_only.
    const relay::relay_only_filter relay_filter;
};

/// Match waits: 5 ms to 2 min (interest windows last seconds).
inline constexpr std::array<std::uint64_t, 13> match_wait_bounds_us{
    5'000,     10'000,    25'000,    50'000,     100'000,    250'000,    500'000,
    1'000'000, 2'500'000, 5'000'000, 10'000'000, 30'000'000, 120'000'000};
/// Relay latency inside the daemon: 10 µs to 100 ms.
inline constexpr std::array<std::uint64_t, 13> relay_latency_bounds_us{
    10, 25, 50, 100, 250, 500, 1'000, 2'500, 5'000, 10'000, 25'000, 50'000, 100'000};

/// Counters for /metrics; relaxed atomics.
struct session_counters {
    std::atomic<std::uint64_t> live{0};      ///< sessions not ended, in grace or not
    std::atomic<std::uint64_t> in_grace{0};  ///< sessions waiting for a resume
    std::atomic<std::uint64_t> resumed_total{0};
    std::atomic<std::uint64_t> resume_failed_total{0};
    std::atomic<std::uint64_t> grace_expired_total{0};
    std::atomic<std::uint64_t> internal_errors_total{0};  ///< sessions closed with 1011
    /// Relayed to a partner, by protocol::message type: offer, answer, candidate.
    std::atomic<std::uint64_t> relayed_offers_total{0};
    std::atomic<std::uint64_t> relayed_answers_total{0};
    std::atomic<std::uint64_t> relayed_candidates_total{0};
    /// `error` messages sent, by protocol::error_code.
    std::array<std::atomic<std::uint64_t>, protocol::error_code_count> errors_total{};
    /// join or next → matched.
    metrics::histogram<match_wait_bounds_us.size()> match_wait{match_wait_bounds_us};
    /// A relayed message read from its sender → queued to its receiver.
    metrics::histogram<relay_latency_bounds_us.size()> relay_latency{relay_latency_bounds_us};
};

/// Everything the sessions of a daemon share.
struct session_context {
    session_context(std::shared_ptr<const session_snapshot> first, match::matchmaker& m)
        : matcher(m),
          budget(first->settings.limits.max_buffered_bytes),
          abuse(first->settings.abuse),
          initial_(std::move(first)) {}
    session_context(session_settings s, match::matchmaker& m)
        : session_context(std::make_shared<session_snapshot>(std::move(s)), m) {}

    /// What a session starts with when its creator gives no configuration
    /// (the unit tests). The daemon always gives one: the configuration its
    /// connection was accepted under (net::connection_snapshot), which a
    /// reload replaces there.
    const std::shared_ptr<const session_snapshot>& initial() const { return initial_; }

    /// The single node's matcher, or the cluster's pool.
    match::matchmaker& matcher;
    /// limits.max_buffered_bytes: what sessions and connections hold.
    memory::budget budget;
    directory tokens;
    /// Cluster mode: the other nodes, for a resume whose token is not here.
    elsewhere* others = nullptr;
    session_counters counters;
    /// Set once when the daemon starts draining (SIGTERM).
    std::atomic<bool> draining{false};
    /// Proof of work, reports, the shadow pool, the skip throttle: shared by
    /// every session of this node (abuse/controls.hpp), thread-safe.
    abuse::controls abuse;

private:
    const std::shared_ptr<const session_snapshot> initial_;
};

class signaling_session : public match::peer,
                          public std::enable_shared_from_this<signaling_session> {
public:
    /// Starts with `config`, or with the context's initial() one.
    signaling_session(session_context& ctx, home& h,
                      std::shared_ptr<const session_snapshot> config = nullptr);
    ~signaling_session() override;
    signaling_session(const signaling_session&) = delete;
    signaling_session& operator=(const signaling_session&) = delete;

    /// The keyed hash of the client's address (abuse::controls::hash), for
    /// the abuse controls; never the address. Call before start(); without
    /// it (0) the session is exempt from what counts per address.
    void set_address(std::uint64_t address_hash) {
        address_.store(address_hash, std::memory_order_relaxed);
    }

    /// Attaches the first connection and sends hello, with iceServers minted
    /// from settings.ice at settings.wall_now(). Call once (this or the other).
    void start(std::shared_ptr<transport> t);
    /// The same with iceServers the caller minted; their expiry is read from
    /// the TURN username, for matched to know when to refresh them.
    void start(std::shared_ptr<transport> t, std::vector<protocol::ice_server> ice_servers);
    /// A complete text message from the client, over connection `from`.
    void receive(const std::shared_ptr<transport>& from, std::string_view text);
    /// Connection `from` ended: `clean` for a close frame or a close the
    /// server made for the client's own fault (the session ends), otherwise
    /// a drop (the resume grace begins, holding the connection's `place`).
    /// Ignored from a connection that is no longer this session's.
    void transport_closed(const std::shared_ptr<transport>& from, bool clean,
                          std::shared_ptr<place> place = nullptr);
    /// The daemon drains (PROTOCOL.md, Draining): tells the client, ends the
    /// session now unless it is paired.
    void drain();
    /// Shutdown past the drain: ends the session now, closing its connection
    /// with `code`. Also used when a handler of this session threw (1011).
    void abort(protocol::close_code code);
    /// Ends the session on the calling thread, without a word: only at exit,
    /// once no thread runs its home any more.
    void end_now() { end(std::nullopt); }

    /// Another node asks for this session (cluster mode): as a local
    /// resume would, it takes connection `t` (a bridge to that node), then
    /// calls `answer(true)`; or only `answer(false)`.
    void take_over_remotely(std::shared_ptr<transport> t, std::uint64_t last_seq,
                            std::optional<std::chrono::system_clock::time_point> expiry,
                            std::function<void(bool)> answer);

    // The requester's end of a bridge (session/elsewhere.hpp): any thread.
    /// The node holding the session took it over (true), or none did.
    void bridge_answered(bool ok);
    /// A finished frame of the session, for this connection.
    void bridge_frame(std::string text);
    /// The session closed its connection with `code`, or the bridge broke.
    void bridge_close(protocol::close_code code);

    // match::peer: any thread.
    void matched(match::pairing p) override;
    void partner_left(std::uint64_t pair_id) override;
    /// A message of pairing `pair_id` from the partner (match::peer): this
    /// side completes its text with a seq.
    void relay(std::uint64_t pair_id, std::string text, clock::time_point read_at) override;
    /// What set_address() gave: the partner's reports go against it.
    std::uint64_t address_hash() const override { return address_.load(std::memory_order_relaxed); }

    /// Home thread only (for tests and metrics).
    state current_state() const { return state_; }
    /// What this session holds against the budget: the frames it made (in
    /// its history, in a connection's queue), held relays.
    const memory::account& account() const { return *account_; }
    const history& replay_history() const { return history_; }
    bool ended() const { return life_ == life::ended; }
    bool in_grace() const { return life_ == life::in_grace; }
    const std::string& resume_token() const { return token_; }

private:
    /// Where the session is in its life, apart from the protocol state.
    enum class life : std::uint8_t {
        created,       ///< before start()
        attached,      ///< a connection carries it
        in_grace,      ///< its connection dropped; waiting for a resume
        handing_over,  ///< a fresh session whose first message resumes another: waiting for it
        bridged,       ///< its connection carries a session another node holds
        ended,
    };

    /// Runs `fn` on the home's thread (inline when already there), closing
    /// this session with 1011 if it throws.
    template <class Fn>
    void on_home(Fn&& fn);
    template <class Fn>
    void guarded(Fn&& fn);
    void fail_internal(const char* what);

    // Client messages (signaling_session.cpp).
    /// A client message over `from`, on the home's thread: held while
    /// handing over, ignored from a connection that is not this session's.
    void on_receive(const std::shared_ptr<transport>& from, std::string_view text);
    void handle_text(std::string_view text);
    void handle(const protocol::join_message& m);
    /// Offers, answers and candidates are relayed from the parsed message
    /// itself, which relay-only mode filters in place.
    void handle(protocol::sdp_message& m);
    void handle(protocol::candidate_message& m);
    void handle(const protocol::next_message& m);
    void handle(const protocol::leave_message& m);
    void handle(const protocol::ping_message& m);
    void handle(const protocol::resume_message& m);
    void handle(const protocol::ack_message& m);
    bool refuse_when_draining(std::string_view ref);

    // Abuse controls (session_abuse.cpp).
    void handle(const protocol::report_message& m);
    /// The checks of join and next after the join bucket, in the contract's
    /// order: the skip throttle (next only), suspended, the proof of work.
    /// True when refused (answered); else `proved` says whether a proof of
    /// the challenge in force came with it (to redeem once accepted).
    bool refuse_abuse(bool is_next, const std::vector<std::string>& proof, std::string_view ref,
                      bool& proved);
    /// The message is accepted: counts the join and, when `proved`, redeems
    /// the challenge in force by drawing its successor.
    void accept_proof(bool proved);
    /// `waiting`'s text, with the next challenge when proof of work is on.
    std::string waiting_text() const;
    /// Whether this session's sessions wait in the shadow pool now.
    bool shadowed();
    /// `reason` is a limit's answer (relay/connection_limits): true when it
    /// refused, after answering rate_limited.
    bool refuse_over_limit(std::string_view reason, std::string_view ref);
    /// Relay messages outside a pairing: true when the message must be
    /// dropped silently or was refused.
    bool refuse_unpaired_relay(std::string_view ref);
    void forward_to_partner(std::string text, std::atomic<std::uint64_t>& relayed_total);
    void end_pairing_locally();
    match::matchmaker::handle* member();

    // Partner and matcher events (session_relay.cpp).
    void on_matched(match::pairing& p);
    void on_partner_left(std::uint64_t pair_id);
    void on_relay(std::uint64_t pair_id, std::string& text, clock::time_point read_at);
    /// After the pairing ended while draining: the session goes too.
    void close_if_drained();

    // Life: connections, grace, resume, end (session_lifetime.cpp).
    void on_transport_closed(const std::shared_ptr<transport>& from, bool clean,
                             std::shared_ptr<place> place);
    void begin_grace(std::shared_ptr<place> place);
    void on_grace_expired();
    /// `expiry`: of the credentials the fresh session's hello gave the connection.
    /// `answer` gets this session when it took `t` over, null when it cannot.
    using take_over_answer = std::function<void(std::shared_ptr<signaling_session>)>;
    void take_over(std::shared_ptr<transport> t, std::uint64_t last_seq,
                   std::optional<std::chrono::system_clock::time_point> expiry,
                   take_over_answer answer);
    void on_take_over_answer(bool ok, std::shared_ptr<signaling_session> older);
    void resume_refused();
    /// Bridged: the client's messages go to the other node, within the
    /// message bucket (a flood stays here).
    void forward_to_bridge(std::string_view text);
    void on_bridge_answered(bool ok);
    /// Ends the session: the matcher forgets it (the partner gets
    /// partner_left), the token is gone, the connection, if any, is closed
    /// with `code` (nullopt: it is gone already, or is being handed over),
    /// after what is queued or, `at_once`, dropping it.
    void end(std::optional<protocol::close_code> code, bool at_once = false);
    /// The budget chose this session (limits.max_buffered_bytes); on the
    /// home's thread (the account's callback posts it here).
    void evict();
    void drop_early_relays();

    // Output (session_output.cpp).
    void send_sequenced(const protocol::json& message);
    /// `text` is a sequenced message's wire text without seq: completes it.
    void send_sequenced_text(std::string text);
    void send_unsequenced(std::string text);
    /// A server message as a frame charged to this session's account.
    frame make_frame(std::string text) { return memory::charged_text(account_, std::move(text)); }
    void refuse(protocol::error_code code, std::string_view message, std::string_view ref);
    /// An error with "retryAfterMs" (suspended, the skip throttle).
    void refuse(protocol::error_code code, std::string_view message, std::string_view ref,
                std::chrono::milliseconds retry_after);
    /// Counts `code`, sends `error` and spends the error budget.
    void send_error(protocol::error_code code, const protocol::json& error);

    const session_settings& settings() const { return snapshot_->settings; }

    session_context& ctx_;
    /// The configuration this session started with, for its whole life.
    const std::shared_ptr<const session_snapshot> snapshot_;
    home& home_;
    life life_ = life::created;
    std::weak_ptr<transport> transport_;
    std::string token_;
    /// Of the TURN credentials the connection holds (hello's, or the last
    /// matched's); nullopt without TURN.
    std::optional<std::chrono::system_clock::time_point> credentials_expiry_;
    std::unique_ptr<timer> grace_timer_;
    /// In the grace: the dropped connection's place in the connection limits.
    std::shared_ptr<place> held_place_;

    match::matchmaker::handle* member_ = nullptr;  ///< attached at the first join
    bool received_any_ = false;
    bool draining_seen_ = false;  ///< `draining` sent to this session

    state state_ = state::idle;
    std::uint64_t ticket_ = 0;
    std::optional<protocol::chat_mode> mode_;  ///< of the last join
    clock::time_point waiting_since_{};        ///< of the last join or next (metrics)
    clock::time_point read_at_{};              ///< of the client message being handled
    std::uint64_t seq_ = 0;
    /// Shared with every frame it made, which may outlive the session in a
    /// closing connection's queue.
    std::shared_ptr<memory::account> account_;
    history history_;
    error_budget errors_;
    relay::connection_limits limits_;

    std::uint64_t pair_id_ = 0;
    protocol::role role_ = protocol::role::offerer;  ///< in the current pairing
    /// A session on this node, or cluster mode's stand-in for one elsewhere.
    std::weak_ptr<match::peer> partner_;
    std::optional<clock::time_point> last_pair_end_;

    /// Relays of a pairing whose `matched` has not reached us yet (the
    /// partner heard first): held until it does, within max_outbound_bytes.
    std::uint64_t highest_pair_seen_ = 0;
    std::uint64_t early_pair_id_ = 0;
    std::vector<std::string> early_relays_;
    std::size_t early_bytes_ = 0;

    /// While handing_over: what the client sent after its resume, and
    /// whether its connection already ended, for whichever session wins.
    std::vector<std::string> handover_texts_;
    std::size_t handover_bytes_ = 0;
    std::optional<bool> handover_closed_clean_;
    std::shared_ptr<place> handover_place_;

    /// The keyed hash of the client's address; 0 when not known.
    std::atomic<std::uint64_t> address_{0};
    /// The proof-of-work challenge in force (hello's, then each waiting's).
    std::optional<abuse::challenge> challenge_;
    /// The last partner's address hash, of pairing `partner_pair_`, kept
    /// after it ended for a late report; `reported_pair_` was reported.
    std::uint64_t partner_address_ = 0;
    std::uint64_t partner_pair_ = 0;
    std::uint64_t reported_pair_ = 0;

    /// The bridge that carries a session held elsewhere (session/elsewhere.hpp).
    std::string bridge_;
    /// Until either end closed it: the other end is told once.
    bool bridge_open_ = false;
};

}  // namespace onymous::session
