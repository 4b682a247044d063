// Per-connection secrets: resume tokens and TURN REST credentials as
// coturn's use-auth-secret checks them.

#include <onymous/session/credentials.hpp>

#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <regex>
#include <set>

using namespace onymous;

namespace {

/// base64(HMAC-SHA1(secret, text)), computed here independently.
std::string expected_credential(const std::string& secret, const std::string& text) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac, &size);
    unsigned char out[64] = {};
    const int written = EVP_EncodeBlock(out, mac, static_cast<int>(size));
    return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(written));
}

}  // namespace

TEST_CASE("resume tokens are 128 random bits in base64url", "[credentials]") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        const auto token = session::new_resume_token();
        REQUIRE(std::regex_match(token, std::regex("[A-Za-z0-9_-]{22}")));
        seen.insert(token);
    }
    CHECK(seen.size() == 1000);
}

TEST_CASE("TURN credentials follow the REST scheme coturn checks", "[credentials]") {
    const std::vector<std::string> urls{"turn:127.0.0.1:3478?transport=udp"};
    const auto expiry = std::chrono::system_clock::time_point(std::chrono::seconds(1900000000));
    const auto a = session::mint_turn_credentials(urls, "s3cret", expiry);
    const auto b = session::mint_turn_credentials(urls, "s3cret", expiry);

    CHECK(a.urls == urls);
    REQUIRE(std::regex_match(a.username, std::regex("1900000000:[0-9a-f]{24}")));
    CHECK(a.username != b.username);  // the random part is fresh per connection
    CHECK(a.credential == expected_credential("s3cret", a.username));
    CHECK(a.credential.size() == 28);  // 20 bytes of SHA-1 in base64
}

TEST_CASE("hello's iceServers: STUN as configured, TURN only with a secret", "[credentials]") {
    config::ice_settings ice;
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1000));
    CHECK(session::ice_servers_for_connection(ice, now).empty());

    ice.stun = {"stun:127.0.0.1:3478"};
    ice.turn.urls = {"turn:127.0.0.1:3478"};
    auto servers = session::ice_servers_for_connection(ice, now);
    REQUIRE(servers.size() == 1);
    CHECK(servers[0].urls == ice.stun);
    CHECK(servers[0].username.empty());

    ice.turn.secrets = {"first", "second"};
    ice.turn.ttl = std::chrono::minutes(10);
    servers = session::ice_servers_for_connection(ice, now);
    REQUIRE(servers.size() == 2);
    CHECK(servers[1].urls == ice.turn.urls);
    CHECK(servers[1].username.rfind("1600:", 0) == 0);  // now + 600 s
    CHECK(servers[1].credential == expected_credential("first", servers[1].username));
}

TEST_CASE("TURN credentials expire after the configured ttl, minted under the first secret",
          "[credentials]") {
    config::ice_settings ice;
    ice.turn.urls = {"turn:127.0.0.1:3478"};
    ice.turn.secrets = {"current", "previous"};
    const auto now = std::chrono::system_clock::time_point(std::chrono::milliseconds(1000999));
    for (const auto ttl : {std::chrono::milliseconds(1000), std::chrono::milliseconds(90000),
                           std::chrono::milliseconds(604800000)}) {
        ice.turn.ttl = ttl;
        const auto servers = session::ice_servers_for_connection(ice, now);
        REQUIRE(servers.size() == 1);
        const auto& turn = servers[0];
        // Whole seconds, rounded down: what coturn compares with its clock.
        const auto expiry = std::to_string((1000999 + ttl.count()) / 1000);
        INFO("ttl " << ttl.count() << " ms, username " << turn.username);
        CHECK(turn.username.rfind(expiry + ":", 0) == 0);
        CHECK(turn.credential == expected_credential("current", turn.username));
        CHECK(turn.credential != expected_credential("previous", turn.username));
        CHECK(session::credentials_expiry(servers) ==
              std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(expiry))));
    }
}

TEST_CASE("the expiry of credentials is read back from their username", "[credentials]") {
    using std::chrono::seconds;
    using time_point = std::chrono::system_clock::time_point;
    const protocol::ice_server stun{{"stun:127.0.0.1:3478"}, {}, {}};
    CHECK_FALSE(session::credentials_expiry({}));
    CHECK_FALSE(session::credentials_expiry({stun}));
    CHECK(session::credentials_expiry({stun, {{"turn:x"}, "1700000600:ab12", "c"}}) ==
          time_point(seconds(1700000600)));
    CHECK_FALSE(session::credentials_expiry({{{"turn:x"}, "1700000600", "c"}}));
    CHECK_FALSE(session::credentials_expiry({{{"turn:x"}, "soon:ab12", "c"}}));
}

TEST_CASE("credentials are due for a refresh within the last ttl/2", "[credentials]") {
    using std::chrono::seconds;
    using time_point = std::chrono::system_clock::time_point;
    config::ice_settings ice;
    ice.turn.ttl = std::chrono::minutes(10);
    const time_point expiry(seconds(10000));
    // Without TURN nothing is ever due.
    CHECK_FALSE(session::credentials_due(ice, expiry, expiry));
    CHECK_FALSE(session::credentials_due(ice, std::nullopt, expiry));
    ice.turn.urls = {"turn:127.0.0.1:3478"};
    ice.turn.secrets = {"s"};
    CHECK_FALSE(session::credentials_due(ice, expiry, expiry - seconds(301)));
    CHECK(session::credentials_due(ice, expiry, expiry - seconds(300)));
    CHECK(session::credentials_due(ice, expiry, expiry));
    CHECK(session::credentials_due(ice, expiry, expiry + seconds(3600)));
    // A connection that was handed none gets some.
    CHECK(session::credentials_due(ice, std::nullopt, expiry));
}
