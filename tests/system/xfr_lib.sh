# xfr_lib.sh - helpers for the zone transfer, NOTIFY, TSIG and RFC 2136
# UPDATE tests (t_xfr_*.sh, t_nsupdate.sh, t_tsig.sh); sourced after lib.sh.
#
# write_xfr_config extends the standard config of lib.sh with
# zones[].transfer, zones[].primary and a tsig: section; xfrprobe (a small
# dnspython client written into $T_DIR) does what dig cannot: it reports the
# rcode and the TSIG state of every reply, reads multi-message transfers,
# checks an IXFR against two AXFR snapshots, compares a secondary with the
# primary RRset by RRset and listens for NOTIFY messages.

# ---------------------------------------------------------------- keys

# tsig_secret [BYTES]: a fresh base64 secret (default 32 bytes).
tsig_secret()
{
	"$PY" -c 'import base64, os, sys; print(base64.b64encode(os.urandom(int(sys.argv[1]))).decode())' \
		"${1:-32}"
}

XFR_KEY=transfer-key
XFR_SECRET=$(tsig_secret)
UPD_KEY=update-key
UPD_SECRET=$(tsig_secret)

# ---------------------------------------------------------------- config

declare -A ZONE_XFR=()     # zone -> flow mapping of zones[].transfer, e.g. '{ allow: [127.0.0.1] }'
declare -A ZONE_PRIMARY=() # zone -> "ADDR:PORT": the zone is a secondary (no ttl/ns/soa of its own)
TSIG_YAML=                 # the items of the tsig: section (lines starting with "  - ")

