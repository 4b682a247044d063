#include "acker.hpp"

#include <charconv>

namespace onymous::bench {

namespace {

constexpr std::uint64_t ack_after_messages = 8;
constexpr auto ack_after = std::chrono::milliseconds(500);

}  // namespace

std::optional<std::uint64_t> seq_of(std::string_view text) {
    constexpr std::string_view key = "\"seq\":";
    const auto at = text.rfind(key);
    if (at == std::string_view::npos) return std::nullopt;
    std::uint64_t seq = 0;
    const char* begin = text.data() + at + key.size();
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), seq);
    if (ec != std::errc() || end == begin) return std::nullopt;
    return seq;
}

void acker::start(std::uint64_t max_unacked) {
    max_unacked_ = max_unacked;
    last_seq_ = acked_ = unacked_bytes_ = 0;
}

std::string acker::processed(std::string_view text, clock::time_point now) {
    if (max_unacked_ == 0) return {};
    const auto seq = seq_of(text);
    if (!seq || *seq <= last_seq_) return {};
    if (last_seq_ == acked_) first_unacked_ = now;
    last_seq_ = *seq;
    unacked_bytes_ += text.size();
    if (last_seq_ - acked_ >= ack_after_messages || unacked_bytes_ * 4 >= max_unacked_)
        return ack();
    return {};
}

std::string acker::due(clock::time_point now) {
    if (max_unacked_ == 0 || last_seq_ == acked_ || now - first_unacked_ < ack_after) return {};
    return ack();
}

std::string acker::ack() {
    acked_ = last_seq_;
    unacked_bytes_ = 0;
    return R"({"type":"ack","seq":)" + std::to_string(acked_) + "}";
}

}  // namespace onymous::bench
