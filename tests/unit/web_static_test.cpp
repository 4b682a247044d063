// Static files (server/web/): the request target's rules (traversal in every
// spelling, bad escapes, hidden files), content types, cache validators and
// the 304 decision, and the whole answer on a temporary web root with
// symbolic links out of it, a FIFO and an oversized file. No sockets.

#include <onymous/web/document_root.hpp>
#include <onymous/web/static_reply.hpp>
#include <onymous/web/target.hpp>
#include <onymous/web/validators.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace onymous;
namespace fs = std::filesystem;

namespace {

/// "a/b" for the resolved segments, "400" or "404" for a refusal; a
/// directory index is marked with a trailing " (index)".
std::string resolved(std::string_view target) {
    const auto result = web::resolve_target(target);
    if (const auto* refusal = std::get_if<web::target_refusal>(&result))
        return *refusal == web::target_refusal::bad_request ? "400" : "404";
    const auto& ok = std::get<web::resolved_target>(result);
    std::string out;
    for (const auto& segment : ok.segments) {
        if (!out.empty()) out += '/';
        out += segment;
    }
    if (ok.directory_index) out += " (index)";
    return out;
}

/// A scratch directory removed with its contents.
class scratch {
public:
    scratch() {
        std::string pattern = (fs::temp_directory_path() / "web_static_test.XXXXXX").string();
        if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~scratch() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;

    const fs::path& path() const { return path_; }
    fs::path write(const std::string& name, const std::string& content) const {
        const auto file = path_ / name;
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary) << content;
        return file;
    }

private:
    fs::path path_;
};

const std::string* header(const web::static_reply& reply, std::string_view name) {
    for (const auto& line : reply.headers)
        if (line.name == name) return &line.value;
    return nullptr;
}

std::size_t header_count(const web::static_reply& reply, std::string_view name) {
    std::size_t n = 0;
    for (const auto& line : reply.headers) n += line.name == name ? 1 : 0;
    return n;
}

void require_security_headers(const web::static_reply& reply) {
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"Content-Security-Policy",
         "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "font-src 'self'; manifest-src 'self'; media-src 'self' blob: mediastream:; "
         "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"Permissions-Policy", "camera=(self), microphone=(self), geolocation=()"},
        {"X-Frame-Options", "DENY"},
    };
    for (const auto& [name, value] : expected) {
        INFO(name);
        REQUIRE(header_count(reply, name) == 1);
        REQUIRE(*header(reply, name) == value);
    }
}

/// A web root with a page, assets, hidden files, links in and out, a FIFO
/// and a file one byte over the cap, next to a directory it must not reach.
struct web_tree {
    scratch base;
    std::string root = (base.path() / "root").string();

    web_tree() {
        base.write("root/index.html", "<!doctype html><title>x</title>\n");
        base.write("root/app.js", "export const x = 1;\n");
        base.write("root/css/site.css", "body{}\n");
        base.write("root/css/index.html", "css index\n");
        base.write("root/sub/nested.txt", "nested\n");
        base.write("root/.hidden", "hidden\n");
        base.write("root/.git/config", "[core]\n");
        base.write("root/%2e%2e/secret", "literal percent directory\n");
        base.write("outside/secret.txt", "secret\n");
        fs::create_directory_symlink("../outside", base.path() / "root/escape_dir");
        fs::create_symlink("../outside/secret.txt", base.path() / "root/escape.txt");
        fs::create_symlink("/etc/passwd", base.path() / "root/passwd");
        fs::create_symlink("app.js", base.path() / "root/alias.js");
        fs::create_directory_symlink("css", base.path() / "root/style");
        if (::mkfifo((base.path() / "root/fifo").c_str(), 0600) != 0)
            throw std::runtime_error("mkfifo failed");
        // Sparse: one byte over the cap without writing 16 MiB.
        const auto big = base.write("root/big.bin", "");
        fs::resize_file(big, web::max_file_bytes + 1);
        const auto limit = base.write("root/limit.bin", "");
        fs::resize_file(limit, web::max_file_bytes);
    }

    web::static_reply get(std::string_view target, web::method verb = web::method::get,
                          std::optional<std::string> if_none_match = {},
                          std::optional<std::string> if_modified_since = {}) const {
        web::static_request request;
        request.verb = verb;
        request.target = target;
        request.if_none_match = std::move(if_none_match);
        request.if_modified_since = std::move(if_modified_since);
        return web::answer(request, root, 784111777);
    }
};

}  // namespace

