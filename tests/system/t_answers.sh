#!/bin/bash
# t_answers.sh - what the server answers (INTERFACE.md "DNS behaviour"):
# AA, REFUSED outside our zones, NXDOMAIN/NODATA with the SOA, SOA and NS at
# the apex, A/AAAA/TXT/CNAME, 0x20 case echo, ANY (RFC 8482), AXFR refused.
. "$(dirname "$0")/lib.sh"

has_ipv6 && LISTEN6=1
write_config
init_db || exit 1
long=$(printf 'a%.0s' $(seq 200))$(printf 'b%.0s' $(seq 100))
add_record "$ZONE" A 192.0.2.1
add_record "home.$ZONE" A 192.0.2.10
add_record "home.$ZONE" AAAA 2001:db8::10 60
add_record "multi.$ZONE" A 192.0.2.21
add_record "multi.$ZONE" A 192.0.2.22
add_record "multi.$ZONE" A 192.0.2.23
add_record "txt.$ZONE" TXT "hello world"
add_record "txt.$ZONE" TXT "second value"
add_record "esc.$ZONE" TXT 'a "quoted" \ word;'
add_record "long.$ZONE" TXT "$long"
add_record "alias.$ZONE" CNAME "home.$ZONE"
add_record "c1.$ZONE" CNAME "c2.$ZONE"
add_record "c2.$ZONE" CNAME "home.$ZONE"
add_record "ext.$ZONE" CNAME "www.outside.invalid"
add_record "cross.$ZONE" CNAME "www.$ZONE2"
add_record "dang.$ZONE" CNAME "nothere.$ZONE"
add_record "loop1.$ZONE" CNAME "loop2.$ZONE"
add_record "loop2.$ZONE" CNAME "loop1.$ZONE"
add_record "deep.a.b.$ZONE" A 192.0.2.30
add_record "www.$ZONE2" A 198.51.100.7
add_record "stray.unconfigured.test" A 203.0.113.99
start_daemon || exit 1

serial=$(zone_serial "$ZONE")
serial2=$(zone_serial "$ZONE2")
assert_eq "zones table: serial of $ZONE starts at 1" 1 "$serial"
assert_eq "zones table: serial of $ZONE2 starts at 1" 1 "$serial2"
soa="$ZONE. IN SOA ns1.$ZONE. hostmaster.$ZONE. $serial 3600 600 604800 60"
neg="$ZONE. 60 IN SOA ns1.$ZONE. hostmaster.$ZONE. $serial 3600 600 604800 60"
neg2="$ZONE2. 30 IN SOA ns1.$ZONE2. hostmaster.$ZONE2. $serial2 7200 900 1209600 30"

# ---- apex
q +norec "$ZONE" SOA
check_answer "apex SOA" NOERROR "qr aa" -
assert_eq "apex SOA: record" "$soa" "$(q_section_nottl ANSWER)"
q +norec "$ZONE" NS
check_answer "apex NS" NOERROR "qr aa" -
assert_eq "apex NS: records" "$(printf '%s\n' "$ZONE. IN NS ns1.$ZONE." "$ZONE. IN NS ns2.$ZONE.")" \
	"$(q_section_nottl ANSWER)"
q +norec "$ZONE" A
check_answer "apex A next to SOA/NS" NOERROR "qr aa" "$ZONE. 300 IN A 192.0.2.1"
q +norec "$ZONE2" SOA
check_answer "second zone apex SOA" NOERROR "qr aa" -
assert_eq "second zone SOA: record" \
	"$ZONE2. IN SOA ns1.$ZONE2. hostmaster.$ZONE2. $serial2 7200 900 1209600 30" \
	"$(q_section_nottl ANSWER)"

# ---- positive answers
q +norec "home.$ZONE" A
check_answer "A with the zone's default TTL" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
assert_eq "A: question echoed" ";home.$ZONE. IN A" "$(q_section QUESTION)"
q +norec "home.$ZONE" AAAA
check_answer "AAAA with its own TTL" NOERROR "qr aa" "home.$ZONE. 60 IN AAAA 2001:db8::10"
q +norec "multi.$ZONE" A
check_answer "three A records on one name" NOERROR "qr aa" \
	"$(printf '%s\n' "multi.$ZONE. 300 IN A 192.0.2.21" "multi.$ZONE. 300 IN A 192.0.2.22" \
		"multi.$ZONE. 300 IN A 192.0.2.23")"
q +norec "txt.$ZONE" TXT
check_answer "two TXT values coexist" NOERROR "qr aa" \
	"$(printf '%s\n' "txt.$ZONE. 300 IN TXT \"hello world\"" "txt.$ZONE. 300 IN TXT \"second value\"")"