# key_yaml NAME ALG SECRET [NAMES TYPES | all]: appends one tsig: item to
# TSIG_YAML.  Without more, the key has no update: section and may not
# UPDATE (a transfer key); "all" grants every name and type (update: {});
# NAMES and TYPES are the flow sequences' items of its update grants (e.g.
# '"*.dyn.example.test", "host.example.test"' and 'A, TXT').
key_yaml()
{
	TSIG_YAML+="  - name: $1
    algorithm: $2
    secret: \"$3\"
"
	if [ "${4-}" = all ]; then
		TSIG_YAML+="    update: {}
"
	elif [ $# -ge 5 ]; then
		TSIG_YAML+="    update:
      names: [$4]
      types: [$5]
"
	fi
}

# write_xfr_config [FILE]: write_http_config (ONE_ZONE as set), then for each
# zone in ZONE_XFR a transfer: key, for each zone in ZONE_PRIMARY the zone's
# block replaced by name/primary/transfer, and the tsig: section.
write_xfr_config()
{
	local f=${1:-$CONF} z
	write_http_config "$f" || return 1
	for z in "${!ZONE_PRIMARY[@]}"; do
		awk -v z="$z" -v p="${ZONE_PRIMARY[$z]}" '
			$0 == "  - name: " z { print; print "    primary: \"" p "\""; skip = 1; next }
			skip && (/^  - name: / || /^[a-z]/) { skip = 0 }
			!skip' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	done
	for z in "${!ZONE_XFR[@]}"; do
		awk -v z="$z" -v x="    transfer: ${ZONE_XFR[$z]}" '
			{ print } $0 == "  - name: " z { print x }' "$f" >"$f.tmp" && mv "$f.tmp" "$f"
	done
	if [ -n "$TSIG_YAML" ]; then
		printf 'tsig:\n%s' "$TSIG_YAML" >>"$f"
	fi
	return 0
}

# ---------------------------------------------------------------- a second ddnsd

SEC_PID=
SEC_LOG=
SEC_DIR=$T_DIR/sec
SEC_CONF=$SEC_DIR/ddnsd.yaml
SEC_DNS_PORT=
SEC_HTTP_PORT=

# write_sec_config: the config of a second daemon in $SEC_DIR (own ports,
# database and control socket) from the same variables as write_xfr_config.
write_sec_config()
{
	local d=$DNS_PORT h=$HTTP_PORT
	mkdir -p "$SEC_DIR"
	if [ -z "$SEC_DNS_PORT" ]; then
		read -r SEC_DNS_PORT SEC_HTTP_PORT <<<"$("$PY" "$SYS_DIR/ports.py" 2)"
	fi
	DNS_PORT=$SEC_DNS_PORT HTTP_PORT=$SEC_HTTP_PORT
	write_xfr_config "$SEC_CONF"
	local rc=$?
	DNS_PORT=$d HTTP_PORT=$h
	return $rc
}

# start_sec: starts the second daemon (log $T_DIR/daemon.sec.N.log, scanned
# at teardown like the others) and waits until it answers on its DNS port
# (any rcode: a secondary may not have its zone yet).
SEC_N=0
start_sec()
{
	local limit=$((10000 * SLOW))
	SEC_N=$((SEC_N + 1))
	SEC_LOG=$T_DIR/daemon.sec.$SEC_N.log
	"$DDNSD_BIN" -c "$SEC_CONF" >"$SEC_LOG" 2>&1 &
	SEC_PID=$!
	BG_PIDS+=("$SEC_PID")
	sec_answers()
	{
		proc_alive "$SEC_PID" &&
			dig @127.0.0.1 -p "$SEC_DNS_PORT" +tries=1 +time=1 +norec "$ZONE" SOA 2>&1 |
			grep -q 'status: '
	}
	if ! wait_until "$limit" sec_answers; then
		fail "the secondary ddnsd answers within $((limit / 1000)) s" "log:" "$(tail -n 30 "$SEC_LOG")"
		return 1
	fi
	return 0
}

# stop_sec: SIGTERM to the second daemon; waits (bounded) until it is gone.
stop_sec()
{
	[ -n "$SEC_PID" ] || return 0
	kill -TERM "$SEC_PID" 2>/dev/null
	wait_until $((5000 * SLOW)) proc_dead "$SEC_PID" || kill -KILL "$SEC_PID" 2>/dev/null
	{ wait "$SEC_PID"; } 2>/dev/null
	SEC_PID=
}

# ---------------------------------------------------------------- queries

# secq PORT ARGS...: one dig query to 127.0.0.1:PORT (output in $Q, like q).
secq()
{
	local p=$1
	shift
	Q=$(dig @127.0.0.1 -p "$p" +tries=1 +time=$((2 * SLOW)) +nocookie "$@" 2>&1)
}

# short_at PORT NAME TYPE: dig +short at 127.0.0.1:PORT, sorted, one line.
short_at()
{
	dig @127.0.0.1 -p "$1" +tries=1 +time=1 +norec +nocookie +short "$2" "$3" 2>/dev/null |
		sort | tr '\n' ' ' | sed 's/ $//'
}

# serial_at PORT ZONE: the SOA serial 127.0.0.1:PORT serves ("" if none).
serial_at()
{
	dig @127.0.0.1 -p "$1" +tries=1 +time=1 +norec +nocookie +short "$2" SOA 2>/dev/null |
		awk 'NF >= 7 { print $3; exit }'
}

# wait_short PORT NAME TYPE WANT LIMIT_MS: polls until short_at prints WANT;
# sets WAIT_MS to the time it took (or LIMIT_MS); 0 when it did.
WAIT_MS=
wait_short()
{
	local p=$1 n=$2 t=$3 w=$4 limit=$5 t0
	t0=$(now_ms)
	short_is() { [ "$(short_at "$p" "$n" "$t")" = "$w" ]; }
	if wait_until "$limit" short_is; then
		WAIT_MS=$(($(now_ms) - t0))
		return 0
	fi
	WAIT_MS=$limit
	return 1
}

# xp ARGS...: runs xfrprobe (bounded); its output in $XP, exit status in $XP_RC.
XP=
XP_RC=
xp()
{
	XP=$(timeout $((60 * SLOW)) "$PY" "$T_DIR/xfrprobe.py" "$@" 2>&1)
	XP_RC=$?
}

# xp_field NAME: the value of the first "NAME value" line of $XP.
xp_field()
{
	printf '%s\n' "$XP" | awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'
}

# xp_rrs: the "rr" lines of $XP without the prefix, in the order received.
xp_rrs()
{
	printf '%s\n' "$XP" | sed -n 's/^rr //p'
}

# xp_checks WHAT ARGS...: runs an xfrprobe subcommand that prints PASS/FAIL
# lines and turns them into TAP checks.
xp_checks()
{
	local what=$1
	xp "$@"
	py_report "xfrprobe $what" "$XP_RC" "$XP"
}

# keyspec NAME SECRET [ALG]: the --key argument of xfrprobe.
keyspec()
{
	echo "${3:-hmac-sha256}:$1:$2"
}

# ---------------------------------------------------------------- HTTP helpers

# metric_value NAME_WITH_LABELS: the value of one sample in GET /metrics
# ("" when absent).
metric_value()
{
	curl -s -m $((5 * SLOW)) "http://127.0.0.1:$HTTP_PORT/metrics" |
		awk -v m="$1" '$1 == m { print $2; exit }'
}

# records_has NAME TYPE VALUE: GET /records (master) lists that record.
records_has()
{
	api "$MASTER" GET /records
	[ "$(jv "any(r[\"domain\"].rstrip(\".\") == \"$1\" and r[\"type\"] == \"$2\" and str(r[\"value\"]).rstrip(\".\") == \"$3\" for r in j[\"records\"])")" = true ]
}

# ---------------------------------------------------------------- nsupdate

NSU_OUT=
NSU_RC=

# nsu PORT LINES [NSUPDATE_ARGS...]: runs Debian's nsupdate (bounded) with
# "server 127.0.0.1 PORT", "zone $ZONE", LINES (newline-separated) and
# "send"; output (stdout and stderr) in $NSU_OUT, exit status in $NSU_RC.
nsu()
{
	local p=$1 lines=$2
	shift 2
	NSU_OUT=$(printf 'server 127.0.0.1 %s\nzone %s\n%s\nsend\n' "$p" "$ZONE" "$lines" |
		timeout $((20 * SLOW)) nsupdate -r 1 -u $((2 * SLOW)) -t $((4 * SLOW)) "$@" 2>&1)
	NSU_RC=$?
}

# assert_nsu_ok DESC: the last nsu call succeeded (exit 0, no "failed").
assert_nsu_ok()
{
	if [ "$NSU_RC" = 0 ] && ! printf '%s\n' "$NSU_OUT" | grep -Eqi 'fail|error'; then
		pass "$1 (nsupdate exit 0)"
	else
		fail "$1" "nsupdate exit $NSU_RC" "$NSU_OUT"
	fi
}

# assert_nsu_fail DESC ERE: the last nsu call failed with output matching ERE.
assert_nsu_fail()
{
	if [ "$NSU_RC" != 0 ] && printf '%s\n' "$NSU_OUT" | grep -Eq -- "$2"; then
		pass "$1"
	else
		fail "$1" "expected nsupdate to fail with a line matching: $2" "exit $NSU_RC" "$NSU_OUT"
	fi
}

# ---------------------------------------------------------------- a zone to transfer

# xfr_populate: fills $ZONE through the HTTP API (master token, ONE_ZONE=1):
# A, AAAA, TXT, an RRset of two, a CNAME, a wildcard, an underscore name and
# two pools: "web" (two members, no check) and "hp" whose tcp check finds
# 127.0.0.1:DNS_PORT up and 127.0.0.3:DNS_PORT down (nothing listens there).
xfr_populate()
{
	local b ok=1
	for b in '{"subdomain":"host","ip":"192.0.2.1"}' \
		'{"subdomain":"v6","ip":"2001:db8::1"}' \
		'{"subdomain":"txt","type":"TXT","value":"hello world"}' \
		'{"subdomain":"multi","ip":["192.0.2.2","192.0.2.3"],"ttl":120}' \
		"{\"subdomain\":\"alias\",\"type\":\"CNAME\",\"value\":\"host.$ZONE\"}" \
		'{"subdomain":"*.wild","ip":"192.0.2.50"}' \
		'{"subdomain":"_acme-challenge.host","type":"TXT","value":"tok-123"}'; do
		upd "$MASTER" "$b"
		[ "$H_CODE" = 200 ] || { ok=0; fail "POST /update $b" "HTTP $H_CODE: $H_BODY"; }
	done
	[ $ok = 1 ] && pass "seven records created through POST /update"
	api "$MASTER" PUT /pools/web \
		'{"policy":"round-robin","members":[{"ip":"192.0.2.21"},{"ip":"192.0.2.22"}],"answers":2,"ttl":45}'
	assert_status "PUT /pools/web (two members, no check)" 200
	api "$MASTER" PUT /pools/hp "{\"policy\":\"failover\",\"members\":[{\"ip\":\"127.0.0.1\"},{\"ip\":\"127.0.0.3\"}],\"answers\":2,\"ttl\":30,\"check\":{\"type\":\"tcp\",\"port\":$DNS_PORT,\"interval\":0.2,\"timeout\":0.2,\"rise\":1,\"fall\":1}}"
	assert_status "PUT /pools/hp (tcp check: 127.0.0.1 up, 127.0.0.3 down)" 200
	hp_one() { [ "$(jv '[m["up"] for m in j["members"]]' "$(curl -s -m 2 -H "Authorization: Bearer $MASTER" \
		"http://127.0.0.1:$HTTP_PORT/pools/hp")")" = '[true,false]' ]; }
	if wait_until $((5000 * SLOW)) hp_one; then
		pass "pool hp: 127.0.0.3 is down, 127.0.0.1 up"
	else
		fail "pool hp: 127.0.0.3 is down, 127.0.0.1 up within $((5 * SLOW)) s" \
			"$(curl -s -m 2 -H "Authorization: Bearer $MASTER" "http://127.0.0.1:$HTTP_PORT/pools/hp")"
	fi
	hp_dns() { [ "$(short_at "$DNS_PORT" "hp.$ZONE" A)" = 127.0.0.1 ]; }
	wait_until $((3000 * SLOW)) hp_dns
	# transfers take a health change with the writer's next once-a-second
	# pass, after DNS answers: wait until an AXFR leaves the member out too
	hp_xfr() {
		xp q 127.0.0.1 "$DNS_PORT" "$ZONE" AXFR --key "$(keyspec "$XFR_KEY" "$XFR_SECRET")"
		[ "$(xp_field rcode)" = NOERROR ] && ! xp_rrs | grep -q "^hp\.$ZONE\. .* 127\.0\.0\.3\$"
	}
	if ! wait_until $((3000 * SLOW)) hp_xfr; then
		fail "pool hp: an AXFR leaves the down member out within $((3 * SLOW)) s" "$(xp_rrs | grep '^hp')"
	fi
	serial_settled
}

# serial_settled: waits (at most 3 s) until the primary's SOA serial stays
# the same for 300 ms (a pool member's state change commits asynchronously).
serial_settled()
{
	local a b end=$(($(now_ms) + 3000 * SLOW))
	a=$(serial_at "$DNS_PORT" "$ZONE")
	while [ "$(now_ms)" -lt "$end" ]; do
		sleep 0.3
		b=$(serial_at "$DNS_PORT" "$ZONE")
		[ "$a" = "$b" ] && return 0
		a=$b
	done
	return 1
}

# listen_tcp ADDR PORT SECONDS: a TCP listener in the background (BG_PIDS)
# that accepts and closes connections, for a health check to find.
listen_tcp()
{
	"$PY" -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(16); s.settimeout(0.2)
end = time.time() + float(sys.argv[3])
while time.time() < end:
    try:
        c, _ = s.accept(); c.close()
    except socket.timeout:
        pass
' "$1" "$2" "$3" &
	BG_PIDS+=("$!")
	LISTEN_PID=$!
}

# follow_checks PORT WHAT: the secondary at 127.0.0.1:PORT (called WHAT in
# the check names) follows the primary: an HTTP change, a delete, a burst of
# changes and a pool member coming up each reach it within the limit.
follow_checks()
{
	local p=$1 who=$2 i s
	upd "$MASTER" '{"subdomain":"host","ip":"192.0.2.9"}'
	assert_status "POST /update host 192.0.2.9" 200
	if wait_short "$p" "host.$ZONE" A 192.0.2.9 $((1000 * SLOW)); then
		pass "$who serves the HTTP update within $((SLOW)) s (took $WAIT_MS ms)"
	else
		fail "$who serves the HTTP update within $((SLOW)) s" \
			"primary: $(short_at "$DNS_PORT" "host.$ZONE" A) serial $(serial_at "$DNS_PORT" "$ZONE")" \
			"$who: $(short_at "$p" "host.$ZONE" A) serial $(serial_at "$p" "$ZONE")"
	fi
	assert_eventually "$who: the same SOA serial as the primary after the update" 2 \
		serial_as_primary "$p"
	assert_eq "$who: v6 AAAA before its delete" 2001:db8::1 "$(short_at "$p" "v6.$ZONE" AAAA)"
	api "$MASTER" DELETE "/records/v6"
	assert_status "DELETE /records/v6" 200
	if wait_short "$p" "v6.$ZONE" AAAA "" $((1000 * SLOW)); then
		secq "$p" +norec "v6.$ZONE" AAAA
		assert_eq "$who: the deleted name is NXDOMAIN within $SLOW s (took $WAIT_MS ms)" NXDOMAIN "$(q_status)"
	else
		fail "$who: the deleted name is gone within $SLOW s" "$(short_at "$p" "v6.$ZONE" AAAA)"
	fi
	for i in 1 2 3 4 5; do
		upd "$MASTER" "{\"subdomain\":\"burst\",\"type\":\"TXT\",\"value\":\"v$i\"}"
	done
	assert_status "five TXT updates in a row" 200
	s=$(serial_at "$DNS_PORT" "$ZONE")
	if wait_short "$p" "burst.$ZONE" TXT '"v5"' $((2000 * SLOW)); then
		pass "$who: the last of five quick updates within $((2 * SLOW)) s (took $WAIT_MS ms)"
	else
		fail "$who: the last of five quick updates within $((2 * SLOW)) s" "got: $(short_at "$p" "burst.$ZONE" TXT)"
	fi
	eventually_eq "$who: serial after the burst" "$s" 2 serial_at "$p" "$ZONE"
	assert_eq "$who: pool hp before its member comes up: the healthy one only" 127.0.0.1 \
		"$(short_at "$p" "hp.$ZONE" A)"
	listen_tcp 127.0.0.3 "$DNS_PORT" $((60 * SLOW))
	if wait_short "$p" "hp.$ZONE" A "127.0.0.1 127.0.0.3" $((3000 * SLOW)); then
		pass "$who: pool hp's member coming up is transferred within $((3 * SLOW)) s (took $WAIT_MS ms)"
	else
		fail "$who: pool hp's member coming up is transferred within $((3 * SLOW)) s" \
			"primary hp A: $(short_at "$DNS_PORT" "hp.$ZONE" A)" "$who hp A: $(short_at "$p" "hp.$ZONE" A)"
	fi
	kill -TERM "$LISTEN_PID" 2>/dev/null
	if wait_short "$p" "hp.$ZONE" A 127.0.0.1 $((3000 * SLOW)); then
		pass "$who: pool hp's member going down again is transferred within $((3 * SLOW)) s"
	else
		fail "$who: pool hp's member going down again is transferred within $((3 * SLOW)) s" \
			"primary hp A: $(short_at "$DNS_PORT" "hp.$ZONE" A)" "$who hp A: $(short_at "$p" "hp.$ZONE" A)"
	fi
	serial_settled
	assert_eventually "$who: the primary's serial once the pool settled" 2 serial_as_primary "$p"
}

# serial_as_primary PORT: 127.0.0.1:PORT serves the primary's SOA serial for
# $ZONE (prints both).
serial_as_primary()
{
	local a b
	a=$(serial_at "$DNS_PORT" "$ZONE")
	b=$(serial_at "$1" "$ZONE")
	echo "primary: serial $a; 127.0.0.1:$1: serial $b"
	[ -n "$a" ] && [ "$a" = "$b" ]
}

# refusal_checks: AXFR of $ZONE is refused to a source outside
# transfer.allow, unsigned, or signed with an unknown key or a wrong secret.
refusal_checks()
{
	xp q 127.0.0.1 "$DNS_PORT" "$ZONE" AXFR --key "$(keyspec "$XFR_KEY" "$XFR_SECRET")"
	assert_eq "AXFR from 127.0.0.1 signed with $XFR_KEY: NOERROR" NOERROR "$(xp_field rcode)"
	xp q 127.0.0.1 "$DNS_PORT" "$ZONE" AXFR --src 127.0.0.2 --key "$(keyspec "$XFR_KEY" "$XFR_SECRET")"
	assert_eq "AXFR from 127.0.0.2 (not in transfer.allow), signed: REFUSED" REFUSED "$(xp_field rcode)"
	assert_eq "AXFR from 127.0.0.2: no records" "" "$(xp_rrs)"
	xp q 127.0.0.1 "$DNS_PORT" "$ZONE" AXFR
	assert_eq "unsigned AXFR (transfer.tsig set): REFUSED" REFUSED "$(xp_field rcode)"
	assert_eq "unsigned AXFR: no records" "" "$(xp_rrs)"
	xp q 127.0.0.1 "$DNS_PORT" "$ZONE" AXFR --key "$(keyspec no-such-key "$XFR_SECRET")"
	assert_eq "AXFR signed with an unknown key: NOTAUTH / BADKEY" "NOTAUTH BADKEY" \
		"$(xp_field rcode) $(xp_field tsig)"
	xp q 127.0.0.1 "$DNS_PORT" "$ZONE" AXFR --key "$(keyspec "$XFR_KEY" "$(tsig_secret)")"
	assert_eq "AXFR signed with a wrong secret: NOTAUTH / BADSIG" "NOTAUTH BADSIG" \
		"$(xp_field rcode) $(xp_field tsig)"
	assert_eq "AXFR with a wrong secret: no records" "" "$(xp_rrs)"
}

# ---------------------------------------------------------------- xfrprobe

cat >"$T_DIR/xfrprobe.py" <<'PYEOF'
#!/usr/bin/python3
"""xfrprobe.py - DNS client for the transfer, TSIG and UPDATE tests.

  q HOST PORT QNAME QTYPE [--tcp|--udp] [--src ADDR] [--key ALG:NAME:SECRET]
        [--serial N] [--skew SECONDS]
      one query (default: AXFR/IXFR over TCP, read to the end, others over
      UDP); prints
      "rcode R", "tsig T" (none, verified, BADKEY, BADSIG, BADTIME, unsigned,
      unverified, bad), "flags F", "msgs N", "complete yes|no" and one
      "rr NAME TTL CLASS TYPE RDATA" line per answer record, in order.
  ixfrcheck HOST PORT ZONE OLD_SERIAL OLD_SNAPSHOT [--key ...]
      an IXFR from OLD_SERIAL: RFC 1995 incremental form, chained serials,
      signed when a key is given, only the differences; applied to the old
      AXFR snapshot (a file of "rr" lines) it gives the current AXFR.
  compare PRIMARY_PORT SECONDARY_PORT ZONE [--key ...]
      every RRset of the primary's AXFR is served the same by the secondary.
  notifylisten PORT OUTFILE SECONDS [--key ...]
      answers NOTIFY on 127.0.0.1:PORT (UDP) and appends one line per message
      to OUTFILE: "notify ZONE serial S tsig T".
PASS/FAIL lines are in lib.sh's py_checks format.  Every socket has a timeout.
"""
import base64
import os
import socket
import struct
import sys
import time

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig

SLOW = int(os.environ.get("SLOW", "1"))
FAILED = 0


def check(ok, desc, *detail):
    global FAILED
    if ok:
        print("PASS " + desc)
    else:
        FAILED += 1
        print("FAIL " + desc)
        for d in detail:
            for line in str(d).splitlines()[:60]:
                print("    " + line)
    sys.stdout.flush()
    return ok


def opts(args):
    o = {"tcp": None, "src": None, "key": None, "serial": None, "skew": 0}
    rest = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--tcp":
            o["tcp"] = True
        elif a == "--udp":
            o["tcp"] = False
        elif a in ("--src", "--key", "--serial", "--skew"):
            o[a[2:]] = args[i + 1]
            i += 1
        else:
            rest.append(a)
        i += 1
    if o["key"]:
        alg, name, secret = o["key"].split(":", 2)
        o["key"] = dns.tsig.Key(name, base64.b64decode(secret), alg)
    return o, rest


def rr_lines(rrsets):
    out = []
    for rrset in rrsets:
        for rd in rrset:
            out.append("%s %d %s %s %s" % (
                rrset.name.to_text().lower(), rrset.ttl, dns.rdataclass.to_text(rrset.rdclass),
                dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
    return out


def recv_exact(s, n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError("connection closed after %d of %d bytes" % (len(b), n))
        b += c
    return b


class Result:
    def __init__(self):
        self.rcode = None
        self.tsig = "none"
        self.flags = ""
        self.msgs = 0
        self.rrs = []
        self.complete = False
        self.error = None


def parse(wire, q, key, ctx, multi, res):
    """Parses one reply; returns the message (or None) and sets res.tsig."""
    if res.rcode is None:
        res.rcode = dns.rcode.to_text(wire[3] & 0x0F) if len(wire) >= 4 else "SHORT"
    try:
        m = dns.message.from_wire(wire, keyring=key, request_mac=q.mac if key else b"",
                                  xfr=q.question[0].rdtype in (dns.rdatatype.AXFR, dns.rdatatype.IXFR),
                                  origin=None, tsig_ctx=ctx, multi=multi, one_rr_per_rrset=True)
    except dns.tsig.PeerBadKey:
        res.tsig = "BADKEY"
        return None
    except dns.tsig.PeerBadSignature:
        res.tsig = "BADSIG"
        return None
    except dns.tsig.PeerBadTime:
        res.tsig = "BADTIME"
        return None
    except dns.message.UnknownTSIGKey:
        res.tsig = "unverified"
        return None
    except Exception as e:  # noqa: BLE001
        res.tsig = "bad"
        res.error = "%s: %s" % (type(e).__name__, e)
        return None
    res.rcode = dns.rcode.to_text(m.rcode())
    if key is not None:
        if m.had_tsig:
            if res.tsig in ("none", "verified"):
                res.tsig = "verified"
        elif not multi:
            res.tsig = "unsigned"
    elif m.had_tsig:
        res.tsig = "unverified"
    return m


def xfr_done(q, rrs):
    """True when the answer records so far make a whole AXFR or IXFR."""
    soas = [r for r in rrs if r.split()[3] == "SOA"]
    if not soas or rrs[0].split()[3] != "SOA":
        return False
    serial = rrs[0].split()[6]
    if q.question[0].rdtype == dns.rdatatype.AXFR:
        return len(soas) >= 2 and rrs[-1].split()[3] == "SOA"
    if len(rrs) == 1:
        return True   # IXFR: the asker is current (decided by the caller)
    if rrs[1].split()[3] != "SOA":      # AXFR-style IXFR
        return len(soas) >= 2 and rrs[-1].split()[3] == "SOA"
    same = [r for r in soas if r.split()[6] == serial]
    return len(same) >= 3 and rrs[-1].split()[3] == "SOA"


def query(host, port, qname, qtype, o):
    res = Result()
    qt = dns.rdatatype.from_text(qtype)
    q = dns.message.make_query(qname, qt, use_edns=False)
    q.flags &= ~dns.flags.RD
    if o["serial"] is not None:
        soa = dns.rrset.from_text(dns.name.from_text(qname), 0, "IN", "SOA",
                                  ". . %s 0 0 0 0" % o["serial"])
        q.authority.append(soa)
    key = o["key"]
    if key is not None:
        q.use_tsig(key)
        if int(o["skew"]):
            real = time.time
            dns.message.time.time = lambda: real() + int(o["skew"])
            try:
                wire = q.to_wire()
            finally:
                dns.message.time.time = real
        else:
            wire = q.to_wire()
    else:
        wire = q.to_wire()
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    src = (o["src"], 0) if o["src"] else None
    tmo = 3.0 * SLOW
    if o["tcp"] is None:
        o["tcp"] = qt in (dns.rdatatype.AXFR, dns.rdatatype.IXFR)
    if not o["tcp"]:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(tmo)
        try:
            if src:
                s.bind(src)
            s.sendto(wire, (host, port))
            data, _ = s.recvfrom(65535)
        except Exception as e:  # noqa: BLE001
            res.error = "%s: %s" % (type(e).__name__, e)
            return res
        finally:
            s.close()
        res.msgs = 1
        m = parse(data, q, key, None, False, res)
        res.flags = dns.flags.to_text(data[2] << 8 | data[3]) if len(data) >= 4 else ""
        if m is not None:
            res.rrs = rr_lines(m.answer)
        res.complete = True
        return res
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(tmo)
    try:
        if src:
            s.bind(src)
        s.connect((host, port))
        s.sendall(struct.pack("!H", len(wire)) + wire)
        ctx = None
        deadline = time.time() + 20 * SLOW
        while time.time() < deadline:
            n = struct.unpack("!H", recv_exact(s, 2))[0]
            data = recv_exact(s, n)
            res.msgs += 1
            if res.msgs == 1:
                res.flags = dns.flags.to_text(data[2] << 8 | data[3]) if len(data) >= 4 else ""
            m = parse(data, q, key, ctx, res.msgs > 1, res)
            if m is None:
                break
            if key is not None and m.had_tsig:
                ctx = m.tsig_ctx
            res.rrs += rr_lines(m.answer)
            if m.rcode() != dns.rcode.NOERROR:
                break
            if qt not in (dns.rdatatype.AXFR, dns.rdatatype.IXFR):
                res.complete = True
                break
            if xfr_done(q, res.rrs):
                res.complete = True
                break
            if not res.rrs:
                break
    except Exception as e:  # noqa: BLE001
        res.error = "%s: %s" % (type(e).__name__, e)
    finally:
        s.close()
    return res


def show(res):
    if res.rcode is None:
        res.rcode = "NO-REPLY(%s)" % (res.error or "").split(":")[0]
    print("rcode %s" % res.rcode)
    print("tsig %s" % res.tsig)
    print("flags %s" % res.flags)
    print("msgs %d" % res.msgs)
    print("complete %s" % ("yes" if res.complete else "no"))
    if res.error:
        print("error %s" % res.error)
    for r in res.rrs:
        print("rr " + r)


def cmd_q(args):
    o, rest = opts(args)
    host, port, qname, qtype = rest[0], int(rest[1]), rest[2], rest[3]
    show(query(host, port, qname, qtype, o))
    return 0


def key_of(rr):
    """(name, type, rdata) of an "rr" line: TTL and class left out."""
    f = rr.split(None, 4)
    return (f[0], f[3], f[4] if len(f) > 4 else "")


def cmd_ixfrcheck(args):
    o, rest = opts(args)
    host, port, zone, old, snap = rest[0], int(rest[1]), rest[2], int(rest[3]), rest[4]
    old_rrs = [l.rstrip("\n") for l in open(snap) if l.strip()]
    o["tcp"] = True
    cur = query(host, port, zone, "AXFR", dict(o))
    o2 = dict(o)
    o2["serial"] = str(old)
    ix = query(host, port, zone, "IXFR", o2)
    detail = ["IXFR records:"] + ix.rrs + ["error: %s" % ix.error]
    if not check(ix.rcode == "NOERROR" and ix.complete, "IXFR from serial %d: a complete NOERROR reply" % old,
                 "rcode %s, complete %s" % (ix.rcode, ix.complete), *detail):
        return 1
    if o["key"] is not None:
        check(ix.tsig == "verified", "IXFR from serial %d: signed with the key, verified" % old,
              "tsig: %s" % ix.tsig)
    if not check(cur.rcode == "NOERROR" and cur.complete, "AXFR (for comparison) complete",
                 "rcode %s" % cur.rcode, *cur.rrs):
        return 1
    cur_serial = int(cur.rrs[0].split()[6])
    rrs = ix.rrs
    soa = lambda r: r.split()[3] == "SOA"  # noqa: E731
    ser = lambda r: int(r.split()[6])      # noqa: E731
    ok = (len(rrs) >= 4 and soa(rrs[0]) and ser(rrs[0]) == cur_serial and soa(rrs[1])
          and ser(rrs[1]) == old and soa(rrs[-1]) and ser(rrs[-1]) == cur_serial)
    if not check(ok, "IXFR from %d: incremental form SOA(%d) SOA(%d) ... SOA(%d)"
                 % (old, cur_serial, old, cur_serial), *detail):
        return 1
    # walk the difference sequences
    zone_set = {key_of(r): r for r in old_rrs if not soa(r)}
    i = 1
    frm = old
    seqs = 0
    problems = []
    while i < len(rrs) - 1:
        if not soa(rrs[i]) or ser(rrs[i]) != frm:
            problems.append("record %d: expected SOA %d starting a deletion list: %s" % (i, frm, rrs[i]))
            break
        i += 1
        while i < len(rrs) and not soa(rrs[i]):
            k = key_of(rrs[i])
            if k not in zone_set:
                problems.append("deletes a record the zone did not hold: " + rrs[i])
            zone_set.pop(k, None)
            i += 1
        if i >= len(rrs) - 1:
            problems.append("a deletion list without the SOA of its additions")
            break
        to = ser(rrs[i])
        i += 1
        while i < len(rrs) and not soa(rrs[i]):
            zone_set[key_of(rrs[i])] = rrs[i]
            i += 1
        seqs += 1
        frm = to
    if frm != cur_serial and not problems:
        problems.append("the last difference sequence ends at serial %d, not %d" % (frm, cur_serial))
    check(not problems, "IXFR from %d: %d difference sequence(s) chained from %d to %d"
          % (old, seqs, old, cur_serial), *(problems + detail))
    want = sorted(r for r in cur.rrs if not soa(r))
    got = sorted(zone_set.values())
    check(want == got, "IXFR from %d applied to the AXFR at %d gives the current AXFR" % (old, old),
          "missing: %s" % sorted(set(want) - set(got)), "extra: %s" % sorted(set(got) - set(want)))
    unchanged = {key_of(r) for r in old_rrs if not soa(r)} & {key_of(r) for r in cur.rrs if not soa(r)}
    carried = [r for r in rrs if not soa(r) and key_of(r) in unchanged]
    check(not carried,
          "IXFR from %d: only the differences (%d records, AXFR %d)" % (old, len(rrs), len(cur.rrs)),
          "unchanged records in the IXFR: %s" % carried)
    return 0


def cmd_compare(args):
    o, rest = opts(args)
    pport, sport, zone = int(rest[0]), int(rest[1]), rest[2]
    o["tcp"] = True
    ax = query("127.0.0.1", pport, zone, "AXFR", dict(o))
    if not check(ax.rcode == "NOERROR" and ax.complete, "AXFR from the primary for the comparison",
                 "rcode %s tsig %s error %s" % (ax.rcode, ax.tsig, ax.error), *ax.rrs):
        return 1
    sets = {}
    for r in ax.rrs[:-1]:
        f = r.split(None, 4)
        sets.setdefault((f[0], f[3]), set()).add((int(f[1]), f[4]))
    bad = []
    plain = {"tcp": None, "src": None, "key": None, "serial": None, "skew": 0}
    for (name, rtype), want in sorted(sets.items()):
        res = query("127.0.0.1", sport, name, rtype, dict(plain))
        if "TC" in res.flags.split():
            p2 = dict(plain)
            p2["tcp"] = True
            res = query("127.0.0.1", sport, name, rtype, p2)
        got = set()
        for r in res.rrs:
            f = r.split(None, 4)
            if f[0] == name and f[3] == rtype:
                got.add((int(f[1]), f[4]))
        if res.rcode != "NOERROR" or got != want or "AA" not in res.flags.split():
            bad.append("%s %s: primary %s; secondary %s %s flags %s" % (
                name, rtype, sorted(want), res.rcode, sorted(got), res.flags))
    check(not bad, "the secondary serves all %d RRsets of the primary's AXFR alike (TTLs too)" % len(sets),
          *bad)
    print("NOTE compared RRsets: %d" % len(sets))
    return 0


def cmd_notifylisten(args):
    o, rest = opts(args)
    port, outfile, secs = int(rest[0]), rest[1], float(rest[2])
    key = o["key"]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    s.settimeout(0.2)
    end = time.time() + secs
    while time.time() < end:
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        tsig = "none"
        m = None
        try:
            m = dns.message.from_wire(data, keyring=key if key else None)
            tsig = "verified" if m.had_tsig else "unsigned"
        except dns.message.UnknownTSIGKey:
            tsig = "unknown-key"
        except dns.tsig.BadSignature:
            tsig = "BADSIG"
        except dns.tsig.BadTime:
            tsig = "BADTIME"
        except Exception as e:  # noqa: BLE001
            tsig = "bad(%s)" % type(e).__name__
        if m is None:
            try:
                m = dns.message.from_wire(data, keyring=False)
            except Exception:  # noqa: BLE001
                m = None
        line = "notify ? serial ? tsig %s opcode ?" % tsig
        if m is not None:
            serial = "-"
            for rrset in m.answer:
                if rrset.rdtype == dns.rdatatype.SOA:
                    serial = str(rrset[0].serial)
            line = "notify %s serial %s tsig %s opcode %s aa %d" % (
                m.question[0].name.to_text().lower() if m.question else "?", serial, tsig,
                dns.opcode.to_text(m.opcode()), 1 if m.flags & dns.flags.AA else 0)
            r = dns.message.make_response(m)
            r.flags |= dns.flags.AA
            try:
                s.sendto(r.to_wire(), peer)
            except Exception:  # noqa: BLE001
                pass
        with open(outfile, "a") as f:
            f.write("%.3f %s\n" % (time.time(), line))
    return 0


def main():
    cmd = sys.argv[1]
    args = sys.argv[2:]
    if cmd == "q":
        return cmd_q(args)
    if cmd == "ixfrcheck":
        cmd_ixfrcheck(args)
    elif cmd == "compare":
        cmd_compare(args)
    elif cmd == "notifylisten":
        return cmd_notifylisten(args)
    else:
        print("usage: see the docstring")
        return 2
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
PYEOF

# primary_for BIN: for the tests with another server as secondary.  Skips the
# test (TAP SKIP) when BIN is not installed; otherwise picks the ports (the
# peer's in PEER_PORT), starts ddnsd as the TSIG-protected primary of $ZONE
# with NOTIFY to 127.0.0.1:$PEER_PORT, and fills it with xfr_populate.
PEER_PORT=
primary_for()
{
	if [ ! -x "$1" ]; then
		skip "$1 as a secondary: not installed (tools/deps.sh --test installs it)"
		exit 0
	fi
	pick_ports
	PEER_PORT=$("$PY" "$SYS_DIR/ports.py" 1)
	[ "$PEER_PORT" != "$DNS_PORT" ] && [ "$PEER_PORT" != "$HTTP_PORT" ] ||
		PEER_PORT=$("$PY" "$SYS_DIR/ports.py" 1)
	ONE_ZONE=1
	ZONE_XFR[$ZONE]="{ allow: [127.0.0.1], notify: [\"127.0.0.1:$PEER_PORT\"], tsig: $XFR_KEY }"
	key_yaml "$XFR_KEY" hmac-sha256 "$XFR_SECRET"
	write_xfr_config
	init_db || exit 1
	start_daemon || exit 1
	wait_http || exit 1
	xfr_populate
}

