#include "config/keys.hpp"

#include "config/values.hpp"

#include <limits>
#include <type_traits>

namespace onymous::config::detail {

namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t mib = 1024 * 1024;

constexpr std::string_view tls_versions[] = {"1.2", "1.3"};
constexpr std::string_view privacy_modes[] = {"off", "relay_only"};
constexpr std::string_view log_levels[] = {"error", "warn", "info", "debug"};
constexpr std::string_view stun_schemes[] = {"stun:", "stuns:"};
constexpr std::string_view turn_schemes[] = {"turn:", "turns:"};
constexpr std::string_view redis_schemes[] = {"redis://", "unix:/"};

// Choice setters cast the index: the names must follow the enums' order.
static_assert(static_cast<std::size_t>(ice_privacy::relay_only) == std::size(privacy_modes) - 1);
static_assert(static_cast<std::size_t>(log_level::debug) == std::size(log_levels) - 1);

// A stateless accessor of a Target member; the row helpers turn it into a setter.
#define AT(member) \
    [](auto& target) -> auto& { return target.member; }

// Row builders. They run at compile time, so bounds that do not fit the
// field, or a field of the wrong type, stop the build instead of a start-up.
template <class Target>
struct rows {
    template <class Field>
    using field_t = std::remove_cvref_t<std::invoke_result_t<Field, Target&>>;

    static consteval key_row<Target> section(std::string_view name,
                                             void (*on_present)(Target&) = nullptr) {
        key_row<Target> row{name, kind::section};
        if (on_present != nullptr) {
            row.set = on_present;
        }
        return row;
    }

    template <class Field>
    static consteval key_row<Target> uint(std::string_view name, std::uint64_t min,
                                          std::uint64_t max, Field) {
        using value_t = field_t<Field>;
        static_assert(std::is_unsigned_v<value_t> && !std::is_same_v<value_t, bool>);
        if (min > max || max > std::numeric_limits<value_t>::max()) {
            throw "bounds do not fit the field";
        }
        return {name, kind::uint,
                min,  max,
                {},   +[](Target& t, std::uint64_t v) { Field{}(t) = static_cast<value_t>(v); }};
    }

    template <class Field>
    static consteval key_row<Target> flag(std::string_view name, Field) {
        static_assert(std::is_same_v<field_t<Field>, bool>);
        return {name, kind::boolean, 0, 0, {}, +[](Target& t, bool v) { Field{}(t) = v; }};
    }

    template <class Field>
    static consteval key_row<Target> time(std::string_view name, duration min, duration max,
                                          Field) {
        static_assert(std::is_same_v<field_t<Field>, duration>);
        if (min < 0ms || min > max) {
            throw "bad duration bounds";
        }
        return {name,
                kind::duration,
                static_cast<std::uint64_t>(min.count()),
                static_cast<std::uint64_t>(max.count()),
                {},
                +[](Target& t, duration v) { Field{}(t) = v; }};
    }

    /// string, path, ip_address and url rows.
    template <class Field>
    static consteval key_row<Target> text(kind type, std::string_view name, Field,
                                          std::span<const std::string_view> prefixes = {}) {
        static_assert(std::is_same_v<field_t<Field>, std::string>);
        return {name, type,     0,
                0,    prefixes, +[](Target& t, std::string v) { Field{}(t) = std::move(v); }};
    }

    /// url_list, origin_list, cidr_list and secret rows.
    template <class Field>
    static consteval key_row<Target> list(kind type, std::string_view name, Field,
                                          std::span<const std::string_view> prefixes = {},
                                          std::uint64_t max_items = 0) {
        static_assert(std::is_same_v<field_t<Field>, std::vector<std::string>>);
        return {
            name,     type,
            0,        max_items,
            prefixes, +[](Target& t, std::vector<std::string> v) { Field{}(t) = std::move(v); }};
    }

    template <const auto& Names, class Field>
    static consteval key_row<Target> choice(std::string_view name, Field) {
        using value_t = field_t<Field>;
        return {name,
                kind::choice,
                0,
                std::size(Names) - 1,
                Names,
                +[](Target& t, std::uint64_t index) {
                    if constexpr (std::is_enum_v<value_t>) {
                        Field{}(t) = static_cast<value_t>(index);
                    } else {
                        Field{}(t) = std::string(Names[index]);
                    }
                }};
    }

