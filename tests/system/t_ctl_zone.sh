#!/bin/bash
# t_ctl_zone.sh - ddnsctl zone export / import against the real daemon: the
# export passes named-checkzone and kzonecheck; export, a fresh daemon on an
# empty database, import: every name answers exactly as before (A, AAAA,
# TXT with spaces, quotes and backslashes, CNAME in and out of the zone,
# wildcards, the apex); a file with several bad lines exits 1 with every
# error as FILE:LINE: reason and changes nothing; a successful import leaves
# the SOA serial above the previous one, also when the file's is lower, and
# by RFC 1982 serial arithmetic (4294967295 over 73 gives 74, logged).
. "$(dirname "$0")/lib.sh"

write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
wait_ctl || exit 1
Z=$ZONE

# ---- content
SETS=0
SETS_BAD=()
set_ok()
{
	SETS=$((SETS + 1))
	ctl record set "$@"
	[ "$CTL_RC" = 0 ] && [ -z "$CTL_ERR" ] || SETS_BAD+=("record set $*: exit $CTL_RC: $CTL_ERR")
}
set_ok "ns1.$Z" A 192.0.2.53
set_ok "ns2.$Z" A 192.0.2.54
set_ok "ns2.$Z" AAAA 2001:db8::54
set_ok "$Z" A 192.0.2.99
set_ok "$Z" TXT "v=spf1 -all"
set_ok "www.$Z" A 192.0.2.1 192.0.2.2 --ttl 60
set_ok "www.$Z" AAAA 2001:db8::1 2001:db8::2 --ttl 120
set_ok "txt.$Z" TXT "hello world" 'say "hi"' "semi;colon" 'back\slash' "  leading and trailing  " \
	'(paren) $dollar @at'
set_ok "_acme-challenge.www.$Z" TXT "acme-token_1" --ttl 30
set_ok "alias.$Z" CNAME "www.$Z"
set_ok "out.$Z" CNAME "target.elsewhere.test"
set_ok "*.wild.$Z" A 192.0.2.50
set_ok "*.wild.$Z" TXT "wild text"
set_ok "deep.a.b.$Z" A 192.0.2.60 --ttl 604800
set_ok "*.$Z" AAAA 2001:db8::ff
set_ok "host.$ZONE2" A 192.0.2.200
if [ "${#SETS_BAD[@]}" = 0 ]; then
	pass "zone content set with ddnsctl record set ($SETS sets, each exit 0)"
else
	fail "zone content set with ddnsctl record set" "${SETS_BAD[@]}"
fi

# ---- the queries to compare: every name and type, wildcard expansions,
# an empty non-terminal, a missing name, the apex
ctl --json record list "$Z"
names=$(jv '"\n".join(sorted(set(r["name"] for r in j["records"])))' "$CTL_OUT")
QUERIES=()
for n in $names "foo.wild.$Z" "x.y.wild.$Z" "anything.$Z" "b.$Z" "a.b.$Z" "nope.wild.nope.$Z"; do
	for t in A AAAA TXT CNAME; do QUERIES+=("$n $t"); done
done
QUERIES+=("$Z SOA" "$Z NS" "WwW.$Z A" "ns1.$Z ANY")

# answers: for every query, "NAME TYPE: RCODE" and the answer section
# (TTLs kept, the SOA serial masked), from one dnspython process.
answers()
{
	printf '%s\n' "${QUERIES[@]}" | "$PY" -c '
import sys
import dns.flags, dns.message, dns.query, dns.rcode, dns.rdatatype
port = int(sys.argv[1])
for line in sys.stdin:
    name, t = line.split()
    q = dns.message.make_query(name, t)
    q.flags &= ~dns.flags.RD
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
        if r.flags & dns.flags.TC:
            r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=2)
    except Exception as e:
        print("%s %s: %r" % (name, t, e))
        continue
    print("%s %s: %s" % (name, t, dns.rcode.to_text(r.rcode())))
    rows = []
    for rrset in r.answer:
        for rr in rrset.to_text().splitlines():
            f = rr.split()
            if f[3] == "SOA":
                f[6] = "SERIAL"
            rows.append("  " + " ".join(f))
    for row in sorted(rows):
        print(row)
' "$DNS_PORT" 2>&1
}

# same_answers DESC FILE: answers now are those in FILE (one check).
same_answers()
{
	local now
	now=$(answers)
	if [ "$now" = "$(cat "$2")" ]; then
		pass "$1 (${#QUERIES[@]} queries)"
	else
		fail "$1" "$(diff "$2" <(printf '%s\n' "$now") | head -n 40)"
	fi
}

