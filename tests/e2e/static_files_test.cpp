// Static files (web.root) served by the real daemon on its TLS and plain
// listeners, read with a raw HTTP client that sees every byte: content
// types, traversal attempts (raw, encoded, double-encoded, symbolic links
// out of the root), the security headers on every response, ETag and
// Last-Modified with 304, HEAD, 405, /ws still upgrading, and web.root unset
// answering 404 as before.

#include "helpers.hpp"

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>

using namespace onymous::test;
namespace fs = std::filesystem;

namespace {

/// A response as it came off the wire.
struct raw_response {
    int status = 0;
    std::multimap<std::string, std::string> headers;  ///< names lower-cased
    std::string body;                                 ///< every byte after the header
    bool closed_cleanly = false;  ///< EOF (plain) or close_notify (TLS) after the response

    std::size_t count(const std::string& name) const { return headers.count(name); }
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
};

raw_response parse(const std::string& bytes) {
    raw_response out;
    const auto end = bytes.find("\r\n\r\n");
    if (end == std::string::npos) throw std::runtime_error("no complete header in: " + bytes);
    const auto status_end = bytes.find("\r\n");
    const auto status_line = bytes.substr(0, status_end);
    if (status_line.rfind("HTTP/1.1 ", 0) != 0) throw std::runtime_error(status_line);
    out.status = std::stoi(status_line.substr(9, 3));
    std::size_t pos = status_end + 2;
    while (pos < end) {
        const auto line_end = bytes.find("\r\n", pos);
        const auto line = bytes.substr(pos, line_end - pos);
        const auto colon = line.find(':');
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        out.headers.emplace(std::move(name), std::move(value));
        pos = line_end + 2;
    }
    out.body = bytes.substr(end + 4);
    return out;
}

struct fd_closer {
    void operator()(const int* fd) const {
        ::close(*fd);
        delete fd;
    }
};

/// Sends `request` to 127.0.0.1:port and reads until the server closes.
raw_response exchange(std::uint16_t port, bool tls, const std::string& request) {
    const int raw_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (raw_fd < 0) throw std::runtime_error("socket");
    std::unique_ptr<int, fd_closer> fd(new int(raw_fd));
    const timeval timeout{10, 0};
    ::setsockopt(raw_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(raw_fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (::connect(raw_fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
        throw std::runtime_error("connect");

    std::string bytes;
    char buffer[16384];
    bool clean = false;
    if (!tls) {
        if (::send(raw_fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size()))
            throw std::runtime_error("send");
        while (true) {
            const auto n = ::recv(raw_fd, buffer, sizeof buffer, 0);
            if (n < 0) throw std::runtime_error("recv: timeout or error");
            if (n == 0) break;
            bytes.append(buffer, static_cast<std::size_t>(n));
        }
        clean = true;
    } else {
        // The certificate is the test's own; what is checked here is HTTP.
        std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                              &SSL_CTX_free);
        std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), &SSL_free);
        SSL_set_fd(ssl.get(), raw_fd);
        SSL_set_tlsext_host_name(ssl.get(), "localhost");
        if (SSL_connect(ssl.get()) != 1) throw std::runtime_error("TLS handshake");
        if (SSL_write(ssl.get(), request.data(), static_cast<int>(request.size())) !=
            static_cast<int>(request.size()))
            throw std::runtime_error("SSL_write");
        while (true) {
            const int n = SSL_read(ssl.get(), buffer, sizeof buffer);
            if (n > 0) {
                bytes.append(buffer, static_cast<std::size_t>(n));
                continue;
            }
            clean = SSL_get_error(ssl.get(), n) == SSL_ERROR_ZERO_RETURN;
            break;
        }
    }
    auto response = parse(bytes);
    response.closed_cleanly = clean;
    return response;
}

std::string request(std::string_view method, std::string_view target,
                    const std::vector<std::string>& extra = {}) {
    std::string out = std::string(method) + " " + std::string(target) +
                      " HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n";
    for (const auto& line : extra) out += line + "\r\n";
    return out + "\r\n";
}

void require_security_headers(const raw_response& response) {
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"content-security-policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "font-src 'self'; manifest-src 'self'; media-src 'self' blob: mediastream:; "
         "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
        {"x-content-type-options", "nosniff"},
        {"referrer-policy", "no-referrer"},
        {"permissions-policy", "camera=(self), microphone=(self), geolocation=()"},
        {"x-frame-options", "DENY"},
    };
    for (const auto& [name, value] : expected) {
        INFO(name);
        REQUIRE(response.count(name) == 1);
        REQUIRE(response.header(name) == value);
    }
    REQUIRE(response.header("connection") == "close");
}

/// A web root next to a directory it must not reach, with links out of it.
struct web_site {
    temp_dir dir;
    fs::path root = dir.path() / "root";
    std::string big_script;

