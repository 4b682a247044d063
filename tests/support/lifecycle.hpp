#pragma once
// Helpers for the tests of a session's life beyond its connection (resume,
// takeover, grace, draining, back-pressure): the resume messages, the
// daemon's admin gauges, its open descriptors, and explicit-seq checks for a
// resumed connection (whose replayed messages keep the seq of the session,
// not of the new connection). They assert with Catch2, like helpers.hpp.

#include "helpers.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace onymous::test {

/// A short close deadline (limits.close_timeout): clients a test no longer
/// reads when it ends never answer the drain's close frames, and the daemon
/// then waits this long for each before it can exit.
inline const config_override quick_close{"limits.close_timeout", "300ms"};

/// {"type":"offer","sdp":sdp}, {"type":"answer","sdp":sdp}, {"type":"candidate","candidate":init}.
json offer_message(const std::string& sdp);
json answer_message(const std::string& sdp);
json candidate_message(const json& init);

/// A valid text-mode SDP (text_sdp(marker)) padded with attribute lines to
/// about `bytes` bytes.
std::string padded_sdp(std::string_view marker, std::size_t bytes);

/// The resume token of the client's hello.
std::string hello_token(const ws_client& client);

/// True for a 128-bit token in unpadded base64url: 22 characters of
/// [A-Za-z0-9_-].
bool is_token(const std::string& token);

/// {"type":"resume","token":token,"last_seq":last_seq}
json resume_message(const std::string& token, std::int64_t last_seq);

/// Opens a client (hello checked) and sends resume as its first message.
ws_client open_resuming(const daemon_process& daemon, const std::string& token,
                        std::int64_t last_seq, const connect_options& options = {});

/// The next message must be exactly {"type":"resumed","state":state,
/// "resume":T} plus "role":role when `role` is not empty, with no seq, where T
/// is a token (is_token) different from `old_token`. Returns T.
std::string expect_resumed(ws_client& client, std::string_view state, std::string_view role,
                           const std::string& old_token, duration timeout = 5s);

/// The next message must be exactly {"type":"error","code":"resume_failed",
/// "message":M,"ref":"resume"}; returns M.
std::string expect_resume_failed(ws_client& client, duration timeout = 5s);

/// The next message must equal `expected` plus "seq":seq.
json expect_at(ws_client& client, json expected, std::int64_t seq, duration timeout = 5s);

/// The next message must be a `matched` with `seq` and exactly the fields
/// type, seq, role ("offerer"/"answerer") and interests; returns its role.
std::string expect_matched_at(ws_client& client, std::int64_t seq, duration timeout = 5s);

/// The admin /metrics sample `name` (summed over label sets), or nullopt
/// when the daemon does not export it.
std::optional<double> metric(const daemon_process& daemon, std::string_view name);

/// Polls `name` until it equals `value`; fails the test with the last value
/// seen when it does not within `timeout`.
void require_metric(const daemon_process& daemon, std::string_view name, double value,
                    duration timeout = 5s);

/// The same, while the clients in `keep_alive` keep reading (so that they
/// answer the server's pings); each must receive nothing meanwhile.
void require_metric(const daemon_process& daemon, std::string_view name, double value,
                    duration timeout, std::initializer_list<ws_client*> keep_alive);

/// The status of GET `target` on the admin listener.
int admin_status(const daemon_process& daemon, std::string_view target);

/// The number of entries in /proc/PID/fd.
std::size_t open_descriptors(pid_t pid);

/// Requires onymous_internal_errors_total to be 0, then finish(daemon).
void finish_clean(daemon_process& daemon);

}  // namespace onymous::test