TEST_CASE("web: targets that name files", "[web_static]") {
    REQUIRE(resolved("/") == "index.html (index)");
    REQUIRE(resolved("/index.html") == "index.html");
    REQUIRE(resolved("/app.js?v=1&x=/../..") == "app.js");
    REQUIRE(resolved("/?x") == "index.html (index)");
    REQUIRE(resolved("/css/") == "css/index.html (index)");
    REQUIRE(resolved("/css/site.css") == "css/site.css");
    REQUIRE(resolved("/css") == "css");  // a directory: 404 at the open
    REQUIRE(resolved("/a%20b.txt") == "a b.txt");
    REQUIRE(resolved("/%E2%82%AC.txt") == "\xE2\x82\xAC.txt");
    REQUIRE(resolved("/a..b") == "a..b");
    REQUIRE(resolved("/a.") == "a.");
    // Decoded once: a double-encoded dot is a literal "%2e" name.
    REQUIRE(resolved("/%252e%252e/secret") == "%2e%2e/secret");
    REQUIRE(resolved("/%252f") == "%2f");
}

TEST_CASE("web: traversal in every spelling is refused", "[web_static]") {
    struct row {
        std::string_view target;
        std::string_view expected;
    };
    using namespace std::string_view_literals;
    const std::vector<row> rows = {
        // Dot-segments, raw and encoded, any case, anywhere: 400.
        {"/..", "400"},
        {"/.", "400"},
        {"/../etc/passwd", "400"},
        {"/a/../../etc/passwd", "400"},
        {"/./index.html", "400"},
        {"/css/..", "400"},
        {"/%2e%2e/etc/passwd", "400"},
        {"/%2E%2e/", "400"},
        {"/%2e%2E/%2e%2e/etc/passwd", "400"},
        {"/.%2e/etc/passwd", "400"},
        {"/%2e./etc/passwd", "400"},
        {"/%2e", "400"},
        {"/..?x=1", "400"},
        // Encoded separators: one segment may never name two levels.
        {"/%2f", "400"},
        {"/%2F", "400"},
        {"/..%2fetc%2fpasswd", "400"},
        {"/%2e%2e%2fetc%2fpasswd", "400"},
        {"/a%2fb", "400"},
        {"/%5c", "400"},
        {"/%5C..%5Cetc", "400"},
        {"/a%5cb", "400"},
        // Raw backslashes, NUL and other control bytes.
        {"/..\\..\\etc\\passwd", "400"},
        {"/a\\b", "400"},
        {"/a\0b"sv, "400"},
        {"/a%00", "400"},
        {"/index.html%00.txt", "400"},
        {"/a%0ab", "400"},
        {"/a%0d%0aSet-Cookie:x", "400"},
        {"/a%7f", "400"},
        {"/a%c2%85", "400"},  // NEL, a C1 control
        {"/a\tb", "400"},
        // Bad escapes.
        {"/%", "400"},
        {"/a%", "400"},
        {"/%2", "400"},
        {"/%zz", "400"},
        {"/%2g", "400"},
        {"/%g2", "400"},
        {"/%%32%65", "400"},
        // Overlong and invalid UTF-8 (an overlong '.' or '/' above all).
        {"/%c0%ae%c0%ae/etc/passwd", "400"},
        {"/%c0%af", "400"},
        {"/%e0%80%ae", "400"},
        {"/%ff", "400"},
        {"/%e2%82", "400"},
        {"/%ed%a0%80", "400"},  // a surrogate
        {"/\xc0\xae\xc0\xae/x", "400"},
        // Not origin-form, and fragments.
        {"", "400"},
        {"*", "400"},
        {"index.html", "400"},
        {"http://localhost/index.html", "400"},
        {"/index.html#top", "400"},
        // Hidden files and empty segments: 404.
        {"/.git/config", "404"},
        {"/.env", "404"},
        {"/.hidden", "404"},
        {"/css/.hidden", "404"},
        {"/%2egit/config", "404"},
        {"/.well-known/x", "404"},
        {"//etc/passwd", "404"},
        {"/a//b", "404"},
        {"/a//", "404"},
        {"/.git/", "404"},
    };
    for (const auto& [target, expected] : rows) {
        INFO("target: " << std::string(target));
        REQUIRE(resolved(target) == expected);
    }
}