    web_site() {
        fs::create_directories(root / "css");
        fs::create_directories(root / "sub");
        fs::create_directories(root / "%2e%2e");
        fs::create_directories(dir.path() / "outside");
        write_file(root / "index.html", "<!doctype html><title>onymous</title>\n");
        write_file(root / "css/site.css", "body{margin:0}\n");
        write_file(root / "sub/nested.txt", "nested\n");
        write_file(root / "app.mjs", "export {};\n");
        write_file(root / "logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>\n");
        write_file(root / "icon.png", std::string("\x89PNG\r\n\x1a\n", 8));
        write_file(root / "favicon.ico", std::string("\0\0\1\0", 4));
        write_file(root / "data.json", "{}\n");
        write_file(root / "app.webmanifest", "{\"name\":\"onymous\"}\n");
        write_file(root / "robots.txt", "User-agent: *\n");
        write_file(root / "font.woff2", "wOF2");
        write_file(root / "blob.bin", "bytes");
        write_file(root / ".env", "SECRET=1\n");
        write_file(root / "%2e%2e/inside.txt", "a literal %2e%2e directory\n");
        write_file(dir.path() / "outside/secret.txt", "outside secret\n");
        // Several file-body buffers' worth, patterned so that any lost,
        // repeated or reordered chunk shows.
        for (int i = 0; big_script.size() < (3u << 20) + 17; ++i)
            big_script += "// line " + std::to_string(i) + "\n";
        write_file(root / "app.js", big_script);
        fs::create_symlink("../outside/secret.txt", root / "escape.txt");
        fs::create_directory_symlink("../outside", root / "escape_dir");
        fs::create_symlink((dir.path() / "outside/secret.txt").string(), root / "absolute.txt");
        fs::create_symlink("index.html", root / "alias.html");
        // One byte over the 16 MiB cap, sparse.
        write_file(root / "huge.bin", "");
        fs::resize_file(root / "huge.bin", (16u << 20) + 1);
    }
};

/// The sample `name{status="404"}` of /metrics.
std::uint64_t metric_404(const daemon_process& daemon) {
    const auto metrics = http_exchange(daemon.admin_port(), false, get_request("/metrics"));
    const std::string name = "onymous_http_refusals_total{status=\"404\"} ";
    const auto at = metrics.body.find(name);
    REQUIRE(at != std::string::npos);
    return std::stoull(metrics.body.substr(at + name.size()));
}

}  // namespace

