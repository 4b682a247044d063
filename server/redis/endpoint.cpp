#include "redis/endpoint.hpp"

#include <arpa/inet.h>
#include <sys/un.h>

#include <charconv>

namespace onymous::redis {

namespace {

constexpr std::string_view tcp_prefix = "redis://";
constexpr std::string_view unix_prefix = "unix:";

bool has_control_or_space(std::string_view text) {
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte <= 0x20 || byte == 0x7F) return true;
    }
    return false;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// %XX decoding; nullopt on a '%' without two hex digits.
std::optional<std::string> percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        const int high = hex_value(text[i + 1]);
        const int low = hex_value(text[i + 2]);
        if (high < 0 || low < 0) return std::nullopt;
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

/// A DNS name or an IPv4 literal: letters, digits, '-', '.', '_'.
bool is_plain_host(std::string_view host) {
    if (host.empty() || host.size() > 253) return false;
    for (const char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
        if (!ok) return false;
    }
    return true;
}

bool is_ipv6_literal(std::string_view text) {
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
    const std::string copy(text);
    in6_addr address{};
    return ::inet_pton(AF_INET6, copy.c_str(), &address) == 1;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty() || text[0] == '+')
        return std::nullopt;
    if (value == 0 || value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

std::optional<endpoint> parse_unix(std::string_view path) {
    if (path.empty() || path[0] != '/') return std::nullopt;
    // sun_path holds the terminating NUL too.
    if (path.size() >= sizeof(sockaddr_un{}.sun_path)) return std::nullopt;
    endpoint where;
    where.unix_path = std::string(path);
    return where;
}

std::optional<endpoint> parse_tcp(std::string_view rest) {
    endpoint where;
    // User information ends at the last '@': a host never contains one.
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = rest.substr(0, at);
        rest.remove_prefix(at + 1);
        std::string_view user;
        std::string_view password = userinfo;
        if (const auto colon = userinfo.find(':'); colon != std::string_view::npos) {
            user = userinfo.substr(0, colon);
            password = userinfo.substr(colon + 1);
        }
        auto decoded_user = percent_decode(user);
        auto decoded_password = percent_decode(password);
        if (!decoded_user || !decoded_password) return std::nullopt;
        where.username = std::move(*decoded_user);
        where.password = std::move(*decoded_password);
    }
    // Database 0 is the only one the client uses: "/" and "/0" are allowed, others are not.
    if (const auto slash = rest.find('/'); slash != std::string_view::npos) {
        const std::string_view path = rest.substr(slash);
        if (path != "/" && path != "/0") return std::nullopt;
        rest = rest.substr(0, slash);
    }
    std::string_view port;
    if (rest.starts_with('[')) {
        const auto close = rest.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        const std::string_view literal = rest.substr(1, close - 1);
        if (!is_ipv6_literal(literal)) return std::nullopt;
        where.host = std::string(literal);
        rest.remove_prefix(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') return std::nullopt;
            port = rest.substr(1);
            if (port.empty()) return std::nullopt;
        }
    } else {
        const auto colon = rest.find(':');
        const std::string_view host = rest.substr(0, colon);
        if (!is_plain_host(host)) return std::nullopt;
        where.host = std::string(host);
        if (colon != std::string_view::npos) {
            port = rest.substr(colon + 1);
            if (port.empty()) return std::nullopt;
        }
    }
    if (!port.empty()) {
        const auto number = parse_port(port);
        if (!number) return std::nullopt;
        where.port = *number;
    }
    return where;
}

}  // namespace

std::optional<endpoint> parse_url(std::string_view url) {
    if (has_control_or_space(url)) return std::nullopt;
    if (url.starts_with(tcp_prefix)) return parse_tcp(url.substr(tcp_prefix.size()));
    if (url.starts_with(unix_prefix)) return parse_unix(url.substr(unix_prefix.size()));
    return std::nullopt;
}

std::string describe(const endpoint& where) {
    if (!where.unix_path.empty()) return "unix:" + where.unix_path;
    const bool v6 = where.host.find(':') != std::string::npos;
    std::string text = v6 ? "[" + where.host + "]" : where.host;
    return text + ":" + std::to_string(where.port);
}

}  // namespace onymous::redis
