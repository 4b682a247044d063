#include <onymous/protocol/waiting_text.hpp>

#include <onymous/protocol/relay_text.hpp>

namespace onymous::protocol {

std::string waiting_text(const std::optional<abuse::challenge>& challenge) {
    // The keys, quotes and braces, and three numbers of up to 20 digits.
    constexpr std::size_t fixed = 80 + 3 * 20;
    std::string out;
    if (!challenge) {
        out.reserve(20 + seq_room);
        out += R"({"type":"waiting"})";
        return out;
    }
    out.reserve(fixed + challenge->prefix.size() + seq_room);
    out += R"({"type":"waiting","challenge":{"prefix":)";
    append_json_string(out, challenge->prefix);
    out += R"(,"bits":)";
    append_number(out, challenge->bits);
    out += R"(,"count":)";
    append_number(out, challenge->count);
    out += R"(,"expiresMs":)";
    append_number(out, challenge->expires_ms);
    out += "}}";
    return out;
}

}  // namespace onymous::protocol