TEST_CASE("static files: pages and assets with their content types on both listeners",
          "[static_files_test][e2e]") {
    web_site site;
    daemon_process daemon({{"web.root", site.root.string()}});
    struct row {
        std::string target;
        std::string type;
        std::string cache;
        std::string body;
    };
    const std::vector<row> rows = {
        {"/", "text/html; charset=utf-8", "no-cache", read_file(site.root / "index.html")},
        {"/index.html?utm=x", "text/html; charset=utf-8", "no-cache",
         read_file(site.root / "index.html")},
        {"/app.js", "text/javascript; charset=utf-8", "max-age=300", site.big_script},
        {"/app.mjs", "text/javascript; charset=utf-8", "max-age=300", "export {};\n"},
        {"/css/site.css", "text/css; charset=utf-8", "max-age=300", "body{margin:0}\n"},
        {"/logo.svg", "image/svg+xml", "max-age=300", read_file(site.root / "logo.svg")},
        {"/icon.png", "image/png", "max-age=300", std::string("\x89PNG\r\n\x1a\n", 8)},
        {"/favicon.ico", "image/x-icon", "max-age=300", std::string("\0\0\1\0", 4)},
        {"/data.json", "application/json", "max-age=300", "{}\n"},
        {"/app.webmanifest", "application/manifest+json", "max-age=300",
         "{\"name\":\"onymous\"}\n"},
        {"/robots.txt", "text/plain; charset=utf-8", "max-age=300", "User-agent: *\n"},
        {"/font.woff2", "font/woff2", "max-age=300", "wOF2"},
        {"/blob.bin", "application/octet-stream", "max-age=300", "bytes"},
        {"/%252e%252e/inside.txt", "text/plain; charset=utf-8", "max-age=300",
         "a literal %2e%2e directory\n"},
    };
    for (const bool tls : {true, false}) {
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        for (const auto& [target, type, cache, body] : rows) {
            INFO((tls ? "TLS " : "plain ") << target);
            const auto response = exchange(port, tls, request("GET", target));
            REQUIRE(response.status == 200);
            REQUIRE(response.header("content-type") == type);
            REQUIRE(response.header("content-length") == std::to_string(body.size()));
            REQUIRE(response.body.size() == body.size());
            REQUIRE(response.body == body);
            REQUIRE(response.header("cache-control") == cache);
            REQUIRE(response.header("etag").size() == 26);
            REQUIRE(response.header("last-modified").size() == 29);
            REQUIRE(response.header("server") == "onymousd");
            REQUIRE(response.closed_cleanly);
            require_security_headers(response);
        }
    }
    finish(daemon);
}

TEST_CASE("static files: traversal attempts and hidden files get exact 400 or 404",
          "[static_files_test][e2e]") {
    web_site site;
    daemon_process daemon({{"web.root", site.root.string()}});
    const auto before = metric_404(daemon);
    struct row {
        std::string target;
        int status;
    };
    const std::vector<row> rows = {
        {"/..", 400},
        {"/../outside/secret.txt", 400},
        {"/css/../../outside/secret.txt", 400},
        {"/./index.html", 400},
        {"/%2e%2e/outside/secret.txt", 400},
        {"/%2E%2e/", 400},
        {"/%2e%2E/outside/secret.txt", 400},
        {"/.%2e/outside/secret.txt", 400},
        {"/%2e%2e%2foutside%2fsecret.txt", 400},
        {"/..%2foutside%2fsecret.txt", 400},
        {"/css%2fsite.css", 400},
        {"/..%5coutside%5csecret.txt", 400},
        {"/css%5Csite.css", 400},
        {"/..\\..\\outside\\secret.txt", 400},
        {"/css\\site.css", 400},
        {"/index.html%00", 400},
        {"/index.html%00.png", 400},
        {"/%c0%ae%c0%ae/outside/secret.txt", 400},
        {"/%c0%af", 400},
        {"/%", 400},
        {"/%2", 400},
        {"/%zz", 400},
        {"/a%0d%0aSet-Cookie:%20x", 400},
        {"http://localhost/index.html", 400},
        // Double-encoded: decoded once, a literal "%2e%2e" name; none here.
        {"/%252e%252e/outside/secret.txt", 404},
        {"/%252e%252e%252foutside%252fsecret.txt", 404},
        // Symbolic links out of the root, relative and absolute, and one inside
        // it (every link below the root is refused).
        {"/escape.txt", 404},
        {"/escape_dir/secret.txt", 404},
        {"/absolute.txt", 404},
        {"/alias.html", 404},
        // Hidden files, directories without their slash or without an index,
        // empty segments, files over the cap, missing files.
        {"/.env", 404},
        {"/%2eenv", 404},
        {"/css", 404},
        {"/sub/", 404},
        {"/sub", 404},
        {"//outside/secret.txt", 404},
        {"/huge.bin", 404},
        {"/missing.html", 404},
        {"/ws/", 404},
    };
    std::uint64_t not_found = 0;
    for (const bool tls : {true, false}) {
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        for (const auto& [target, status] : rows) {
            INFO((tls ? "TLS " : "plain ") << target);
            const auto response = exchange(port, tls, request("GET", target));
            REQUIRE(response.status == status);
            REQUIRE(response.body == (status == 404 ? "not found\n" : "bad request\n"));
            REQUIRE(response.header("content-type") == "text/plain; charset=utf-8");
            REQUIRE(response.header("cache-control") == "no-store");
            REQUIRE(response.count("etag") == 0);
            REQUIRE(response.body.find("secret") == std::string::npos);
            require_security_headers(response);
            not_found += status == 404 ? 1 : 0;
        }
    }
    // Static 404s count with the listener's other 404s.
    REQUIRE(metric_404(daemon) - before == not_found);
    // Nothing about the requests reaches the log (debug level in tests).
    const auto log = daemon.log();
    for (const auto* fragment : {"escape", "outside", "secret", "huge.bin", "missing.html"}) {
        INFO("log: " << log);
        REQUIRE(log.find(fragment) == std::string::npos);
    }
    finish(daemon);
}