q +norec "esc.$ZONE" TXT
check_answer "TXT raw text with quote and backslash" NOERROR "qr aa" \
	"esc.$ZONE. 300 IN TXT \"a \\\"quoted\\\" \\\\ word;\""
q +norec "long.$ZONE" TXT
check_answer "300-byte TXT split into 255 + 45 byte strings" NOERROR "qr aa" \
	"long.$ZONE. 300 IN TXT \"${long:0:255}\" \"${long:255}\""
q +norec "www.$ZONE2" A
check_answer "second zone: its default TTL" NOERROR "qr aa" "www.$ZONE2. 120 IN A 198.51.100.7"
q "home.$ZONE" A
check_answer "RD is copied, RA is not set" NOERROR "qr aa rd" "home.$ZONE. 300 IN A 192.0.2.10"
q +norec +tcp "home.$ZONE" A
check_answer "same answer over TCP" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"

if [ "$LISTEN6" = 1 ]; then
	Q=$(dig @::1 -p "$DNS_PORT" +tries=1 +time=2 +nocookie +norec "home.$ZONE" A 2>&1)
	check_answer "over UDP on [::1]" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
	Q=$(dig @::1 -p "$DNS_PORT" +tries=1 +time=2 +nocookie +norec +tcp "home.$ZONE" A 2>&1)
	check_answer "over TCP on [::1]" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
else
	skip "answers over UDP and TCP on [::1]: no IPv6 loopback here"
fi

# ---- CNAME
q +norec "alias.$ZONE" A
check_answer "CNAME followed to A" NOERROR "qr aa" \
	"$(printf '%s\n' "alias.$ZONE. 300 IN CNAME home.$ZONE." "home.$ZONE. 300 IN A 192.0.2.10")"
q +norec "alias.$ZONE" AAAA
check_answer "CNAME followed to AAAA" NOERROR "qr aa" \
	"$(printf '%s\n' "alias.$ZONE. 300 IN CNAME home.$ZONE." "home.$ZONE. 60 IN AAAA 2001:db8::10")"
q +norec "alias.$ZONE" TXT
check_answer "CNAME to a name without that type" NOERROR "qr aa" \
	"alias.$ZONE. 300 IN CNAME home.$ZONE." "$neg"
q +norec "alias.$ZONE" CNAME
check_answer "CNAME query gets the CNAME only" NOERROR "qr aa" "alias.$ZONE. 300 IN CNAME home.$ZONE."
q +norec "c1.$ZONE" A
check_answer "CNAME chain of two followed" NOERROR "qr aa" \
	"$(printf '%s\n' "c1.$ZONE. 300 IN CNAME c2.$ZONE." "c2.$ZONE. 300 IN CNAME home.$ZONE." \
		"home.$ZONE. 300 IN A 192.0.2.10")"
q +norec "cross.$ZONE" A
check_answer "CNAME into our other zone followed" NOERROR "qr aa" \
	"$(printf '%s\n' "cross.$ZONE. 300 IN CNAME www.$ZONE2." "www.$ZONE2. 120 IN A 198.51.100.7")"
q +norec "ext.$ZONE" A
check_answer "CNAME out of our zones not followed" NOERROR "qr aa" \
	"ext.$ZONE. 300 IN CNAME www.outside.invalid." ""
q +norec "dang.$ZONE" A
check_answer "CNAME to a missing name: NXDOMAIN (RFC 6604)" NXDOMAIN "qr aa" \
	"dang.$ZONE. 300 IN CNAME nothere.$ZONE." "$neg"
q +norec "loop1.$ZONE" A
st=$(q_status)
case $st in
NOERROR | SERVFAIL) pass "CNAME loop answered ($st)" ;;
*) fail "CNAME loop answered with NOERROR or SERVFAIL" "$Q" ;;
esac
assert_match "CNAME loop: first CNAME in the answer" "^loop1\\.$ZONE\\. 300 IN CNAME loop2\\.$ZONE\\.$" \
	"$(q_section ANSWER)"

