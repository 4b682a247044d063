#include <onymous/session/credentials.hpp>

#include <onymous/text/codecs.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>
#include <stdexcept>

namespace onymous::session {

namespace {

template <std::size_t N>
std::array<unsigned char, N> random_bytes() {
    std::array<unsigned char, N> bytes{};
    // RAND_bytes only fails when the system's entropy source is broken:
    // refusing to mint predictable tokens is the only safe answer.
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw std::runtime_error("the random number generator failed");
    return bytes;
}

std::string base64(const unsigned char* data, std::size_t size) {
    std::string out(4 * ((size + 2) / 3), '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
    out.resize(static_cast<std::size_t>(written));
    return out;
}

}  // namespace

std::string new_resume_token() {
    const auto bytes = random_bytes<16>();
    return text::to_base64url(bytes);
}

protocol::ice_server mint_turn_credentials(const std::vector<std::string>& urls,
                                           std::string_view secret,
                                           std::chrono::system_clock::time_point expiry) {
    const auto nonce = random_bytes<12>();
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(expiry.time_since_epoch()).count();
    protocol::ice_server server;
    server.urls = urls;
    server.username = std::to_string(seconds) + ":" + text::to_hex(nonce);

    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_size = 0;
    HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(server.username.data()), server.username.size(),
         mac, &mac_size);
    server.credential = base64(mac, mac_size);
    return server;
}

std::vector<protocol::ice_server> ice_servers_for_connection(
    const config::ice_settings& ice, std::chrono::system_clock::time_point now) {
    std::vector<protocol::ice_server> servers;
    if (!ice.stun.empty()) servers.push_back(protocol::ice_server{ice.stun, {}, {}});
    if (!ice.turn.urls.empty() && !ice.turn.secrets.empty()) {
        // Mint with the first secret; a second one only lets coturn keep
        // accepting credentials minted before a rotation.
        servers.push_back(
            mint_turn_credentials(ice.turn.urls, ice.turn.secrets.front(), now + ice.turn.ttl));
    }
    return servers;
}

std::optional<std::chrono::system_clock::time_point> credentials_expiry(
    const std::vector<protocol::ice_server>& servers) {
    for (const protocol::ice_server& server : servers) {
        const std::string& name = server.username;
        if (name.empty()) continue;
        std::int64_t seconds = 0;
        const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), seconds);
        if (ec != std::errc() || end == name.data() + name.size() || *end != ':') continue;
        return std::chrono::system_clock::time_point(std::chrono::seconds(seconds));
    }
    return std::nullopt;
}

bool credentials_due(const config::ice_settings& ice,
                     std::optional<std::chrono::system_clock::time_point> expiry,
                     std::chrono::system_clock::time_point now) {
    if (ice.turn.urls.empty() || ice.turn.secrets.empty()) return false;
    return !expiry || *expiry - now <= ice.turn.ttl / 2;
}

}  // namespace onymous::session
