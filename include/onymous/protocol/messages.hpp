#pragma once
// Wire types of protocol v1 (../shared/PROTOCOL.md), free of any transport.
// A client_message is only ever built by parse() in parse.hpp, so every value
// of these types has passed the contract's validation.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace onymous::protocol {

inline constexpr int version = 1;
inline constexpr std::string_view subprotocol = "onymous.v1";

enum class chat_mode : std::uint8_t { text, video };
std::string_view to_string(chat_mode mode);

enum class error_code : std::uint8_t {
    bad_json,
    invalid_message,
    unknown_type,
    bad_state,
    invalid_sdp,
    invalid_candidate,
    rate_limited,
    invalid_proof,  ///< join/next without a valid proof of work (abuse.pow_bits > 0)
    suspended,      ///< join/next from an address suspended after reports
    resume_failed,
    draining,
};
inline constexpr std::size_t error_code_count = static_cast<std::size_t>(error_code::draining) + 1;
std::string_view to_string(error_code code);

/// WebSocket close codes of the contract's table.
enum class close_code : std::uint16_t {
    normal = 1000,
    going_away = 1001,        ///< shutting down, or idle past limits.idle_timeout
    unsupported_data = 1003,  ///< a binary frame
    invalid_payload = 1007,   ///< not UTF-8
    policy = 1008,            ///< error budget spent, or outbound queue overflow
    too_big = 1009,           ///< over limits.max_message_bytes
    internal_error = 1011,
    taken_over = 4000,  ///< resumed on another connection
};

/// The most nonces a proof may carry, and the longest nonce, in bytes: bounds
/// checked by the parser; what the nonces must be is abuse/proof_of_work's.
inline constexpr std::size_t max_proof_entries = 64;
inline constexpr std::size_t max_proof_entry_bytes = 64;

struct join_message {
    chat_mode mode = chat_mode::video;
    std::vector<std::string> interests;  ///< normalised, unique, in first-seen order
    std::vector<std::string> proof;      ///< "proof" as sent; empty when absent
};

enum class sdp_kind : std::uint8_t { offer, answer };
std::string_view to_string(sdp_kind kind);

struct sdp_message {
    sdp_kind kind = sdp_kind::offer;
    std::string sdp;  ///< grammar and size checked; the mode check is check_sdp_mode() (parse.hpp)
};

/// An RTCIceCandidateInit. An empty `candidate` string means end of candidates.
struct ice_candidate {
    std::string candidate;
    std::optional<std::string> sdp_mid;
    std::optional<int> sdp_mline_index;  ///< 0..255
    std::optional<std::string> username_fragment;
};

struct candidate_message {
    std::optional<ice_candidate> candidate;  ///< nullopt: the JSON null end-of-candidates

    bool is_end_of_candidates() const { return !candidate || candidate->candidate.empty(); }
};

struct next_message {
    std::vector<std::string> proof;  ///< "proof" as sent; empty when absent
};
struct leave_message {};
struct ping_message {};

struct resume_message {
    std::string token;
    std::uint64_t last_seq = 0;
};

/// The client has every message up to `seq` (PROTOCOL.md, Acknowledgements).
struct ack_message {
    std::uint64_t seq = 0;
};

/// Reports the current or the last partner (PROTOCOL.md, Abuse controls).
struct report_message {};

using client_message =
    std::variant<join_message, sdp_message, candidate_message, next_message, leave_message,
                 ping_message, resume_message, ack_message, report_message>;

/// The name of a message's `type`, as on the wire.
std::string_view type_name(const client_message& message);

enum class role : std::uint8_t { offerer, answerer };
std::string_view to_string(role r);

/// A session's state as the contract names it (the `state` of `resumed`).
enum class session_state : std::uint8_t { idle, waiting, paired };
std::string_view to_string(session_state state);

}  // namespace onymous::protocol
