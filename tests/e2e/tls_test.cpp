// TLS policy of the listeners (issue 2, Server): TLS 1.2 minimum by default,
// 1.3 preferred, AEAD ciphers only, ECDHE only; `tls.min_version: "1.3"`
// refuses TLS 1.2. The test certificate is ECDSA P-256, so every TLS 1.2
// suite it can use is ECDHE-ECDSA; the checks are about versions and AEAD.

#include "helpers.hpp"

using namespace onymous::test;

namespace {

bool is_aead(const std::string& cipher) {
    return cipher.find("GCM") != std::string::npos ||
           cipher.find("CHACHA20") != std::string::npos || cipher.find("CCM") != std::string::npos;
}

}  // namespace

TEST_CASE("TLS 1.3 is preferred, TLS 1.2 is accepted with AEAD ciphers only", "[tls_test][e2e]") {
    daemon_process daemon;
    const auto port = daemon.tls_port();

    const auto preferred = tls_probe(port, {});
    INFO("default client: " << preferred.version << " " << preferred.cipher << " "
                            << preferred.error);
    REQUIRE(preferred.ok);
    REQUIRE(preferred.version == "TLSv1.3");

    const auto legacy = tls_probe(port, {"1.2", ""});
    INFO("TLS 1.2 client: " << legacy.version << " " << legacy.cipher << " " << legacy.error);
    REQUIRE(legacy.ok);
    REQUIRE(legacy.version == "TLSv1.2");
    REQUIRE(is_aead(legacy.cipher));
    REQUIRE(legacy.cipher.rfind("ECDHE-", 0) == 0);

    // A TLS 1.2 client that offers only CBC suites finds nothing acceptable.
    for (const std::string cbc :
         {"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256"}) {
        const auto refused = tls_probe(port, {"1.2", cbc});
        INFO("offering " << cbc << ": " << refused.version << " " << refused.cipher);
        REQUIRE_FALSE(refused.ok);
    }
    // Each AEAD suite on its own is accepted.
    for (const std::string aead : {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
                                   "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
        const auto accepted = tls_probe(port, {"1.2", aead});
        INFO("offering " << aead << ": " << accepted.error);
        REQUIRE(accepted.ok);
        REQUIRE(accepted.cipher == aead);
    }
    finish(daemon);
}

TEST_CASE("tls.min_version 1.3 refuses TLS 1.2 clients", "[tls_test][e2e]") {
    daemon_process daemon({{"tls.min_version", "1.3"}});
    const auto port = daemon.tls_port();
    const auto legacy = tls_probe(port, {"1.2", ""});
    INFO("TLS 1.2 client: " << legacy.version << " " << legacy.cipher);
    REQUIRE_FALSE(legacy.ok);
    const auto modern = tls_probe(port, {"1.3", ""});
    INFO("TLS 1.3 client: " << modern.error);
    REQUIRE(modern.ok);
    REQUIRE(modern.version == "TLSv1.3");
    // The WebSocket works over it as usual.
    auto client = open_client(daemon);
    ping_pong(client);
    finish(daemon);
}