    template <class Field>
    static consteval key_row<Target> listeners(std::string_view name, Field) {
        static_assert(std::is_same_v<field_t<Field>, std::vector<listener>>);
        return {name, kind::listener_list,
                0,    0,
                {},   +[](Target& t, std::vector<listener> v) { Field{}(t) = std::move(v); }};
    }
};

using s = rows<settings>;
using l = rows<listener>;

// Bounds are documented in docs/configuration.md; keep the two in step.
constexpr key_row<settings> settings_table[] = {
    s::uint("threads", 0, 1024, AT(threads)),
    s::listeners("listeners", AT(listeners)),

    s::section("tls"),
    s::text(kind::path, "tls.certificate", AT(tls.certificate)),
    s::text(kind::path, "tls.private_key", AT(tls.private_key)),
    s::choice<tls_versions>("tls.min_version", AT(tls.min_version)),

    s::section("admin"),
    s::text(kind::ip_address, "admin.address", AT(admin.address)),
    s::uint("admin.port", 0, 65535, AT(admin.port)),

    s::list(kind::origin_list, "allowed_origins", AT(allowed_origins)),
    s::list(kind::cidr_list, "trusted_proxies", AT(trusted_proxies)),

    s::section("limits"),
    s::uint("limits.max_connections", 1, 10'000'000, AT(limits.max_connections)),
    s::uint("limits.max_connections_per_address", 0, 10'000'000,
            AT(limits.max_connections_per_address)),
    s::uint("limits.new_connections_per_address_per_minute", 0, 1'000'000,
            AT(limits.new_connections_per_address_per_minute)),
    s::uint("limits.max_message_bytes", 1024, 16 * mib, AT(limits.max_message_bytes)),
    s::uint("limits.max_sdp_bytes", 1024, 16 * mib, AT(limits.max_sdp_bytes)),
    s::uint("limits.messages_per_second", 1, 1'000'000, AT(limits.messages_per_second)),
    s::uint("limits.burst", 1, 1'000'000, AT(limits.burst)),
    s::uint("limits.joins_per_second", 1, 1'000'000, AT(limits.joins_per_second)),
    s::uint("limits.join_burst", 1, 1'000'000, AT(limits.join_burst)),
    s::uint("limits.max_errors", 1, 1'000'000, AT(limits.max_errors)),
    s::uint("limits.max_outbound_bytes", 1024, 1024 * mib, AT(limits.max_outbound_bytes)),
    s::uint("limits.max_unacked_bytes", 1024, 1024 * mib, AT(limits.max_unacked_bytes)),
    s::uint("limits.max_buffered_bytes", 64 * 1024, 1024 * 1024 * mib,
            AT(limits.max_buffered_bytes)),
    s::uint("limits.pair_max_offers", 1, 1'000'000, AT(limits.pair_max_offers)),
    s::uint("limits.pair_max_candidates", 1, 1'000'000, AT(limits.pair_max_candidates)),
    s::time("limits.handshake_timeout", 10ms, 5min, AT(limits.handshake_timeout)),
    s::time("limits.ping_interval", 10ms, 1h, AT(limits.ping_interval)),
    s::time("limits.idle_timeout", 10ms, 1h, AT(limits.idle_timeout)),
    s::time("limits.resume_grace", 10ms, 10min, AT(limits.resume_grace)),
    s::time("limits.close_timeout", 10ms, 5min, AT(limits.close_timeout)),

    s::section("matching"),
    s::uint("matching.max_interests", 0, 64, AT(matching.max_interests)),
    s::time("matching.interest_timeout", 0ms, 10min, AT(matching.interest_timeout)),
    s::time("matching.rematch_cooldown", 0ms, 24h, AT(matching.rematch_cooldown)),

    s::section("ice"),
    s::list(kind::url_list, "ice.stun", AT(ice.stun), stun_schemes),
    s::section("ice.turn"),
    s::list(kind::url_list, "ice.turn.urls", AT(ice.turn.urls), turn_schemes),
    s::list(kind::secret, "ice.turn.secret", AT(ice.turn.secrets), {}, 2),
    s::text(kind::path, "ice.turn.secret_file", AT(ice.turn.secret_file)),
    s::time("ice.turn.ttl", 1s, 168h, AT(ice.turn.ttl)),
    s::choice<privacy_modes>("ice.privacy", AT(ice.privacy)),
    s::list(kind::cidr_list, "ice.relay_networks", AT(ice.relay_networks)),

    s::section("web"),
    s::text(kind::path, "web.root", AT(web.root)),

    s::section("shutdown"),
    s::time("shutdown.drain_timeout", 0ms, 1h, AT(shutdown.drain_timeout)),

    s::section("logging"),
    s::choice<log_levels>("logging.level", AT(logging.level)),

    // The proof-of-work cap: 2^32 hashes per nonce is hours on a phone, and
    // abuse/proof_of_work holds bits in one byte. pow_bits <= pow_max_bits
    // and suspend_threshold >= shadow_threshold are checked in finish.cpp.
    s::section("abuse"),
    s::uint("abuse.pow_bits", 0, 32, AT(abuse.pow_bits)),
    s::uint("abuse.pow_count", 1, 64, AT(abuse.pow_count)),
    s::uint("abuse.pow_max_bits", 1, 32, AT(abuse.pow_max_bits)),
    s::uint("abuse.pow_load_threshold", 1, 1'000'000, AT(abuse.pow_load_threshold)),
    s::time("abuse.pow_ttl", 1s, 24h, AT(abuse.pow_ttl)),
    s::time("abuse.report_window", 1s, 168h, AT(abuse.report_window)),
    s::uint("abuse.shadow_threshold", 1, 1000, AT(abuse.shadow_threshold)),
    s::time("abuse.shadow_duration", 1s, 168h, AT(abuse.shadow_duration)),
    s::uint("abuse.suspend_threshold", 1, 1000, AT(abuse.suspend_threshold)),
    s::uint("abuse.max_reports_per_hour", 1, 1000, AT(abuse.max_reports_per_hour)),
    s::uint("abuse.skips_per_minute", 0, 1'000'000, AT(abuse.skips_per_minute)),

    // Present, even empty, means clustered: the section creates the struct
    // before its keys (which reach it through ->) are set.
    s::section(
        "cluster", +[](settings& t) { t.cluster.emplace(); }),
    s::text(kind::url, "cluster.redis", AT(cluster->redis), redis_schemes),
    s::text(kind::string, "cluster.node_id", AT(cluster->node_id)),
    s::text(kind::string, "cluster.key_prefix", AT(cluster->key_prefix)),
    s::time("cluster.heartbeat_interval", 10ms, 1min, AT(cluster->heartbeat_interval)),
    s::time("cluster.node_timeout", 10ms, 10min, AT(cluster->node_timeout)),
};

constexpr key_row<listener> listener_table[] = {
    l::text(kind::ip_address, "address", AT(address)),
    l::uint("port", 0, 65535, AT(port)),
    l::flag("tls", AT(tls)),
    l::flag("proxy_protocol", AT(proxy_protocol)),
    l::text(kind::fd_name, "fd_name", AT(fd_name)),
};

#undef AT

// "a", "a or b", "a, b or c"; choices are quoted, URL prefixes are not.
std::string alternatives(std::span<const std::string_view> names, bool quoted) {
    std::string out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0) {
            out += i + 1 == names.size() ? " or " : ", ";
        }
        // Appended piece by piece: g++ 12 at -O3 warns falsely (-Wrestrict,
        // GCC bug 105329) on "literal" + std::string.
        if (quoted) out += '"';
        out += names[i];
        if (quoted) out += '"';
    }
    return out;
}

