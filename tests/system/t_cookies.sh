#!/bin/bash
# t_cookies.sh - DNS cookies (dns.cookies; RFC 7873 with RFC 9018 server
# cookies).  A query with a client cookie gets it back with a 16-byte server
# cookie that an independent SipHash-2-4 (cookie_probe.py) finds to be RFC
# 9018's for the configured secret; the cookie returned is counted valid by
# whichever DNS worker gets it (40 queries over both workers), and by a
# second ddnsd started with the same secret, also as its previous_secret
# during a rollover; a third with another secret counts it invalid and still
# answers, with a new cookie.  Malformed COOKIE options (lengths 5, 12, 41,
# two options) get FORMERR; a client cookie alone is answered normally
# (NOERROR with a new cookie, counted "new").  dns.cookies.enabled: false
# sends no COOKIE; a secret that is not 32 hex digits stops the start with
# a clear error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

SECRET=000102030405060708090a0b0c0d0e0f
OTHER=f0e1d2c3b4a5968778695a4b3c2d1e0f
PROBE=$SYS_DIR/cookie_probe.py
pick_ports

# cookies_config [YAML]: the standard config with this dns.cookies map
cookies_config()
{
	write_config
	awk -v c="$1" '{ print } /^dns:$/ && c != "" { print "  cookies: " c }' "$CONF" >"$CONF.tmp" &&
		mv "$CONF.tmp" "$CONF"
}
# fresh_start YAML: a new database and a daemon with that dns.cookies
fresh_start()
{
	stop_daemon
	rm -rf "$T_DIR/data"
	cookies_config "$1"
	init_db || exit 1
	add_record "host.$ZONE" A 192.0.2.1
	start_daemon || exit 1
	wait_http || exit 1
}
cookie_of() { printf '%s\n' "$Q" | sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p' | head -n 1; }
valid() { metric_value 'ddnsd_cookies_total{result="valid"}'; }

fresh_start "{ enabled: true, secret: \"$SECRET\" }"

# ---- a client cookie gets a server cookie, RFC 9018's
CLIENT=0102030405060708
q +cookie="$CLIENT" "host.$ZONE" A
C=$(cookie_of)
assert_eq "the answer to a query with a client cookie is NOERROR" NOERROR "$(q_status)"
assert_match "the reply's COOKIE: our client cookie and a 16-byte server cookie" "^${CLIENT}[0-9a-f]{32}\$" "$C"
assert_eq "the server cookie is RFC 9018's: version 1, timestamp now, SipHash-2-4 of the secret" ok \
	"$("$PY" "$PROBE" check 127.0.0.1 "$DNS_PORT" "$SECRET" "$C" 2>&1)"
assert_eq "a client cookie alone is counted new" 1 "$(metric_value 'ddnsd_cookies_total{result="new"}')"

# ---- the cookie returned is valid at every worker
v0=$(valid)
declare -A rx0
for w in $(seq 0 $((WORKERS - 1))); do rx0[$w]=$(metric_value "ddnsd_dns_received_udp_total{worker=\"$w\"}"); done
bad=0
for i in $(seq 1 40); do
	out=$("$PY" "$PROBE" cookie 127.0.0.1 "$DNS_PORT" "host.$ZONE" "$C")
	case $out in "NOERROR ${CLIENT}"*) ;; *) bad=$((bad + 1)) ;; esac
done
assert_eq "40 queries returning the cookie (each from a new source port) are answered with a cookie" 0 "$bad"
assert_eq "all 40 are counted valid" 40 "$(($(valid) - v0))"
spread=0
for w in $(seq 0 $((WORKERS - 1))); do
	[ "$(metric_value "ddnsd_dns_received_udp_total{worker=\"$w\"}")" -gt "${rx0[$w]}" ] && spread=$((spread + 1))
done
assert_eq "the 40 reached every one of the $WORKERS DNS workers" "$WORKERS" "$spread"

# ---- malformed options: FORMERR (RFC 7873 5.2.2)
for lens in 5 12 41 "8 8"; do
	assert_eq "a COOKIE option of length(s) $lens gets FORMERR" FORMERR \
		"$("$PY" "$PROBE" raw 127.0.0.1 "$DNS_PORT" "host.$ZONE" $lens)"
done
assert_eq "a well-formed client cookie (8 bytes) gets NOERROR" NOERROR \
	"$("$PY" "$PROBE" raw 127.0.0.1 "$DNS_PORT" "host.$ZONE" 8)"
assert_eq "and a client + server cookie of 40 bytes too (not ours: answered anyway)" NOERROR \
	"$("$PY" "$PROBE" raw 127.0.0.1 "$DNS_PORT" "host.$ZONE" 40)"

# ---- a second ddnsd with the same secret takes the first one's cookie
fresh_start "{ secret: \"$SECRET\" }"
v0=$(valid)
out=$("$PY" "$PROBE" cookie 127.0.0.1 "$DNS_PORT" "host.$ZONE" "$C")
assert_match "another ddnsd with the same secret answers the cookie" "^NOERROR ${CLIENT}" "$out"
assert_eq "and counts it valid" 1 "$(($(valid) - v0))"

# ---- a rollover: the old secret as previous_secret
fresh_start "{ secret: \"$OTHER\", previous_secret: \"$SECRET\" }"
v0=$(valid)
out=$("$PY" "$PROBE" cookie 127.0.0.1 "$DNS_PORT" "host.$ZONE" "$C")
assert_eq "with the old secret as previous_secret the cookie is still valid" 1 "$(($(valid) - v0))"
N=$(printf '%s\n' "$out" | awk '{ print $2 }')
assert_eq "the new cookie it gives is made with the new secret" ok \
	"$("$PY" "$PROBE" check 127.0.0.1 "$DNS_PORT" "$OTHER" "$N" 2>&1)"

# ---- another secret: invalid, answered all the same
fresh_start "{ secret: \"$OTHER\" }"
i0=$(metric_value 'ddnsd_cookies_total{result="invalid"}')
out=$("$PY" "$PROBE" cookie 127.0.0.1 "$DNS_PORT" "host.$ZONE" "$C")
assert_match "another secret: the query is answered, with a new cookie" "^NOERROR ${CLIENT}[0-9a-f]{32}\$" "$out"
assert_eq "and the old cookie counted invalid" 1 "$(($(metric_value 'ddnsd_cookies_total{result="invalid"}') - i0))"

# ---- off
fresh_start "{ enabled: false }"
q +cookie="$CLIENT" "host.$ZONE" A
assert_eq "dns.cookies.enabled: false: answered" NOERROR "$(q_status)"
assert_eq "with no COOKIE in the reply" "" "$(cookie_of)"
stop_daemon

# ---- a bad secret stops the start
cookies_config "{ secret: \"abc\" }"
run_ddnsd -c "$CONF" --check-config
if [ "$RC" -ne 0 ]; then pass "a secret that is not 32 hex digits is refused (exit $RC)"
else fail "a secret that is not 32 hex digits is refused" "$OUT"; fi
assert_match "with a clear error" "dns.cookies.secret.*32 hex digits" "$OUT"
