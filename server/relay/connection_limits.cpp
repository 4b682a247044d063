#include <onymous/relay/connection_limits.hpp>

namespace onymous::relay {

connection_limits::connection_limits(const config::limits_settings& s, time_point now)
    : messages_(s.messages_per_second, s.burst, now),
      joins_(s.joins_per_second, s.join_burst, now),
      caps_(s.pair_max_offers, s.pair_max_candidates) {}

std::string_view connection_limits::admit_message(time_point now) {
    return messages_.try_take(now) ? std::string_view{} : too_many_messages;
}

std::string_view connection_limits::admit_join(time_point now) {
    return joins_.try_take(now) ? std::string_view{} : too_many_joins;
}

std::string_view connection_limits::admit_relay(const protocol::sdp_message& m) {
    return caps_.admit(m) ? std::string_view{} : too_many_offers;
}

std::string_view connection_limits::admit_relay(const protocol::candidate_message& m) {
    return caps_.admit(m) ? std::string_view{} : too_many_candidates;
}

}  // namespace onymous::relay
