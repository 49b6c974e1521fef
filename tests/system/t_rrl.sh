#!/bin/bash
# t_rrl.sh - response-rate limiting (dns.rrl, 20 replies a second, slip 2).
# A bounded flood (3 s, 2,500 queries a second, from 50 addresses of
# 127.0.1.0/24 with 4 sockets each, so many source ports spread over both
# DNS workers) for one name gets at most about 20 full answers a second and
# the slipped TC replies, while a client in 127.0.2.0/24 gets every answer;
# a random-subdomain flood (NXDOMAIN) counts as one key too; the same
# flooding address with a valid DNS cookie gets every answer; TCP from the
# limited prefix is answered; /metrics counts drops and slips, and the log
# says so at most once a second per worker; dns.rrl.exempt lifts the limit.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

PROBE=$SYS_DIR/rrl_probe.py
RATE=20
SECS=3
QPS=2500
pick_ports

# rrl_start YAML: a fresh daemon with that dns.rrl map
rrl_start()
{
	stop_daemon
	rm -rf "$T_DIR/data"
	write_config
	sed -i "s|^  rrl: .*|  rrl: $1|" "$CONF"
	grep -qxF "  rrl: $1" "$CONF" || { fail "the test config takes dns.rrl" "$(cat "$CONF")"; exit 1; }
	init_db || exit 1
	add_record "host.$ZONE" A 192.0.2.1
	start_daemon || exit 1
	wait_http || exit 1
}
jget() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[sys.argv[2]])' "$1" "$2"; }

rrl_start "{ responses_per_second: $RATE, slip: 2, exempt: [\"127.0.0.1/32\"] }"

# ---- a flood for one name, and a polite client beside it
"$PY" "$PROBE" 127.0.0.1 "$DNS_PORT" "host.$ZONE" "$SECS" "$QPS" 127.0.1.0/24:50 \
	--polite 127.0.2.5 >"$T_DIR/flood.json" || fail "the flood probe ran"
sent=$(jget "$T_DIR/flood.json" sent); full=$(jget "$T_DIR/flood.json" full)
tc=$(jget "$T_DIR/flood.json" tc)
note "flood: $sent sent, $full full answers, $tc truncated; per second $(jget "$T_DIR/flood.json" per_second)"
if [ "$sent" -ge $((QPS * SECS * 8 / 10)) ]; then pass "the flood sent $sent queries in $SECS s (2,000+ a second)"
else fail "the flood sent 2,000+ queries a second" "sent $sent in $SECS s"; fi
# a run of SECS seconds touches SECS + 1 wall-clock seconds, each with its own allowance;
# one more for the workers' coarse clocks at the edges
max=$((RATE * (SECS + 2)))
if [ "$full" -ge 1 ] && [ "$full" -le "$max" ]; then
	pass "at most about $RATE full answers a second: $full in $SECS s (limit $max)"
else
	fail "at most about $RATE full answers a second" "full answers: $full, limit $max"
fi
want_tc=$(((sent - full) / 2))
if [ "$tc" -ge $((want_tc * 7 / 10)) ] && [ "$tc" -le $((want_tc * 11 / 10 + 10)) ]; then
	pass "every second limited reply is slipped (TC): $tc of about $want_tc"
else
	fail "every second limited reply is slipped (TC)" "tc $tc, expected about $want_tc"
fi
ps=$(jget "$T_DIR/flood.json" polite_sent); pa=$(jget "$T_DIR/flood.json" polite_answered)
if [ "$ps" -ge 20 ] && [ "$pa" = "$ps" ]; then
	pass "a client in 127.0.2.0/24 meanwhile got every answer ($pa of $ps)"
else
	fail "a client in 127.0.2.0/24 meanwhile got every answer" "$pa of $ps"
fi
drop=$(metric_value 'ddnsd_rrl_limited_total{action="drop"}')
slip=$(metric_value 'ddnsd_rrl_limited_total{action="slip"}')
if [ "${drop:-0}" -gt 0 ] && [ "${slip:-0}" -gt 0 ] && [ $((drop + slip + full)) -le "$sent" ]; then
	pass "/metrics counts the limited replies: $drop dropped, $slip slipped"