answers >"$T_DIR/answers.1"
assert_match "sanity: the TXT with quotes answers" '^  txt\.example\.test\. 300 IN TXT "say \\"hi\\""$' \
	"$(cat "$T_DIR/answers.1")"
assert_match "sanity: a wildcard expansion answers" '^  foo\.wild\.example\.test\. 300 IN A 192\.0\.2\.50$' \
	"$(cat "$T_DIR/answers.1")"

# ---- export
ctl zone export "$Z"
assert_ctl_ok "zone export $Z"
printf '%s\n' "$CTL_OUT" >"$T_DIR/export.zone"
assert_match "export: \$ORIGIN" "^\\\$ORIGIN $Z\\.\$" "$CTL_OUT"
assert_nomatch "export: nothing of $ZONE2" "$ZONE2|192\\.0\\.2\\.200" "$CTL_OUT"
out=$(named-checkzone -q "$Z" "$T_DIR/export.zone" 2>&1)
assert_eq "named-checkzone -q accepts the export" "0 " "$? $out"
out=$(kzonecheck -o "$Z" "$T_DIR/export.zone" 2>&1)
rc=$?
assert_eq "kzonecheck accepts the export" 0 "$rc"
[ $rc = 0 ] || note "$out"
out=$(named-checkzone -D -o - "$Z" "$T_DIR/export.zone" 2>/dev/null)
assert_match "named-checkzone reads the TXT with quotes" "^txt\\.$Z\\.[[:space:]]+300[[:space:]]+IN[[:space:]]+TXT[[:space:]]+\"say \\\\\"hi\\\\\"\"\$" "$out"
assert_match "named-checkzone reads the out-of-zone CNAME target" "^out\\.$Z\\.[[:space:]]+300[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+target\\.elsewhere\\.test\\.\$" "$out"
assert_match "named-checkzone reads the wildcard" "^\\*\\.wild\\.$Z\\.[[:space:]]+300[[:space:]]+IN[[:space:]]+A[[:space:]]+192\\.0\\.2\\.50\$" "$out"
ctl --json zone export "$Z"
assert_json "zone export --json: the same text" 'j["text"].rstrip("\n")' "$(cat "$T_DIR/export.zone")" "$CTL_OUT"
ctl zone export nozone.test
assert_ctl_fail "zone export of an unknown zone" "no zone nozone\\.test"
serial1=$(soa_serial "$Z")

# ---- a fresh daemon on an empty database, then import
stop_daemon
mv "$DB" "$T_DIR/first.db"
rm -f "$DB-wal" "$DB-shm"
init_db || exit 1
start_daemon || exit 1
wait_ctl || exit 1
q +norec "www.$Z" A
check_negative "the fresh daemon has no www" NXDOMAIN
s0=$(soa_serial "$Z")
cd "$T_DIR" || exit 1
ctl zone import "$Z" export.zone
assert_ctl_ok "zone import $Z export.zone (a path relative to the cwd)"
assert_match "zone import: reply" "^zone $Z imported: 0 records replaced by [0-9]+, serial [0-9]+\$" "$CTL_OUT"
cd "$ROOT" || exit 1
s1=$(soa_serial "$Z")
if [ -n "$s1" ] && [ "$s1" -gt "$s0" ]; then
	pass "import: SOA serial $s1 > $s0 (before)"
else
	fail "import: SOA serial greater than before" "before $s0, after $s1"
fi
assert_match "zone import: the reply's serial is the served one" "serial $s1\$" "$CTL_OUT"
same_answers "after export, fresh database, import: every answer as on the first daemon" "$T_DIR/answers.1"
ctl zone export "$Z"
assert_eq "export after the import: the same records" \
	"$(grep -v '; serial' "$T_DIR/export.zone")" "$(printf '%s\n' "$CTL_OUT" | grep -v '; serial')"
q +norec "host.$ZONE2" A
check_negative "$ZONE2 untouched (was never in this database)" NXDOMAIN "$ZONE2"

# ---- a file with errors: exit 1, every error with FILE:LINE, nothing changed
ctl record set "host.$ZONE2" A 192.0.2.201
answers >"$T_DIR/answers.2"
a2_rows=$(sqlite3 "$DB" 'SELECT count(*) FROM records;')
s2=$(soa_serial "$Z")
cat >"$T_DIR/bad.zone" <<EOF
\$ORIGIN $Z.
\$TTL 300
ok1 IN A 192.0.2.1
bad1 IN A 999.1.1.1
bad2 IN MX 10 mail
bad..name IN A 192.0.2.1
ok2 IN TXT "fine"
x IN AAAA nothex
host.$ZONE2. IN A 192.0.2.1
y IN A
z IN TXT "unterminated
EOF
cd "$T_DIR" || exit 1
ctl zone import "$Z" bad.zone
cd "$ROOT" || exit 1
assert_eq "import of a file with errors: exit 1" 1 "$CTL_RC"
assert_eq "import of a file with errors: nothing on stdout" "" "$CTL_OUT"
for l in 4 5 6 8 9 10 11; do
	assert_match "import error for line $l as FILE:LINE: reason" "^(ddnsctl: )?bad\\.zone:$l: [^ ]" "$CTL_ERR"
