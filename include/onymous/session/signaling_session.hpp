#pragma once
// One client's signaling session: the state table of protocol v1 (idle,
// waiting, paired), the relay to the partner and the error budget. No I/O:
// the transport (net/websocket_session) derives from this class, feeds it
// complete text messages and implements the three transport hooks.
//
// Threading: every member runs on the session's own executor (its
// io_context thread), except matched(), partner_left() and relay(), which
// any thread may call: they only post to that executor.

#include <onymous/match/matcher.hpp>
#include <onymous/protocol/messages.hpp>
#include <onymous/protocol/parse.hpp>
#include <onymous/protocol/serialize.hpp>
#include <onymous/session/error_budget.hpp>

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

/// What every session of a daemon shares, read-only after start-up.
struct session_settings {
    protocol::parse_limits parse;
    protocol::hello_limits hello;
    std::uint64_t max_errors = 20;
    std::chrono::milliseconds error_window{10000};
    /// Relay messages that arrive this soon after a pairing ended are
    /// dropped silently (trickle races), not refused.
    std::chrono::milliseconds trickle_grace{10000};
    bool relay_only = false;
    std::function<clock::time_point()> now = [] { return clock::now(); };
};

enum class state : std::uint8_t { idle, waiting, paired };
std::string_view to_string(state s);

class signaling_session : public match::peer,
                          public std::enable_shared_from_this<signaling_session> {
public:
    signaling_session(const session_settings& settings, match::matcher& matcher);
    ~signaling_session() override;

    /// Sends hello. Call once, when the transport is ready.
    void start(std::string resume_token, const std::vector<protocol::ice_server>& ice_servers);
    /// A complete text message from the client.
    void on_text(std::string_view text);
    /// The transport is gone (close frame: `clean`, else a drop). Leaves the
    /// matcher; the partner is told at once. Idempotent.
    void on_transport_closed(bool clean);

    // match::peer: any thread.
    void matched(match::pairing p) override;
    void partner_left(std::uint64_t pair_id) override;
    /// A message from the partner of pairing `pair_id`: any thread.
    void relay(std::uint64_t pair_id, protocol::json message);

    state current_state() const { return state_; }

protected:
    /// Queue one text frame to the client.
    virtual void send_text(std::string text) = 0;
    /// Close the connection with `code` after what is queued.
    virtual void close_with(protocol::close_code code) = 0;
    /// Run `fn` on this session's executor; callable from any thread.
    virtual void post_to_self(std::function<void()> fn) = 0;

private:
    void handle(const protocol::join_message& m);
    void handle(const protocol::sdp_message& m);
    void handle(const protocol::candidate_message& m);
    void handle(const protocol::next_message& m);
    void handle(const protocol::leave_message& m);
    void handle(const protocol::ping_message& m);
    void handle(const protocol::resume_message& m);

    void on_matched(match::pairing& p);
    void on_partner_left(std::uint64_t pair_id);
    void on_relay(std::uint64_t pair_id, protocol::json& message);

    /// Relay messages (offer/answer/candidate) outside a pairing: true when
    /// the message must be dropped silently or was refused.
    bool refuse_unpaired_relay(std::string_view ref);
    void forward_to_partner(protocol::json message);
    void end_pairing_locally();
    match::matcher::member* member();

    void send_sequenced(protocol::json message);
    void refuse(protocol::error_code code, std::string_view message, std::string_view ref);

    const session_settings& settings_;
    match::matcher& matcher_;
    match::matcher::member* member_ = nullptr;  ///< attached at the first join
    bool closed_ = false;
    bool received_any_ = false;

    state state_ = state::idle;
    std::uint64_t ticket_ = 0;
    std::optional<protocol::chat_mode> mode_;  ///< of the last join
    std::uint64_t seq_ = 0;
    error_budget errors_;

    std::uint64_t pair_id_ = 0;
    std::weak_ptr<signaling_session> partner_;
    std::optional<clock::time_point> last_pair_end_;

    /// Relays of a pairing whose `matched` has not reached us yet (the
    /// partner heard first): held until it does, bounded.
    std::uint64_t highest_pair_seen_ = 0;
    std::uint64_t early_pair_id_ = 0;
    std::vector<protocol::json> early_relays_;
};

}  // namespace onymous::session
