# shellcheck shell=bash disable=SC2154  # the variables are bench/compare's
# Sourced by bench/compare: the final table (summary) and the churn-growth
# mode. Uses compare's variables: out, seconds, churn_clients, the server
# starters and run().

# value LABEL SELECTOR FIELD: the field of the last run of LABEL matching the
# jq SELECTOR, rounded to 2 decimals; empty when there is none.
value() {
    jq -s -r --arg l "$1" \
        "[.[] | select(.label == \$l and ($2))] | last | (.$3 // empty) | . * 100 | round / 100" \
        "$out" 2>/dev/null || true
}

# ratio A B: A/B with 2 decimals, empty unless both are numbers and B > 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b + 0 > 0) printf "%.2f", a / b }'; }

relay_selector() { echo ".scenario == \"relay\" and .loop == \"closed\" and .transport == \"TLS\" and .pairs == $1"; }

# table_row NAME SELECTOR FIELD: one row, a column per label, then the
# ratios of onymousd to the others.
table_row() {
    local name=$1 selector=$2 field=$3 label mine other
    printf '%-48s' "$name"
    mine="$(value onymousd "$selector" "$field")"
    for label in "${labels[@]}"; do printf '%12s' "$(value "$label" "$selector" "$field" | sed 's/^$/-/')"; done
    for label in "${labels[@]:1}"; do
        other="$(value "$label" "$selector" "$field")"
        printf '%16s' "$(ratio "$mine" "$other" | sed 's/^$/-/')"
    done
    printf '\n'
}

# target NAME VALUE COMPARISON LIMIT: one line of the targets of issue 11.
target() {
    local verdict
    if [[ -z "$2" ]]; then
        verdict="n/a (not measured)"
    elif awk -v v="$2" -v l="$4" -v c="$3" 'BEGIN { exit !((c == "<=") ? v <= l : v >= l) }'; then
        verdict="met"
    else
        verdict="NOT met"
    fi
    printf '  %-58s %10s  (%s %s)  %s\n' "$1" "${2:--}" "$3" "$4" "$verdict"
}

summary() {
    local label pairs first=""
    echo
    echo "onymous-bench comparison ($(date -u +%Y-%m-%dT%H:%MZ), server on CPU $server_cpu, generator on CPU $client_cpu, ${seconds} s runs)"
    printf '%-48s' ""
    for label in "${labels[@]}"; do printf '%12s' "$label"; done
    for label in "${labels[@]:1}"; do printf '%16s' "onymousd/$label"; done
    printf '\n'
    for pairs in $pairs_list; do
        [[ -z "$first" ]] && first=$pairs
        table_row "relay TLS $pairs pairs: server CPU/msg (us)" "$(relay_selector "$pairs")" server_cpu_us_per_message
        table_row "relay TLS $pairs pairs: messages/s" "$(relay_selector "$pairs")" messages_per_s
        table_row "relay TLS $pairs pairs: one-way p50 (us)" "$(relay_selector "$pairs")" latency_p50_us
        table_row "relay TLS $pairs pairs: one-way p99 (us)" "$(relay_selector "$pairs")" latency_p99_us
    done
    table_row "relay TLS 1 pair: one-way p50 (us)" "$(relay_selector 1)" latency_p50_us
    table_row "relay TLS 1 pair: one-way p99 (us)" "$(relay_selector 1)" latency_p99_us
    table_row "TCP ping-pong 64 B: one-way p50 (us)" "$(relay_selector 1)" tcp_floor_one_way_p50_us
    local half='.scenario == "relay" and .loop == "open"'
    table_row "relay TLS 10 pairs, half of peak: messages/s" "$half" messages_per_s
    table_row "relay TLS 10 pairs, half of peak: p99 (us)" "$half" latency_p99_us
    local idle_tls='.scenario == "idle" and .transport == "TLS"'
    local idle_plain='.scenario == "idle" and .transport == "plain"'
    table_row "idle TLS $idle_count: RSS per connection (KiB)" "$idle_tls" server_rss_per_connection_kib
    table_row "idle TLS $idle_count: connect rate (/s)" "$idle_tls" connect_rate_per_s
    table_row "idle plain $idle_count: RSS per connection (KiB)" "$idle_plain" server_rss_per_connection_kib
    table_row "idle plain $idle_count: connect rate (/s)" "$idle_plain" connect_rate_per_s
    local hs='.scenario == "handshake"'
    table_row "handshake TLS: new connections/s" "$hs" connections_per_s
    table_row "handshake TLS: server CPU per connection (us)" "$hs" server_cpu_us_per_connection
    table_row "bare TLS 1.3 handshake: server CPU p50 (us)" "$hs" bare_handshake_server_cpu_p50_us
    local churn='.scenario == "churn"'
    table_row "churn plain $churn_clients clients: pairings/s" "$churn" pairings_per_s
    table_row "churn plain: join to matched p50 (us)" "$churn" join_to_matched_p50_us
    table_row "churn plain: join to matched p99 (us)" "$churn" join_to_matched_p99_us

    echo
    echo "targets of issue 11 (onymousd):"
    local cpu10 cpu100 cpu1000
    cpu10="$(value onymousd "$(relay_selector 10)" server_cpu_us_per_message)"
    cpu100="$(value onymousd "$(relay_selector 100)" server_cpu_us_per_message)"
    cpu1000="$(value onymousd "$(relay_selector 1000)" server_cpu_us_per_message)"
    target "relay CPU/msg / PeerJS's, 10 pairs" \
        "$(ratio "$cpu10" "$(value peerjs "$(relay_selector 10)" server_cpu_us_per_message)")" "<=" 0.25
    target "relay CPU/msg / PeerJS's, 100 pairs" \
        "$(ratio "$cpu100" "$(value peerjs "$(relay_selector 100)" server_cpu_us_per_message)")" "<=" 0.25
    target "CPU/msg at 1,000 pairs / at 10 pairs" "$(ratio "$cpu1000" "$cpu10")" "<=" 1.5
    target "1 pair one-way p50 / TCP ping-pong one-way p50" \
        "$(ratio "$(value onymousd "$(relay_selector 1)" latency_p50_us)" \
            "$(value onymousd "$(relay_selector 1)" tcp_floor_one_way_p50_us)")" "<=" 3
    target "1 pair one-way p99 (us)" "$(value onymousd "$(relay_selector 1)" latency_p99_us)" "<=" 250
    target "half of peak, p99 (us)" "$(value onymousd "$half" latency_p99_us)" "<=" 2000
    target "idle TLS RSS/connection / PeerJS's" \
        "$(ratio "$(value onymousd "$idle_tls" server_rss_per_connection_kib)" \
            "$(value peerjs "$idle_tls" server_rss_per_connection_kib)")" "<=" 0.5
    target "idle plain RSS/connection / PeerJS's" \
        "$(ratio "$(value onymousd "$idle_plain" server_rss_per_connection_kib)" \
            "$(value peerjs "$idle_plain" server_rss_per_connection_kib)")" "<=" 0.6
    target "handshake CPU/connection / bare handshake p50" \
        "$(ratio "$(value onymousd "$hs" server_cpu_us_per_connection)" \
            "$(value onymousd "$hs" bare_handshake_server_cpu_p50_us)")" "<=" 1.5
    target "churn pairings/s (plain)" "$(value onymousd "$churn" pairings_per_s)" ">=" 10000
    local errors
    errors="$(jq -s '[.[].errors // 0] | add // 0' "$out")"
    echo "runs with errors: $(jq -s '[.[] | select((.errors // 0) > 0)] | length' "$out") (errors in all: $errors)"
}