TEST_CASE("web: more than max_segments levels are not looked up", "[web_static]") {
    std::string deep;
    for (std::size_t i = 0; i < web::max_segments; ++i) deep += "/d";
    REQUIRE(resolved(deep) != "404");
    REQUIRE(resolved(deep + "/d") == "404");
}

TEST_CASE("web: content types by extension", "[web_static]") {
    REQUIRE(web::content_type("index.html") == "text/html; charset=utf-8");
    REQUIRE(web::content_type("INDEX.HTML") == "text/html; charset=utf-8");
    REQUIRE(web::content_type("old.htm") == "text/html; charset=utf-8");
    REQUIRE(web::content_type("onymous.js") == "text/javascript; charset=utf-8");
    REQUIRE(web::content_type("app.mjs") == "text/javascript; charset=utf-8");
    REQUIRE(web::content_type("site.css") == "text/css; charset=utf-8");
    REQUIRE(web::content_type("robots.txt") == "text/plain; charset=utf-8");
    REQUIRE(web::content_type("logo.svg") == "image/svg+xml");
    REQUIRE(web::content_type("icon.png") == "image/png");
    REQUIRE(web::content_type("favicon.ico") == "image/x-icon");
    REQUIRE(web::content_type("data.json") == "application/json");
    REQUIRE(web::content_type("app.webmanifest") == "application/manifest+json");
    REQUIRE(web::content_type("font.woff2") == "font/woff2");
    REQUIRE(web::content_type("archive.tar.gz") == "application/octet-stream");
    REQUIRE(web::content_type("Makefile") == "application/octet-stream");
    REQUIRE(web::content_type("x.html.bak") == "application/octet-stream");
    REQUIRE(web::content_type("x.") == "application/octet-stream");
    REQUIRE(web::content_type("x.woff") == "application/octet-stream");
}

TEST_CASE("web: cache-control revalidates pages and caches assets briefly", "[web_static]") {
    REQUIRE(web::cache_control("index.html") == "no-cache");
    REQUIRE(web::cache_control("about.HTML") == "no-cache");
    REQUIRE(web::cache_control("onymous.js") == "max-age=300");
    REQUIRE(web::cache_control("site.css") == "max-age=300");
    REQUIRE(web::cache_control("favicon.ico") == "max-age=300");
}

TEST_CASE("web: entity tags are strong, quoted and change with the file", "[web_static]") {
    const auto tag = web::entity_tag(100, 1700000000, 123456789, 42);
    REQUIRE(tag == web::entity_tag(100, 1700000000, 123456789, 42));
    REQUIRE(tag.size() == 26);
    REQUIRE(tag.front() == '"');
    REQUIRE(tag.back() == '"');
    REQUIRE(tag.substr(0, 2) != "W/");
    REQUIRE(tag.substr(1, 24).find_first_not_of("0123456789abcdef") == std::string::npos);
    REQUIRE(tag != web::entity_tag(101, 1700000000, 123456789, 42));
    REQUIRE(tag != web::entity_tag(100, 1700000001, 123456789, 42));
    REQUIRE(tag != web::entity_tag(100, 1700000000, 123456790, 42));
    REQUIRE(tag != web::entity_tag(100, 1700000000, 123456789, 43));
    // The inode does not show.
    REQUIRE(tag.find("42") == std::string::npos);
}

