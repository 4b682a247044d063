#pragma once
// The server's TLS context: TLS 1.2 minimum by default (1.3 preferred),
// ECDHE key exchange and AEAD ciphers only, no session tickets.

#include <onymous/config/config.hpp>

#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <memory>

namespace onymous::tls {

/// Loads the certificate chain and key and checks that they match.
/// Throws std::runtime_error with a message naming the file on failure.
std::unique_ptr<boost::asio::ssl::context> make_server_context(const config::tls_settings& tls);

/// The notAfter of the context's certificate, in Unix seconds (0 if none).
std::int64_t certificate_not_after(boost::asio::ssl::context& context);

}  // namespace onymous::tls