# sample NAME: the server's RSS (KiB) and open descriptors, as "RSS FDS".
sample() {
    local rss fds
    rss="$(awk '/^VmRSS:/ { print $2 }' "/proc/$server_pid/status" 2>/dev/null || true)"
    fds="$(find "/proc/$server_pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)"
    echo "${rss:-0} $fds"
}

churn_growth() {
    local total first rss0 fds0 rss2 fds2 rss_end fds_end rss_after fds_after bench_pid line
    total="$(awk -v m="$1" 'BEGIN { printf "%d", m * 60 }')"
    ((total >= 20)) || fail "churn-growth: at least 20 s (MINUTES >= 0.34)"
    first=120
    ((total < 240)) && first=$((total / 2))
    start_onymousd "$daemon"
    read -r rss0 fds0 <<<"$(sample)"
    note "churn-growth: $churn_clients clients for $total s; samples at ${first} s and at the end"
    taskset -c "$client_cpu" "$bench" churn --url "$plain_url" --clients "$churn_clients" \
        --seconds "$total" --json --quiet --label churn-growth --server-pid "$server_pid" \
        >"$work/churn.json" &
    bench_pid=$!
    sleep "$first"
    read -r rss2 fds2 <<<"$(sample)"
    note "at ${first} s: RSS $rss2 KiB, $fds2 descriptors"
    sleep $((total - first - 5))
    read -r rss_end fds_end <<<"$(sample)"
    wait "$bench_pid" || true
    sleep 3  # the clients' closes are done
    read -r rss_after fds_after <<<"$(sample)"
    stop_server
    line="$(tail -n 1 "$work/churn.json")"
    if [[ -n "$line" ]]; then echo "$line" >>"$out"; fi
    local growth
    growth="$(awk -v a="$rss_end" -v b="$rss2" 'BEGIN { if (b > 0) printf "%.2f", 100 * (a - b) / b }')"
    printf '{"scenario":"churn-growth","seconds":%d,"first_sample_s":%d,"rss_baseline_kib":%s,"rss_first_kib":%s,"rss_end_kib":%s,"rss_after_kib":%s,"fds_baseline":%s,"fds_first":%s,"fds_end":%s,"fds_after":%s,"rss_growth_percent":%s}\n' \
        "$total" "$first" "$rss0" "$rss2" "$rss_end" "$rss_after" "$fds0" "$fds2" "$fds_end" "$fds_after" "${growth:-0}" >>"$out"
    echo
    [[ -n "$line" ]] || line='{}'
    echo "churn-growth: $churn_clients clients, plain, $total s ($(jq -r '"\(.pairings_per_s // "-") pairings/s, errors \(.errors // "-")"' <<<"$line"))"
    printf '  %-28s %12s %12s\n' "" "RSS (KiB)" "descriptors"
    printf '  %-28s %12s %12s\n' "before the clients" "$rss0" "$fds0" "at ${first} s" "$rss2" "$fds2" \
        "at the end (${total} s)" "$rss_end" "$fds_end" "after the clients left" "$rss_after" "$fds_after"
    target "RSS growth from ${first} s to the end (%)" "$growth" "<=" 5
    target "descriptors after the clients left - before" "$((fds_after - fds0))" "<=" 0
    note "JSON in $out"
}
