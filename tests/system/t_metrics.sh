#!/bin/bash
# t_metrics.sh - GET /metrics: Prometheus text that promtool accepts, the
# INTERFACE.md series moving with real queries and updates, per worker and
# per rcode, and http.metrics_token when set.
. "$(dirname "$0")/lib.sh"

M=system-test-master-token
WORKERS=2
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1

metric() { # metric REGEX: sum of the matching series' values
	curl -s -m 5 "http://127.0.0.1:$HTTP_PORT/metrics${MTOK:+?token=$MTOK}" |
		awk -v re="$1" '$0 !~ /^#/ && $1 ~ re { s += $2 } END { printf "%d\n", s }'
}

upd "$M" "{\"subdomain\":\"m1.$ZONE\",\"ip\":\"192.0.2.1\"}"
assert_eq "an update" 200 "$H_CODE"
upd "$M" "{\"subdomain\":\"m1.$ZONE\",\"ip\":\"192.0.2.1\"}"
base=$(metric 'ddnsd_dns_received_udp_total')
for i in $(seq 1 20); do dnsq +norec "m1.$ZONE" A >/dev/null; done
for i in $(seq 1 5); do dnsq +norec "nx$i.$ZONE" A >/dev/null; done
dnsq +norec "elsewhere.invalid" A >/dev/null

body=$(curl -s -m 5 -D "$T_DIR/m.hdrs" "http://127.0.0.1:$HTTP_PORT/metrics")
assert_match "text format content type" 'Content-Type: text/plain; version=0.0.4' "$(cat "$T_DIR/m.hdrs")"
if command -v promtool >/dev/null; then
	out=$(printf '%s\n' "$body" | promtool check metrics 2>&1)
	assert_eq "promtool check metrics is clean" "" "$out"
else
	skip "promtool check metrics: promtool is not installed"
fi
# the DNS workers' counters, read by the HTTP worker: polled until they hold
eventually_eq "A NOERROR answers counted" 20 3 metric 'ddnsd_dns_queries_total\{.*qtype="A",rcode="NOERROR"'
eventually_eq "NXDOMAIN answers counted" 5 3 metric 'ddnsd_dns_queries_total\{.*rcode="NXDOMAIN"'
eventually_eq "REFUSED answers counted" 1 3 metric 'ddnsd_dns_queries_total\{.*rcode="REFUSED"'
received() { echo $(($(metric 'ddnsd_dns_received_udp_total\{worker="[01]"') - base)); }
eventually_eq "per-worker series add up to the queries sent" 26 3 received
assert_match "a series per worker" 'ddnsd_dns_received_udp_total\{worker="1"\}' "$body"
assert_eq "updates by source: http" 1 "$(metric 'ddnsd_updates_total\{source="http"')"
assert_eq "unchanged updates counted apart" 1 "$(metric 'ddnsd_updates_unchanged_total\{source="http"')"
assert_match "every source has a series" 'ddnsd_updates_total\{source="rfc2136"\} 0' "$body"
serial=$(soa_serial "$ZONE")
assert_match "zone serial exported" "ddnsd_zone_serial\\{zone=\"$ZONE\"\\} $serial" "$body"

# a worker restart shows
kill -9 "$(dns_worker_pids | head -n 1)"
eventually_eq "restart counted" 1 3 metric 'ddnsd_worker_restarts_total\{worker="[01]",kind="dns"'
stop_daemon

# ---- with metrics_token
sed -i 's/^  max_body:/  metrics_token: "scrape-me"\n  max_body:/' "$CONF"
start_daemon || exit 1
wait_http || exit 1
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/metrics")
assert_eq "no token: 401" 401 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "http://127.0.0.1:$HTTP_PORT/metrics")
assert_eq "wrong token: 401" 401 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer scrape-me' "http://127.0.0.1:$HTTP_PORT/metrics")
assert_eq "the metrics token: 200" 200 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/metrics?token=scrape-me")
assert_eq "token in the query: 200" 200 "$code"
stop_daemon