else
	fail "/metrics counts the limited replies" "drop '$drop', slip '$slip', sent $sent, full $full"
fi
lines=$(grep -c "rrl: replies to 127\.0\.1\." "$DAEMON_LOG")
if [ "$lines" -ge 1 ] && [ "$lines" -le $(((SECS + 2) * WORKERS)) ]; then
	pass "the log names the limited prefix, at most once a second per worker ($lines lines)"
else
	fail "the log names the limited prefix, at most once a second per worker" "$lines lines" \
		"$(grep "rrl:" "$DAEMON_LOG" | head -n 5)"
fi

# ---- TCP from the limited prefix is never limited
tcp_ok=0
for i in $(seq 1 30); do
	[ "$(dig @127.0.0.1 -p "$DNS_PORT" -b 127.0.1.7 +tcp +short +tries=1 +time=$((2 * SLOW)) "host.$ZONE" A)" = 192.0.2.1 ] &&
		tcp_ok=$((tcp_ok + 1))
done
assert_eq "30 TCP queries from 127.0.1.7 right after the flood are all answered" 30 "$tcp_ok"

# ---- a random-subdomain flood counts as one key (the zone)
sleep 1
"$PY" "$PROBE" 127.0.0.1 "$DNS_PORT" "host.$ZONE" "$SECS" "$QPS" 127.0.1.0/24:50 --random \
	>"$T_DIR/random.json" || fail "the random-subdomain probe ran"
rs=$(jget "$T_DIR/random.json" sent); rf=$(jget "$T_DIR/random.json" full)
if [ "$rf" -ge 1 ] && [ "$rf" -le "$max" ]; then
	pass "a random-subdomain flood ($rs NXDOMAIN queries) gets at most about $RATE answers a second: $rf"
else
	fail "a random-subdomain flood is limited as one" "sent $rs, full answers $rf, limit $max"
fi

# ---- a valid cookie lifts the limit for its address
sleep 1
COOKIE=$(dig @127.0.0.1 -p "$DNS_PORT" -b 127.0.1.1 +cookie=0102030405060708 +tries=1 \
	+time=$((2 * SLOW)) "host.$ZONE" A | sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p')
assert_match "127.0.1.1 fetches a server cookie" '^0102030405060708[0-9a-f]{32}$' "$COOKIE"
"$PY" "$PROBE" 127.0.0.1 "$DNS_PORT" "host.$ZONE" "$SECS" 1000 127.0.1.0/24:1 --cookie "$COOKIE" \
	>"$T_DIR/cookie.json" || fail "the cookie probe ran"
cs=$(jget "$T_DIR/cookie.json" sent); cf=$(jget "$T_DIR/cookie.json" full)
ctc=$(jget "$T_DIR/cookie.json" tc)
if [ "$cs" -ge 1000 ] && [ "$cf" = "$cs" ] && [ "$ctc" = 0 ]; then
	pass "the same flooding address with a valid cookie gets every answer ($cf of $cs)"
else
	fail "the flooding address with a valid cookie gets every answer" "sent $cs, full $cf, tc $ctc"
fi

# ---- exempt
rrl_start "{ responses_per_second: $RATE, exempt: [\"127.0.0.1/32\", \"127.0.1.0/24\"] }"
"$PY" "$PROBE" 127.0.0.1 "$DNS_PORT" "host.$ZONE" 2 1000 127.0.1.0/24:10 >"$T_DIR/exempt.json" ||
	fail "the exempt probe ran"
es=$(jget "$T_DIR/exempt.json" sent); ef=$(jget "$T_DIR/exempt.json" full)
if [ "$es" -ge 1000 ] && [ "$ef" = "$es" ]; then
	pass "dns.rrl.exempt: 127.0.1.0/24 gets every answer ($ef of $es)"
else
	fail "dns.rrl.exempt lifts the limit" "sent $es, full $ef"
fi
stop_daemon
