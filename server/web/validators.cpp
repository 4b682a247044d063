#include <onymous/web/validators.hpp>

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <ctime>

namespace onymous::web {

namespace {

constexpr std::array<std::string_view, 7> day_names = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> long_day_names = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void put_u64(unsigned char* out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out[i] = static_cast<unsigned char>(v >> (8 * i));
}

/// A cursor over a date; every step returns false on a mismatch.
struct date_reader {
    std::string_view text;

    bool literal(std::string_view s) {
        if (text.substr(0, s.size()) != s) return false;
        text.remove_prefix(s.size());
        return true;
    }
    bool digits(std::size_t n, int& out) {
        if (text.size() < n) return false;
        out = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (text[i] < '0' || text[i] > '9') return false;
            out = out * 10 + (text[i] - '0');
        }
        text.remove_prefix(n);
        return true;
    }
    template <std::size_t N>
    bool one_of(const std::array<std::string_view, N>& names, int& index) {
        for (std::size_t i = 0; i < N; ++i) {
            if (literal(names[i])) {
                index = static_cast<int>(i);
                return true;
            }
        }
        return false;
    }
    bool time_of_day(std::tm& tm) {
        return digits(2, tm.tm_hour) && literal(":") && digits(2, tm.tm_min) && literal(":") &&
               digits(2, tm.tm_sec);
    }
};

std::optional<std::int64_t> to_unix(std::tm tm) {
    if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return std::nullopt;
    return static_cast<std::int64_t>(::timegm(&tm));
}

/// "Sun, 06 Nov 1994 08:49:37 GMT"
std::optional<std::int64_t> parse_imf_fixdate(std::string_view text) {
    date_reader r{text};
    std::tm tm{};
    int year = 0;
    int ignored = 0;
    if (!(r.one_of(day_names, ignored) && r.literal(", ") && r.digits(2, tm.tm_mday) &&
          r.literal(" ") && r.one_of(month_names, tm.tm_mon) && r.literal(" ") &&
          r.digits(4, year) && r.literal(" ") && r.time_of_day(tm) && r.literal(" GMT") &&
          r.text.empty()))
        return std::nullopt;
    tm.tm_year = year - 1900;
    return to_unix(tm);
}

/// "Sunday, 06-Nov-94 08:49:37 GMT"
std::optional<std::int64_t> parse_rfc850(std::string_view text) {
    date_reader r{text};
    std::tm tm{};
    int year = 0;
    int ignored = 0;
    if (!(r.one_of(long_day_names, ignored) && r.literal(", ") && r.digits(2, tm.tm_mday) &&
          r.literal("-") && r.one_of(month_names, tm.tm_mon) && r.literal("-") &&
          r.digits(2, year) && r.literal(" ") && r.time_of_day(tm) && r.literal(" GMT") &&
          r.text.empty()))
        return std::nullopt;
    // Two-digit years: the nearest past century (RFC 9110, 5.6.7, simplified
    // to a fixed pivot, which is right for any file time since 1970).
    tm.tm_year = year < 70 ? year + 100 : year;
    return to_unix(tm);
}

/// "Sun Nov  6 08:49:37 1994"
std::optional<std::int64_t> parse_asctime(std::string_view text) {
    date_reader r{text};
    std::tm tm{};
    int year = 0;
    int ignored = 0;
    if (!(r.one_of(day_names, ignored) && r.literal(" ") && r.one_of(month_names, tm.tm_mon) &&
          r.literal(" ")))
        return std::nullopt;
    if (!(r.literal(" ") ? r.digits(1, tm.tm_mday) : r.digits(2, tm.tm_mday))) return std::nullopt;
    if (!(r.literal(" ") && r.time_of_day(tm) && r.literal(" ") && r.digits(4, year) &&
          r.text.empty()))
        return std::nullopt;
    tm.tm_year = year - 1900;
    return to_unix(tm);
}

bool is_ows(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

/// An entity-tag's opaque part (quotes included) with "W/" dropped.
std::string_view opaque_tag(std::string_view tag) {
    if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
    return tag;
}

}  // namespace

std::string entity_tag(std::uint64_t size, std::int64_t mtime_seconds,
                       std::int64_t mtime_nanoseconds, std::uint64_t inode) {
    std::array<unsigned char, 32> input{};
    put_u64(input.data(), size);
    put_u64(input.data() + 8, static_cast<std::uint64_t>(mtime_seconds));
    put_u64(input.data() + 16, static_cast<std::uint64_t>(mtime_nanoseconds));
    put_u64(input.data() + 24, inode);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_size = 0;
    EVP_Digest(input.data(), input.size(), digest.data(), &digest_size, EVP_sha256(), nullptr);
    // 96 bits: collisions between two versions of one file are out of reach.
    constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (std::size_t i = 0; i < 12; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0xf]);
    }
    out.push_back('"');
    return out;
}

std::string http_date(std::int64_t unix_seconds) {
    const auto t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                  day_names[static_cast<std::size_t>(tm.tm_wday)].data(), tm.tm_mday,
                  month_names[static_cast<std::size_t>(tm.tm_mon)].data(), tm.tm_year + 1900,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buffer;
}

std::optional<std::int64_t> parse_http_date(std::string_view text) {
    text = trim(text);
    if (auto t = parse_imf_fixdate(text)) return t;
    if (auto t = parse_rfc850(text)) return t;
    return parse_asctime(text);
}

bool none_match_hits(std::string_view list, std::string_view etag) {
    list = trim(list);
    if (list == "*") return true;
    const auto ours = opaque_tag(etag);
    bool hit = false;
    bool any = false;
    while (!list.empty()) {
        const auto comma = list.find(',');
        const auto element = trim(list.substr(0, comma));
        // Empty list elements are allowed (RFC 9110, 5.6.1).
        if (!element.empty()) {
            const auto tag = opaque_tag(element);
            if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') return false;
            for (const char c : tag.substr(1, tag.size() - 2)) {
                const auto u = static_cast<unsigned char>(c);
                // etagc = %x21 / %x23-7E / obs-text
                if (u == '"' || u < 0x21 || u == 0x7f) return false;
            }
            any = true;
            if (tag == ours) hit = true;
        }
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    return any && hit;
}

bool not_modified(const std::optional<std::string>& if_none_match,
                  const std::optional<std::string>& if_modified_since, std::string_view etag,
                  std::int64_t mtime_seconds) {
    if (if_none_match) return none_match_hits(*if_none_match, etag);
    if (!if_modified_since) return false;
    const auto since = parse_http_date(*if_modified_since);
    return since && mtime_seconds <= *since;
}

}  // namespace onymous::web
