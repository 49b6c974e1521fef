#!/bin/bash
# t_wildcard.sh - RFC 4592 wildcards: synthesis with the asked name as owner,
# names that exist block the wildcard, empty non-terminals give NODATA, the
# closest encloser decides, CNAME wildcards are followed.
. "$(dirname "$0")/lib.sh"

write_config
init_db || exit 1
add_record "*.wild.$ZONE" A 192.0.2.50 77
add_record "*.wild.$ZONE" TXT "wild txt"
add_record "*.wild.$ZONE" AAAA 2001:db8::50
add_record "host.wild.$ZONE" A 192.0.2.51
add_record "sub.deep.wild.$ZONE" A 192.0.2.52
add_record "*.cn.$ZONE" CNAME "home.$ZONE"
add_record "home.$ZONE" A 192.0.2.10
add_record "*.$ZONE2" A 198.51.100.1
add_record "exists.$ZONE2" TXT "here"
start_daemon || exit 1

serial=$(zone_serial "$ZONE")
neg="$ZONE. 60 IN SOA ns1.$ZONE. hostmaster.$ZONE. $serial 3600 600 604800 60"
neg2="$ZONE2. 30 IN SOA ns1.$ZONE2. hostmaster.$ZONE2. $(zone_serial "$ZONE2") 7200 900 1209600 30"

# ---- synthesis
q +norec "anything.wild.$ZONE" A
check_answer "wildcard A: owner is the name asked, TTL of the wildcard" NOERROR "qr aa" \
	"anything.wild.$ZONE. 77 IN A 192.0.2.50"
q +norec "anything.wild.$ZONE" TXT
check_answer "wildcard TXT" NOERROR "qr aa" "anything.wild.$ZONE. 300 IN TXT \"wild txt\""
q +norec "anything.wild.$ZONE" AAAA
check_answer "wildcard AAAA" NOERROR "qr aa" "anything.wild.$ZONE. 300 IN AAAA 2001:db8::50"
q +norec "a.b.c.wild.$ZONE" A
check_answer "wildcard matches several labels" NOERROR "qr aa" "a.b.c.wild.$ZONE. 77 IN A 192.0.2.50"
q +norec "anything.wild.$ZONE" MX
check_answer "wildcard without the type: NODATA" NOERROR "qr aa" "" "$neg"
q +norec "*.wild.$ZONE" A
check_answer "the wildcard name itself" NOERROR "qr aa" "*.wild.$ZONE. 77 IN A 192.0.2.50"
q +norec +tcp "tcp.wild.$ZONE" A
check_answer "wildcard over TCP" NOERROR "qr aa" "tcp.wild.$ZONE. 77 IN A 192.0.2.50"

# ---- letter case of synthesised answers
q +norec "AnYtHiNg.WiLd.ExAmPlE.tEsT" A
assert_eq "wildcard 0x20: question echoed" ";AnYtHiNg.WiLd.ExAmPlE.tEsT. IN A" "$(q_section QUESTION)"
check_answer "wildcard 0x20: owner echoed exactly" NOERROR "qr aa" \
	"AnYtHiNg.WiLd.ExAmPlE.tEsT. 77 IN A 192.0.2.50"

# ---- existing names are not covered by the wildcard
q +norec "host.wild.$ZONE" A
check_answer "existing name below the wildcard's parent: its own A" NOERROR "qr aa" \
	"host.wild.$ZONE. 300 IN A 192.0.2.51"
q +norec "host.wild.$ZONE" TXT
check_answer "existing name does not get the wildcard's TXT: NODATA" NOERROR "qr aa" "" "$neg"
q +norec "x.host.wild.$ZONE" A
check_answer "below an existing name (closest encloser host.wild): NXDOMAIN" NXDOMAIN "qr aa" "" "$neg"

# ---- empty non-terminals
q +norec "wild.$ZONE" A
check_answer "wildcard's parent (empty non-terminal): NODATA" NOERROR "qr aa" "" "$neg"
q +norec "deep.wild.$ZONE" A
check_answer "empty non-terminal below the wildcard's parent: NODATA, not the wildcard" \
	NOERROR "qr aa" "" "$neg"
q +norec "x.deep.wild.$ZONE" A
check_answer "below an empty non-terminal (closest encloser deep.wild): NXDOMAIN" \
	NXDOMAIN "qr aa" "" "$neg"
q +norec "sub.deep.wild.$ZONE" A
check_answer "name under the empty non-terminal" NOERROR "qr aa" "sub.deep.wild.$ZONE. 300 IN A 192.0.2.52"

# ---- names outside the wildcard's parent
q +norec "wildx.$ZONE" A
check_answer "sibling of the wildcard's parent: NXDOMAIN" NXDOMAIN "qr aa" "" "$neg"
q +norec "anything.$ZONE" A
check_answer "no wildcard at the apex: NXDOMAIN" NXDOMAIN "qr aa" "" "$neg"

# ---- CNAME wildcard
q +norec "foo.cn.$ZONE" A
check_answer "wildcard CNAME synthesised and followed" NOERROR "qr aa" \
	"$(printf '%s\n' "foo.cn.$ZONE. 300 IN CNAME home.$ZONE." "home.$ZONE. 300 IN A 192.0.2.10")"
q +norec "FoO.cN.$ZONE" A
assert_match "wildcard CNAME 0x20: owner echoed" "^FoO\\.cN\\.$ZONE\\. 300 IN CNAME home\\.$ZONE\\.\$" \
	"$(q_section ANSWER)"

# ---- ANY at a synthesised name: one RRset
q +norec "any.wild.$ZONE" ANY
types=$(q_section ANSWER | cut -d' ' -f4 | sort -u)
owners=$(q_section ANSWER | cut -d' ' -f1 | sort -u)
if [ "$(q_status)" = NOERROR ] && [ -n "$types" ] && [ "$(printf '%s\n' "$types" | wc -l)" = 1 ] &&
	[ "$owners" = "any.wild.$ZONE." ]; then
	pass "ANY at a wildcard name: one RRset owned by the name asked ($types)"
else
	fail "ANY at a wildcard name: one RRset owned by the name asked" "$Q"
fi

# ---- wildcard directly under an apex
q +norec "nope.$ZONE2" A
check_answer "apex wildcard answers a missing name" NOERROR "qr aa" "nope.$ZONE2. 120 IN A 198.51.100.1"
q +norec "exists.$ZONE2" A
check_answer "apex wildcard: existing name keeps NODATA" NOERROR "qr aa" "" "$neg2"
q +norec "$ZONE2" A
check_answer "apex wildcard does not answer for the apex" NOERROR "qr aa" "" "$neg2"
q +norec "$ZONE2" SOA
assert_eq "apex SOA unaffected by the wildcard" "NOERROR 1" "$(q_status) $(q_count ANSWER)"