TEST_CASE("static files: If-None-Match and If-Modified-Since give 304",
          "[static_files_test][e2e]") {
    web_site site;
    daemon_process daemon({{"web.root", site.root.string()}});
    for (const bool tls : {true, false}) {
        INFO((tls ? "TLS" : "plain") << " listener");
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        const auto first = exchange(port, tls, request("GET", "/css/site.css"));
        REQUIRE(first.status == 200);
        const auto etag = first.header("etag");
        const auto last_modified = first.header("last-modified");
        REQUIRE(etag.front() == '"');

        for (const auto& condition :
             {"If-None-Match: " + etag, "If-None-Match: W/" + etag,
              "If-None-Match: \"other\", " + etag, std::string("If-None-Match: *"),
              "If-Modified-Since: " + last_modified}) {
            INFO(condition);
            for (const auto* method : {"GET", "HEAD"}) {
                INFO(method);
                const auto response =
                    exchange(port, tls, request(method, "/css/site.css", {condition}));
                REQUIRE(response.status == 304);
                REQUIRE(response.body.empty());
                REQUIRE(response.header("etag") == etag);
                REQUIRE(response.header("last-modified") == last_modified);
                REQUIRE(response.header("cache-control") == "max-age=300");
                REQUIRE(response.count("content-length") == 0);
                require_security_headers(response);
            }
        }
        // Two If-None-Match lines are one list.
        REQUIRE(exchange(port, tls,
                         request("GET", "/css/site.css",
                                 {"If-None-Match: \"other\"", "If-None-Match: " + etag}))
                    .status == 304);
        // Not matching: the file again.
        const auto other =
            exchange(port, tls, request("GET", "/css/site.css", {"If-None-Match: \"other\""}));
        REQUIRE(other.status == 200);
        REQUIRE(other.body == "body{margin:0}\n");
        REQUIRE(exchange(port, tls,
                         request("GET", "/css/site.css",
                                 {"If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT"}))
                    .status == 200);
        // If-None-Match decides when present, even against If-Modified-Since.
        REQUIRE(
            exchange(port, tls,
                     request("GET", "/css/site.css",
                             {"If-None-Match: \"other\"", "If-Modified-Since: " + last_modified}))
                .status == 200);
        // The tag of one file does not validate another.
        REQUIRE(
            exchange(port, tls, request("GET", "/robots.txt", {"If-None-Match: " + etag})).status ==
            200);
    }
    // A changed file has a new tag, so the old one gets the new content.
    const auto old_etag =
        exchange(daemon.plain_port(), false, request("GET", "/data.json")).header("etag");
    write_file(site.root / "data.json", "{\"changed\":true}\n");
    const auto changed = exchange(daemon.plain_port(), false,
                                  request("GET", "/data.json", {"If-None-Match: " + old_etag}));
    REQUIRE(changed.status == 200);
    REQUIRE(changed.body == "{\"changed\":true}\n");
    REQUIRE(changed.header("etag") != old_etag);
    finish(daemon);
}