TEST_CASE("web: HTTP dates in all three forms", "[web_static]") {
    REQUIRE(web::http_date(784111777) == "Sun, 06 Nov 1994 08:49:37 GMT");
    REQUIRE(web::http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
    REQUIRE(web::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == 784111777);
    REQUIRE(web::parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == 784111777);
    REQUIRE(web::parse_http_date("Sun Nov  6 08:49:37 1994") == 784111777);
    REQUIRE(web::parse_http_date("Thu, 01 Jan 2032 00:00:00 GMT") == 1956528000);
    REQUIRE(web::parse_http_date("Thursday, 01-Jan-32 00:00:00 GMT") == 1956528000);
    for (const char* bad :
         {"", "yesterday", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
          "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
          "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
          "Sun, 06 Nov 1994 08:49:37 GMT x", "Sun Nov 6 08:49:37 1994", "1994-11-06T08:49:37Z"}) {
        INFO("date: " << bad);
        REQUIRE_FALSE(web::parse_http_date(bad));
    }
}

TEST_CASE("web: If-None-Match uses the weak comparison", "[web_static]") {
    const std::string tag = "\"0123456789abcdef01234567\"";
    REQUIRE(web::none_match_hits(tag, tag));
    REQUIRE(web::none_match_hits("W/" + tag, tag));
    REQUIRE(web::none_match_hits("*", tag));
    REQUIRE(web::none_match_hits(" * ", tag));
    REQUIRE(web::none_match_hits("\"other\", " + tag, tag));
    REQUIRE(web::none_match_hits("\"other\",W/" + tag + " ,", tag));
    REQUIRE(web::none_match_hits(",, " + tag, tag));
    REQUIRE_FALSE(web::none_match_hits("\"other\"", tag));
    REQUIRE_FALSE(web::none_match_hits("", tag));
    REQUIRE_FALSE(web::none_match_hits("0123456789abcdef01234567", tag));  // unquoted
    REQUIRE_FALSE(web::none_match_hits(tag + ", garbage", tag));           // malformed list
    REQUIRE_FALSE(web::none_match_hits("w/" + tag, tag));                  // W/ is case-sensitive
    REQUIRE_FALSE(web::none_match_hits("\"0123456789ABCDEF01234567\"", tag));
}

TEST_CASE("web: the 304 decision", "[web_static]") {
    const std::string tag = "\"aa\"";
    const std::int64_t mtime = 784111777;
    const std::string at = "Sun, 06 Nov 1994 08:49:37 GMT";
    const std::string before = "Sun, 06 Nov 1994 08:49:36 GMT";
    const std::string after = "Mon, 07 Nov 1994 08:49:37 GMT";
    REQUIRE_FALSE(web::not_modified({}, {}, tag, mtime));
    REQUIRE(web::not_modified(tag, {}, tag, mtime));
    REQUIRE_FALSE(web::not_modified("\"bb\"", {}, tag, mtime));
    REQUIRE(web::not_modified({}, at, tag, mtime));
    REQUIRE(web::not_modified({}, after, tag, mtime));
    REQUIRE_FALSE(web::not_modified({}, before, tag, mtime));
    REQUIRE_FALSE(web::not_modified({}, std::string("not a date"), tag, mtime));
    // If-None-Match decides when present: If-Modified-Since is ignored.
    REQUIRE_FALSE(web::not_modified("\"bb\"", at, tag, mtime));
    REQUIRE(web::not_modified(tag, before, tag, mtime));
}

TEST_CASE("web: open_beneath serves regular files only, never through a link", "[web_static]") {
    web_tree tree;
    const auto opens = [&](std::vector<std::string> segments, std::uint64_t max = 1u << 30) {
        const auto result = web::open_beneath(tree.root, segments, max);
        if (std::holds_alternative<web::opened_file>(result)) return std::string("ok");
        return std::string(std::get<web::open_failure>(result) == web::open_failure::too_large
                               ? "too_large"
                               : "not_found");
    };
    REQUIRE(opens({"index.html"}) == "ok");
    REQUIRE(opens({"css", "site.css"}) == "ok");
    REQUIRE(opens({"css"}) == "not_found");  // a directory
    REQUIRE(opens({"missing.html"}) == "not_found");
    REQUIRE(opens({"escape.txt"}) == "not_found");
    REQUIRE(opens({"escape_dir", "secret.txt"}) == "not_found");
    REQUIRE(opens({"passwd"}) == "not_found");
    REQUIRE(opens({"alias.js"}) == "not_found");  // links inside the root are refused too
    REQUIRE(opens({"style", "site.css"}) == "not_found");
    REQUIRE(opens({"fifo"}) == "not_found");
    REQUIRE(opens({"index.html", "x"}) == "not_found");
    REQUIRE(opens({"big.bin"}, web::max_file_bytes) == "too_large");
    REQUIRE(opens({"limit.bin"}, web::max_file_bytes) == "ok");
    REQUIRE(web::open_beneath(tree.root + "/missing", {"index.html"}).index() == 1);

    // The root itself may be reached through a link (the operator's).
    fs::create_directory_symlink(tree.root, tree.base.path() / "current");
    REQUIRE(std::holds_alternative<web::opened_file>(
        web::open_beneath((tree.base.path() / "current").string(), {"app.js"})));

    auto file = std::get<web::opened_file>(web::open_beneath(tree.root, {"app.js"}));
    struct stat st {};
    REQUIRE(::stat((tree.base.path() / "root/app.js").c_str(), &st) == 0);
    REQUIRE(file.size == 20);
    REQUIRE(file.inode == st.st_ino);
    REQUIRE(file.mtime_seconds == st.st_mtim.tv_sec);
    REQUIRE(file.mtime_nanoseconds == st.st_mtim.tv_nsec);
    REQUIRE((::fcntl(file.fd.get(), F_GETFL) & O_NONBLOCK) == 0);
    REQUIRE((::fcntl(file.fd.get(), F_GETFD) & FD_CLOEXEC) != 0);
    char buffer[64];
    REQUIRE(::read(file.fd.get(), buffer, sizeof buffer) == 20);
    REQUIRE(std::string(buffer, 20) == "export const x = 1;\n");
}

TEST_CASE("web: a GET of a page has every header and the open file", "[web_static]") {
    web_tree tree;
    const auto reply = tree.get("/");
    REQUIRE(reply.status == 200);
    require_security_headers(reply);
    REQUIRE(*header(reply, "Content-Type") == "text/html; charset=utf-8");
    REQUIRE(*header(reply, "Content-Length") == "32");
    REQUIRE(*header(reply, "Cache-Control") == "no-cache");
    REQUIRE(*header(reply, "Date") == "Sun, 06 Nov 1994 08:49:37 GMT");
    REQUIRE(*header(reply, "Server") == "onymousd");
    REQUIRE(header(reply, "ETag")->size() == 26);
    struct stat st {};
    REQUIRE(::stat((tree.base.path() / "root/index.html").c_str(), &st) == 0);
    REQUIRE(*header(reply, "Last-Modified") == web::http_date(st.st_mtim.tv_sec));
    REQUIRE(*header(reply, "ETag") ==
            web::entity_tag(32, st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ino));
    REQUIRE(reply.file);
    REQUIRE(reply.file->size == 32);
    REQUIRE(reply.text.empty());
    REQUIRE(header(reply, "Allow") == nullptr);

    const auto script = tree.get("/app.js?cache=bust");
    REQUIRE(script.status == 200);
    REQUIRE(*header(script, "Content-Type") == "text/javascript; charset=utf-8");
    REQUIRE(*header(script, "Cache-Control") == "max-age=300");
    REQUIRE(*header(script, "ETag") != *header(reply, "ETag"));

    const auto index = tree.get("/css/");
    REQUIRE(index.status == 200);
    REQUIRE(*header(index, "Content-Length") == "10");
    REQUIRE(*header(index, "Content-Type") == "text/html; charset=utf-8");
}

TEST_CASE("web: HEAD has GET's headers and no body", "[web_static]") {
    web_tree tree;
    const auto get = tree.get("/css/site.css");
    const auto head = tree.get("/css/site.css", web::method::head);
    REQUIRE(head.status == 200);
    REQUIRE_FALSE(head.file);
    REQUIRE(head.text.empty());
    REQUIRE(head.headers.size() == get.headers.size());
    for (std::size_t i = 0; i < get.headers.size(); ++i) {
        REQUIRE(head.headers[i].name == get.headers[i].name);
        REQUIRE(head.headers[i].value == get.headers[i].value);
    }
    REQUIRE(*header(head, "Content-Length") == "7");
    REQUIRE(*header(head, "Content-Type") == "text/css; charset=utf-8");

    const auto missing = tree.get("/missing", web::method::head);
    REQUIRE(missing.status == 404);
    REQUIRE(missing.text.empty());
    REQUIRE(*header(missing, "Content-Length") == "10");
    require_security_headers(missing);
}

TEST_CASE("web: conditional requests get 304 with the validators", "[web_static]") {
    web_tree tree;
    const auto first = tree.get("/app.js");
    const auto etag = *header(first, "ETag");
    const auto last_modified = *header(first, "Last-Modified");

    for (const auto verb : {web::method::get, web::method::head}) {
        for (const auto& if_none_match :
             {etag, "W/" + etag, std::string("*"), "\"nope\", " + etag}) {
            INFO("If-None-Match: " << if_none_match);
            const auto reply = tree.get("/app.js", verb, if_none_match);
            REQUIRE(reply.status == 304);
            REQUIRE_FALSE(reply.file);
            REQUIRE(reply.text.empty());
            REQUIRE(*header(reply, "ETag") == etag);
            REQUIRE(*header(reply, "Last-Modified") == last_modified);
            REQUIRE(*header(reply, "Cache-Control") == "max-age=300");
            REQUIRE(header(reply, "Content-Length") == nullptr);
            require_security_headers(reply);
        }
    }
    REQUIRE(tree.get("/app.js", web::method::get, "\"nope\"").status == 200);
    REQUIRE(tree.get("/app.js", web::method::get, {}, last_modified).status == 304);
    REQUIRE(tree.get("/app.js", web::method::get, {}, "Thu, 01 Jan 1970 00:00:00 GMT").status ==
            200);
    // If-None-Match decides: a mismatch is a 200 whatever If-Modified-Since says.
    REQUIRE(tree.get("/app.js", web::method::get, "\"nope\"", last_modified).status == 200);
    // A changed file has a new tag: the old one no longer matches.
    tree.base.write("root/app.js", "export const x = 2;\n");
    REQUIRE(tree.get("/app.js", web::method::get, etag).status == 200);
}

TEST_CASE("web: refusals carry the security headers and exact statuses", "[web_static]") {
    web_tree tree;
    struct row {
        std::string_view target;
        int status;
    };
    const std::vector<row> rows = {
        {"/css", 404},   // a directory without its slash: no listing, no redirect
        {"/sub/", 404},  // a directory without index.html: no listing
        {"/missing.js", 404},
        {"/escape.txt", 404},
        {"/escape_dir/secret.txt", 404},
        {"/passwd", 404},
        {"/alias.js", 404},
        {"/style/site.css", 404},
        {"/fifo", 404},
        {"/big.bin", 404},
        {"/.hidden", 404},
        {"/.git/config", 404},
        {"/../outside/secret.txt", 400},
        {"/%2e%2e/outside/secret.txt", 400},
        {"/%2E%2e/", 400},
        {"/%2e%2e%2foutside%2fsecret.txt", 400},
        {"/css%2fsite.css", 400},
        {"/css%5csite.css", 400},
        {"/index.html%00", 400},
        {"/%zz", 400},
    };
    for (const auto& [target, status] : rows) {
        INFO("target: " << std::string(target));
        const auto reply = tree.get(target);
        REQUIRE(reply.status == status);
        REQUIRE_FALSE(reply.file);
        REQUIRE(*header(reply, "Content-Type") == "text/plain; charset=utf-8");
        REQUIRE(*header(reply, "Cache-Control") == "no-store");
        REQUIRE(header(reply, "ETag") == nullptr);
        REQUIRE(reply.text == (status == 404 ? "not found\n" : "bad request\n"));
        REQUIRE(*header(reply, "Content-Length") == std::to_string(reply.text.size()));
        require_security_headers(reply);
    }
}

TEST_CASE("web: a double-encoded dot is decoded once, to an ordinary name", "[web_static]") {
    web_tree tree;
    // The root holds a directory literally named "%2e%2e": that is what
    // "%252e%252e" names, never "..".
    const auto reply = tree.get("/%252e%252e/secret");
    REQUIRE(reply.status == 200);
    REQUIRE(*header(reply, "Content-Length") == "26");
    REQUIRE(tree.get("/%252e%252e/secret.txt").status == 404);
    REQUIRE(tree.get("/%252e%252e/outside/secret.txt").status == 404);
}

TEST_CASE("web: methods other than GET and HEAD get 405 with Allow", "[web_static]") {
    web_tree tree;
    for (const std::string_view target : {"/", "/app.js", "/missing", "/../x"}) {
        INFO("target: " << std::string(target));
        const auto reply = tree.get(target, web::method::other);
        REQUIRE(reply.status == 405);
        REQUIRE(*header(reply, "Allow") == "GET, HEAD");
        REQUIRE(reply.text == "method not allowed\n");
        REQUIRE_FALSE(reply.file);
        require_security_headers(reply);
    }
}

TEST_CASE("web: a root that does not exist serves nothing", "[web_static]") {
    web::static_request request;
    request.target = "/";
    const auto reply = web::answer(request, "/nonexistent/onymous-web-root", 0);
    REQUIRE(reply.status == 404);
    require_security_headers(reply);
}