# ---- negative answers
q +norec "nope.$ZONE" A
check_answer "NXDOMAIN with the SOA (TTL = min(TTL, minimum))" NXDOMAIN "qr aa" "" "$neg"
q +norec "x.home.$ZONE" A
check_answer "NXDOMAIN below an existing name" NXDOMAIN "qr aa" "" "$neg"
q +norec "home.$ZONE" MX
check_answer "NODATA (MX) with the SOA" NOERROR "qr aa" "" "$neg"
q +norec "home.$ZONE" TXT
check_answer "NODATA (TXT) with the SOA" NOERROR "qr aa" "" "$neg"
q +norec "home.$ZONE" NS
check_answer "NS below the apex: NODATA" NOERROR "qr aa" "" "$neg"
q +norec "home.$ZONE" SOA
check_answer "SOA below the apex: NODATA" NOERROR "qr aa" "" "$neg"
q +norec "home.$ZONE" TYPE65400
check_answer "unknown type: NODATA" NOERROR "qr aa" "" "$neg"
q +norec "a.b.$ZONE" A
check_answer "empty non-terminal: NODATA" NOERROR "qr aa" "" "$neg"
q +norec "b.$ZONE" A
check_answer "empty non-terminal two levels up: NODATA" NOERROR "qr aa" "" "$neg"
q +norec "deep.a.b.$ZONE" A
check_answer "name below empty non-terminals" NOERROR "qr aa" "deep.a.b.$ZONE. 300 IN A 192.0.2.30"
q +norec "nope.$ZONE2" A
check_answer "second zone NXDOMAIN with its own SOA" NXDOMAIN "qr aa" "" "$neg2"

# ---- outside our zones
for n in example.com test notexample.test . unconfigured.test "stray.unconfigured.test"; do
	q +norec "$n" A
	check_answer "REFUSED outside our zones ($n)" REFUSED "qr" "" ""
done
assert_log "record outside every zone logged as ignored" 'stray\.unconfigured\.test' "$DAEMON_LOG"

# ---- letter case (0x20)
q +norec "HoMe.ExAmPlE.TeSt" A
assert_eq "0x20: question echoed exactly" ";HoMe.ExAmPlE.TeSt. IN A" "$(q_section QUESTION)"
check_answer "0x20: answer owner echoed exactly" NOERROR "qr aa" "HoMe.ExAmPlE.TeSt. 300 IN A 192.0.2.10"
q +norec "AlIaS.eXample.TEST" A
assert_eq "0x20 CNAME: question echoed" ";AlIaS.eXample.TEST. IN A" "$(q_section QUESTION)"
assert_match "0x20 CNAME: owner of the CNAME echoed (target in any case)" \
	"^AlIaS\\.eXample\\.TEST\\. 300 IN CNAME home\\.$ZONE\\.\$" \
	"$(q_section ANSWER | sed 's/ CNAME \(.*\)$/ CNAME \L\1/')"
q +norec "NoPe.ExAmPlE.TeSt" A
assert_eq "0x20 NXDOMAIN: question echoed" ";NoPe.ExAmPlE.TeSt. IN A" "$(q_section QUESTION)"
assert_eq "0x20 NXDOMAIN: rcode" NXDOMAIN "$(q_status)"
q +norec "ExAmPlE.TeSt" SOA
assert_eq "0x20 apex SOA: owner echoed" "ExAmPlE.TeSt." "$(q_section ANSWER | cut -d' ' -f1)"
q +norec +tcp "HoMe.ExAmPlE.TeSt" A
check_answer "0x20 over TCP" NOERROR "qr aa" "HoMe.ExAmPlE.TeSt. 300 IN A 192.0.2.10"
q +norec "WwW.ExAmPlE.CoM" A
assert_eq "0x20 REFUSED: question echoed" ";WwW.ExAmPlE.CoM. IN A" "$(q_section QUESTION)"

# ---- ANY (RFC 8482: one RRset)
any_check()
{
	local name=$1 types owners
	q +norec "$name" ANY
	assert_eq "ANY $name: rcode" NOERROR "$(q_status)"
	assert_match "ANY $name: AA" '(^| )aa( |$)' "$(q_flags)"
	types=$(q_section ANSWER | cut -d' ' -f4 | sort -u)
	owners=$(q_section ANSWER | cut -d' ' -f1 | sort -u)
	if [ -n "$types" ] && [ "$(printf '%s\n' "$types" | wc -l)" = 1 ] &&
		[ "$(printf '%s\n' "$owners" | wc -l)" = 1 ]; then
		pass "ANY $name: exactly one RRset ($types)"
	else
		fail "ANY $name: exactly one RRset" "$Q"
	fi
}
any_check "home.$ZONE"
any_check "$ZONE"
any_check "multi.$ZONE"
q +norec "multi.$ZONE" ANY
assert_eq "ANY multi (its only RRset is A): the whole A RRset" \
	"$(printf '%s\n' "multi.$ZONE. 300 IN A 192.0.2.21" "multi.$ZONE. 300 IN A 192.0.2.22" \
		"multi.$ZONE. 300 IN A 192.0.2.23")" "$(q_section ANSWER)"
q +norec "nope.$ZONE" ANY
check_answer "ANY on a missing name: NXDOMAIN" NXDOMAIN "qr aa" "" "$neg"

# ---- zone transfer: refused without transfer.allow
py_checks dnsprobe.py xfr 127.0.0.1 "$DNS_PORT" "$ZONE"