done
assert_nomatch "no error for the good lines 3 and 7" "bad\\.zone:(3|7):" "$CTL_ERR"
assert_match "the last stderr line starts with ddnsctl:" '^ddnsctl: ' "$(printf '%s\n' "$CTL_ERR" | tail -n 1)"
assert_eq "every stderr line but the last is a FILE:LINE error" $(($(ctl_lines "$CTL_ERR") - 1)) \
	"$(printf '%s\n' "$CTL_ERR" | head -n -1 | grep -Ec '^bad\.zone:[0-9]+: ')"
same_answers "after the refused import: every answer as before" "$T_DIR/answers.2"
assert_eq "after the refused import: SOA serial unchanged" "$s2" "$(soa_serial "$Z")"
assert_eq "after the refused import: records table unchanged" "$a2_rows" \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM records;')"

# a file that parses but breaks a rule: a CNAME beside an A
cat >"$T_DIR/conflict.zone" <<EOF
\$ORIGIN $Z.
\$TTL 300
fresh IN A 192.0.2.70
dup IN A 192.0.2.71
dup IN CNAME www
EOF
ctl zone import "$Z" "$T_DIR/conflict.zone"
assert_eq "import with a CNAME beside an A: exit 1" 1 "$CTL_RC"
assert_match "import with a CNAME beside an A: the reason" 'CNAME' "$CTL_ERR"
same_answers "after the CNAME conflict: every answer as before" "$T_DIR/answers.2"
assert_eq "after the CNAME conflict: SOA serial unchanged" "$s2" "$(soa_serial "$Z")"
printf '%s\n' "\$ORIGIN $Z." "host.$ZONE2. 300 IN A 192.0.2.9" >"$T_DIR/other.zone"
ctl zone import "$Z" "$T_DIR/other.zone"
assert_eq "import of a name of the other zone: exit 1" 1 "$CTL_RC"
assert_match "import of a name of the other zone: FILE:LINE" "^(ddnsctl: )?$T_DIR/other\\.zone:2: " "$CTL_ERR"
assert_dns "the other zone's record untouched" "host.$ZONE2" A 192.0.2.201
ctl zone import "$Z" "$T_DIR/no-such-file.zone"
assert_ctl_fail "import of a missing file" "no-such-file\\.zone"
ctl zone import nozone.test "$T_DIR/export.zone"
assert_ctl_fail "import into an unknown zone" "no zone nozone\\.test"
same_answers "after every refused import: every answer as before" "$T_DIR/answers.2"

# ---- a file whose SOA serial is lower than the current one
cat >"$T_DIR/low.zone" <<EOF
\$ORIGIN $Z.
\$TTL 600
@ IN SOA ns1 hostmaster 1 3600 600 604800 60
@ IN NS ns1
@ IN NS ns2
ns1 IN A 192.0.2.53
ns2 IN A 192.0.2.54
n 45 IN A 192.0.2.7
n IN TXT "two words; and \"more\""
EOF
s3=$(soa_serial "$Z")
ctl zone import "$Z" "$T_DIR/low.zone"
assert_ctl_ok "import of a file with SOA serial 1"
s4=$(soa_serial "$Z")
if [ -n "$s4" ] && [ "$s4" -gt "$s3" ]; then
	pass "import with a lower file serial: SOA serial $s4 > $s3"
else
	fail "import with a lower file serial: SOA serial greater than before" "before $s3, after $s4"
fi
assert_match "import reply: 4 records added" "replaced by 4, serial $s4\$" "$CTL_OUT"
q +norec "n.$Z" A
check_answer "the imported A with its TTL" NOERROR "qr aa" "n.$Z. 45 IN A 192.0.2.7"
q +norec "n.$Z" TXT
check_answer "the imported TXT with \$TTL" NOERROR "qr aa" "n.$Z. 600 IN TXT \"two words; and \\\"more\\\"\""
q +norec "www.$Z" A
check_negative "names not in the file are gone" NXDOMAIN
q +norec "foo.wild.$Z" A
check_negative "the wildcard not in the file is gone" NXDOMAIN
assert_dns "the other zone untouched by the import" "host.$ZONE2" A 192.0.2.201
ctl --json record list "$Z"
assert_json "record list after the import: exactly the file's records" \
	'sorted([r["name"], r["type"]] for r in j["records"])' \
	"[[\"n.$Z\",\"A\"],[\"n.$Z\",\"TXT\"],[\"ns1.$Z\",\"A\"],[\"ns2.$Z\",\"A\"]]" "$CTL_OUT"