TEST_CASE("static files: HEAD has GET's headers and Content-Length, and no body",
          "[static_files_test][e2e]") {
    web_site site;
    daemon_process daemon({{"web.root", site.root.string()}});
    for (const bool tls : {true, false}) {
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        for (const std::string target : {"/", "/app.js", "/icon.png", "/missing"}) {
            INFO((tls ? "TLS " : "plain ") << target);
            const auto get = exchange(port, tls, request("GET", target));
            const auto head = exchange(port, tls, request("HEAD", target));
            REQUIRE(head.status == get.status);
            REQUIRE(head.body.empty());
            REQUIRE(head.closed_cleanly);
            REQUIRE(head.header("content-length") == std::to_string(get.body.size()));
            // The same header lines, except a Date a second later.
            auto get_headers = get.headers;
            auto head_headers = head.headers;
            get_headers.erase("date");
            head_headers.erase("date");
            REQUIRE(head_headers == get_headers);
            require_security_headers(head);
        }
    }
    finish(daemon);
}

TEST_CASE("static files: other methods get 405 with Allow", "[static_files_test][e2e]") {
    web_site site;
    daemon_process daemon({{"web.root", site.root.string()}});
    for (const bool tls : {true, false}) {
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        for (const std::string method : {"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "BREW"}) {
            INFO((tls ? "TLS " : "plain ") << method);
            const auto response =
                exchange(port, tls, request(method, "/index.html", {"Content-Length: 0"}));
            REQUIRE(response.status == 405);
            REQUIRE(response.header("allow") == "GET, HEAD");
            REQUIRE(response.body == "method not allowed\n");
            require_security_headers(response);
        }
        const auto star = exchange(port, tls, request("OPTIONS", "*"));
        REQUIRE(star.status == 405);
        require_security_headers(star);
    }
    finish(daemon);
}

TEST_CASE("static files: /ws still upgrades, and 426 without Upgrade", "[static_files_test][e2e]") {
    web_site site;
    daemon_process daemon({{"web.root", site.root.string()}});
    for (const bool tls : {true, false}) {
        INFO((tls ? "TLS" : "plain") << " listener");
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        connect_options options;
        options.tls = tls;
        auto client = open_client(daemon, options);
        REQUIRE(client.upgrade_response().header("sec-websocket-protocol") == "onymous.v1");
        ping_pong(client);
        const auto no_upgrade = exchange(port, tls, request("GET", "/ws"));
        REQUIRE(no_upgrade.status == 426);
        REQUIRE(no_upgrade.header("upgrade") == "websocket");
        REQUIRE(exchange(port, tls, request("GET", "/ws?x=1")).status == 426);
    }
    finish(daemon);
}

TEST_CASE("static files: without web.root every other path is a 404 as before",
          "[static_files_test][e2e]") {
    web_site site;  // exists, but is not configured
    daemon_process daemon;
    for (const bool tls : {true, false}) {
        const auto port = tls ? daemon.tls_port() : daemon.plain_port();
        for (const std::string target : {"/", "/index.html", "/app.js", "/../outside/secret.txt"}) {
            INFO((tls ? "TLS " : "plain ") << target);
            const auto response = exchange(port, tls, request("GET", target));
            REQUIRE(response.status == 404);
            REQUIRE(response.body == "not found\n");
            REQUIRE(response.count("content-security-policy") == 0);
            REQUIRE(response.count("etag") == 0);
        }
        REQUIRE(exchange(port, tls, request("HEAD", "/")).status == 404);
        REQUIRE(exchange(port, tls, request("POST", "/", {"Content-Length: 0"})).status == 404);
    }
    auto client = open_client(daemon);
    ping_pong(client);
    finish(daemon);
}
