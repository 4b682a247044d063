#include "pow_solver.hpp"

#include "signaling_mix.hpp"

#include <nlohmann/json.hpp>

#include <time.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <stdexcept>

namespace onymous::bench {

namespace {

// What this solver agrees to work on: the daemon's own bounds
// (abuse.pow_max_bits <= 32, pow_count <= 64) and a prefix no longer than
// web/pow.js accepts. Anything beyond would be a broken server, and a search
// for more than 32 bits would not end within a run.
constexpr unsigned max_bits = 32;
constexpr unsigned max_count = 64;
constexpr std::size_t max_prefix = 1024;

double thread_cpu_seconds() {
    timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

[[noreturn]] void openssl_failed() { throw std::runtime_error("SHA-256 failed (OpenSSL)"); }

/// The unsigned integer after `"key":` in `text`, if any.
std::optional<std::uint64_t> number_field(std::string_view text, std::string_view key) {
    std::string pattern(1, '"');
    pattern += key;
    pattern += "\":";
    const std::size_t at = text.find(pattern);
    if (at == std::string_view::npos) return std::nullopt;
    const char* begin = text.data() + at + pattern.size();
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
    if (ec != std::errc() || end == begin) return std::nullopt;
    return value;
}

std::optional<pow_challenge> checked(std::string prefix, std::uint64_t bits, std::uint64_t count) {
    if (prefix.size() > max_prefix || bits > max_bits || count == 0 || count > max_count)
        return std::nullopt;
    return pow_challenge{std::move(prefix), static_cast<unsigned>(bits),
                         static_cast<unsigned>(count)};
}

/// The challenge as onymousd writes it ({"bits":…,"count":…,"expiresMs":…,
/// "prefix":"…"}, no spaces), read without a parser: a parse per waiting
/// would make the generator, not the server, slower with proofs on.
std::optional<pow_challenge> scan_challenge(std::string_view message) {
    constexpr std::string_view key = "\"challenge\":{";
    const std::size_t at = message.find(key);
    if (at == std::string_view::npos) return std::nullopt;
    const std::size_t begin = at + key.size();
    const std::size_t end = message.find('}', begin);
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view object = message.substr(begin, end - begin);
    const std::string_view prefix = string_field(object, "prefix");
    const auto bits = number_field(object, "bits");
    const auto count = number_field(object, "count");
    // A prefix with an escape would need a parser.
    if (prefix.empty() || prefix.find('\\') != std::string_view::npos || !bits || !count)
        return std::nullopt;
    return checked(std::string(prefix), *bits, *count);
}

}  // namespace

std::optional<pow_challenge> challenge_of(std::string_view message) {
    // Most messages have none: a search, not a parse, decides.
    if (message.find("\"challenge\"") == std::string_view::npos) return std::nullopt;
    if (auto fast = scan_challenge(message)) return fast;
    // Written some other way (spaces, another order of nesting): parse.
    const auto json = nlohmann::json::parse(message, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("challenge"))
        return std::nullopt;
    const auto& c = json["challenge"];
    if (!c.is_object() || !c.contains("prefix") || !c["prefix"].is_string() ||
        !c.contains("bits") || !c["bits"].is_number_unsigned() || !c.contains("count") ||
        !c["count"].is_number_unsigned())
        return std::nullopt;
    return checked(c["prefix"].get<std::string>(), c["bits"].get<std::uint64_t>(),
                   c["count"].get<std::uint64_t>());
}

pow_solver::pow_solver()
    // Fetched once: OpenSSL 3 would otherwise look SHA-256 up in its
    // provider at every init, which costs more than hashing 60 bytes.
    : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (md_ == nullptr || ctx_ == nullptr) {
        EVP_MD_free(md_);
        EVP_MD_CTX_free(ctx_);
        openssl_failed();
    }
}

pow_solver::~pow_solver() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
}

unsigned pow_solver::zero_bits(std::string_view text, unsigned enough) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_DigestInit_ex(ctx_, md_, nullptr) != 1 ||
        EVP_DigestUpdate(ctx_, text.data(), text.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, digest.data(), &length) != 1 || length != 32)
        openssl_failed();
    unsigned bits = 0;
    for (unsigned i = 0; i < length && bits < enough; ++i) {
        if (digest[i] != 0) return bits + static_cast<unsigned>(std::countl_zero(digest[i]));
        bits += 8;
    }
    return bits;
}

std::optional<std::string> pow_solver::answer(std::string_view message) {
    // Challenge-free messages cost a search and no clock reading.
    if (message.find("\"challenge\"") == std::string_view::npos) return std::nullopt;
    const double started = thread_cpu_seconds();
    std::optional<std::string> proof;
    if (const auto challenge = challenge_of(message)) proof = solve(*challenge);
    tally_.cpu_seconds += thread_cpu_seconds() - started;
    return proof;
}

std::string pow_solver::solve(const pow_challenge& c) {
    // prefix + nonce in one buffer; the nonce part is rewritten per candidate.
    std::string text = c.prefix;
    text.resize(c.prefix.size() + 16);
    std::string proof = R"(,"proof":[)";
    unsigned found = 0;
    for (std::uint64_t counter = 0; found < c.count; ++counter) {
        char* const nonce = text.data() + c.prefix.size();
        const auto end = std::to_chars(nonce, nonce + 16, counter, 16).ptr;
        const auto nonce_size = static_cast<std::size_t>(end - nonce);
        ++tally_.hashes;
        if (zero_bits(std::string_view(text.data(), c.prefix.size() + nonce_size), c.bits) < c.bits)
            continue;
        // Hex digits need no JSON escape.
        if (found++ > 0) proof += ',';
        proof += '"';
        proof.append(nonce, nonce_size);
        proof += '"';
    }
    proof += ']';
    ++tally_.proofs;
    tally_.max_bits = std::max(tally_.max_bits, c.bits);
    tally_.count = c.count;
    return proof;
}

std::string with_proof(std::string_view message, std::string_view proof) {
    // message is a JSON object: the proof goes before its closing brace.
    std::string out(message.substr(0, message.size() - 1));
    out += proof;
    out += '}';
    return out;
}

}  // namespace onymous::bench