ctl zone import "$Z" "$T_DIR/low.zone"
assert_ctl_ok "importing the same file again"
s5=$(soa_serial "$Z")
if [ -n "$s5" ] && [ "$s5" -ge "$s4" ]; then
	pass "the same file again: serial does not go back ($s5 >= $s4)"
else
	fail "the same file again: serial does not go back" "before $s4, after $s5"
fi

# a file with a much higher serial
cat >"$T_DIR/high.zone" <<EOF
\$ORIGIN $Z.
@ 300 IN SOA ns1 hostmaster 2030010100 3600 600 604800 60
h 300 IN A 192.0.2.8
EOF
ctl zone import "$Z" "$T_DIR/high.zone"
assert_ctl_ok "import of a file with SOA serial 2030010100"
s6=$(soa_serial "$Z")
if [ -n "$s6" ] && [ "$s6" -gt "$s5" ]; then
	pass "a higher file serial: SOA serial $s6 > $s5"
else
	fail "a higher file serial: SOA serial greater than before" "before $s5, after $s6"
fi
assert_dns "the high-serial file's record" "h.$Z" A 192.0.2.8

# ---- RFC 1982: an import never moves the serial backwards.  At 73, the
# file's 4294967295 is 74 steps *before* it (more than 2^31 ahead): the zone
# gets 74 and the log says why; a later serial (1000) is taken as it is; the
# current one again moves by one, without a warning (an edited export).
stop_daemon
sqlite3 "$DB" "UPDATE zones SET serial = 73 WHERE name = '$Z'"
# IXFR for the loopback client, to see the journal follow the import
awk -v z="  - name: $Z" '{ print } $0 == z { print "    transfer: { allow: [127.0.0.1] }" }' \
	"$CONF" >"$CONF.tmp" && mv "$CONF.tmp" "$CONF"
start_daemon || exit 1
wait_ctl || exit 1
assert_eq "serial set to 73 while stopped" 73 "$(soa_serial "$Z")"
zone_at()
{
	cat >"$T_DIR/s$1.zone" <<EOF
\$ORIGIN $Z.
@ 300 IN SOA ns1 hostmaster $1 3600 600 604800 60
h 300 IN A $2
EOF
}
zone_at 4294967295 192.0.2.9
ctl zone import "$Z" "$T_DIR/s4294967295.zone"
assert_ctl_ok "import of a file with SOA serial 4294967295 over 73"
assert_match "import reply: serial 74" "serial 74\$" "$CTL_OUT"
assert_eq "served serial: 74, not 4294967295" 74 "$(soa_serial "$Z")"
assert_eq "stored serial: 74" 74 "$(zone_serial "$Z")"
assert_dns "the file's record is served" "h.$Z" A 192.0.2.9
assert_log "the log says the file's serial was not taken" \
	"zone $Z: serial 4294967295 is not after 73 \\(RFC 1982\\); the zone gets 74\$" "$DAEMON_LOG"
ixfr_serials()
{
	dig +tcp +tries=1 +time=$((5 * SLOW)) @127.0.0.1 -p "$DNS_PORT" "$Z" IXFR="$1" 2>&1 |
		awk '$0 !~ /^;/ && $4 == "SOA" { printf "%s%s", s, $7; s = " " }'
}
assert_eq "IXFR from 73: SOA 74, then the change 73 -> 74" "74 73 74 74" "$(ixfr_serials 73)"
zone_at 1000 192.0.2.10
ctl zone import "$Z" "$T_DIR/s1000.zone"
assert_ctl_ok "import of a file with SOA serial 1000 over 74"
assert_eq "a later file serial is taken as it is: 1000" 1000 "$(soa_serial "$Z")"
assert_eq "IXFR from 73: 73 -> 74 -> 1000" "1000 73 74 74 1000 1000" "$(ixfr_serials 73)"
zone_at 1000 192.0.2.11
ctl zone import "$Z" "$T_DIR/s1000.zone"
assert_ctl_ok "import of the same serial 1000 again"
assert_eq "the same serial again: 1001" 1001 "$(soa_serial "$Z")"
assert_dns "the second file's record is served" "h.$Z" A 192.0.2.11
assert_eq "one serial warning in all (none for 1000, taken or current)" 1 \
	"$(grep -c 'is not after .* (RFC 1982)' "$DAEMON_LOG")"
stop_daemon