std::string format_ms(std::uint64_t ms) {
    return format_duration(duration(static_cast<duration::rep>(ms)));
}

}  // namespace

std::span<const key_row<settings>> settings_keys() { return settings_table; }

std::span<const key_row<listener>> listener_keys() { return listener_table; }

std::string describe_expected(kind type, std::uint64_t min, std::uint64_t max,
                              std::span<const std::string_view> choices) {
    switch (type) {
    case kind::section: return "a mapping";
    case kind::uint: return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    case kind::boolean: return "true or false";
    case kind::string:
    case kind::path: return "a string";
    case kind::ip_address: return "an IPv4 or IPv6 address such as 127.0.0.1 or ::1";
    case kind::fd_name:
        return "a socket name as in systemd's FileDescriptorName= (printable ASCII without ':', "
               "at most 255 characters)";
    case kind::choice: return alternatives(choices, true);
    case kind::duration: return "a duration from " + format_ms(min) + " to " + format_ms(max);
    case kind::url: return "a URL starting with " + alternatives(choices, false);
    case kind::url_list: return "a list of URLs starting with " + alternatives(choices, false);
    case kind::origin_list: return "a list of origins such as https://chat.example.org";
    case kind::cidr_list: return "a list of CIDRs such as 10.0.0.0/8 or 2001:db8::/32";
    case kind::secret: return "a string or a list of at most " + std::to_string(max) + " strings";
    case kind::listener_list: return "a list of at least one listener";
    }
    return "a value";
}

}  // namespace onymous::config::detail
