#!/bin/bash
# t_edns_tc.sh - EDNS(0) (RFC 6891: OPT only when asked, our UDP size 1232,
# BADVERS) and truncation: TC over UDP past 512 bytes or the advertised size,
# the full answer over TCP.
. "$(dirname "$0")/lib.sh"

write_config
init_db || exit 1
add_record "home.$ZONE" A 192.0.2.10
pad=$(printf 'x%.0s' $(seq 96))
medium=()
for i in 1 2 3 4 5 6; do
	add_record "medium.$ZONE" TXT "m$i-$pad"
	medium+=("medium.$ZONE. 300 IN TXT \"m$i-$pad\"")
done
sql=
for i in $(seq 10 49); do
	sql="$sql INSERT INTO records(name, type, value) VALUES('big.$ZONE', 'TXT', 'b$i-$pad');"
done
sqlite3 "$DB" "BEGIN;$sql COMMIT;"
sql=
for i in $(seq 1 60); do
	sql="$sql INSERT INTO records(name, type, value) VALUES('many.$ZONE', 'A', '198.51.100.$i');"
done
sqlite3 "$DB" "BEGIN;$sql COMMIT;"
start_daemon || exit 1
medium_ans=$(printf '%s\n' "${medium[@]}")

# ---- OPT in the reply only when the query had one
q +norec "home.$ZONE" A
check_answer "EDNS query" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
assert_match "EDNS reply: OPT version 0, our UDP size 1232" '^; EDNS: version: 0, flags:; udp: 1232$' "$Q"
q +norec +noedns "home.$ZONE" A
check_answer "query without EDNS" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
assert_nomatch "no OPT in the reply to a query without one" 'OPT PSEUDOSECTION|^; EDNS:' "$Q"
assert_eq "ADDITIONAL 0 without EDNS" 0 "$(q_count ADDITIONAL)"
q +norec "nope.$ZONE" A
assert_eq "EDNS NXDOMAIN: rcode" NXDOMAIN "$(q_status)"
assert_match "EDNS NXDOMAIN: OPT in the reply" '^; EDNS: version: 0' "$Q"
q +norec +noedns "nope.$ZONE" A
assert_nomatch "NXDOMAIN without EDNS: no OPT" '^; EDNS:' "$Q"
q +norec "www.example.com" A
assert_eq "EDNS REFUSED: rcode" REFUSED "$(q_status)"
assert_match "EDNS REFUSED: OPT in the reply" '^; EDNS: version: 0' "$Q"
q +norec +noedns "www.example.com" A
assert_nomatch "REFUSED without EDNS: no OPT" '^; EDNS:' "$Q"
q +norec +cookie "home.$ZONE" A
check_answer "EDNS cookie option ignored" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"

# ---- BADVERS
q +norec +edns=1 +noednsnegotiation "home.$ZONE" A
assert_eq "EDNS version 1: BADVERS" BADVERS "$(q_status)"
assert_match "BADVERS reply carries OPT version 0" '^; EDNS: version: 0,' "$Q"
assert_eq "BADVERS reply: no answer" 0 "$(q_count ANSWER)"
py_checks dnsprobe.py edns 127.0.0.1 "$DNS_PORT" "$ZONE"

# ---- truncation at 512 without EDNS
q +norec +noedns +ignore "medium.$ZONE" TXT
assert_eq "about 700 bytes without EDNS: NOERROR" NOERROR "$(q_status)"
assert_match "about 700 bytes without EDNS: TC set" '(^| )tc( |$)' "$(q_flags)"
assert_match "about 700 bytes without EDNS: AA set" '(^| )aa( |$)' "$(q_flags)"
size=$(q_size)
[ -n "$size" ] && [ "$size" -le 512 ] && pass "truncated reply fits 512 bytes ($size)" ||
	fail "truncated reply fits 512 bytes" "$Q"
assert_eq "truncated reply keeps the question" ";medium.$ZONE. IN TXT" "$(q_section QUESTION)"
q +norec +noedns +ignore "many.$ZONE" A
assert_match "60 A records without EDNS: TC set" '(^| )tc( |$)' "$(q_flags)"
q +norec +noedns +ignore "$ZONE" SOA
assert_nomatch "small answer without EDNS: no TC" '(^| )tc( |$)' "$(q_flags)"

# ---- EDNS sizes
q +norec +ignore "medium.$ZONE" TXT
check_answer "about 700 bytes with EDNS 1232: whole, no TC" NOERROR "qr aa" "$medium_ans"
q +norec +ignore "many.$ZONE" A
assert_eq "60 A records with EDNS 1232: all, no TC" "qr aa 60" "$(q_flags) $(q_count ANSWER)"
q +norec +ignore +bufsize=600 "medium.$ZONE" TXT
assert_match "about 700 bytes with EDNS 600: TC set" '(^| )tc( |$)' "$(q_flags)"
size=$(q_size)
[ -n "$size" ] && [ "$size" -le 600 ] && pass "reply fits the advertised 600 bytes ($size)" ||
	fail "reply fits the advertised 600 bytes" "$Q"
assert_match "TC reply with EDNS keeps the OPT" '^; EDNS: version: 0' "$Q"
q +norec +ignore +bufsize=4096 "big.$ZONE" TXT
assert_match "about 4.5 KB with EDNS 4096: TC set (our limit is 1232)" '(^| )tc( |$)' "$(q_flags)"
size=$(q_size)
[ -n "$size" ] && [ "$size" -le 1232 ] && pass "reply capped at our UDP size 1232 ($size)" ||
	fail "reply capped at our UDP size 1232" "$Q"
q +norec +ignore +bufsize=1232 "big.$ZONE" TXT
assert_match "about 4.5 KB with EDNS 1232: TC set" '(^| )tc( |$)' "$(q_flags)"

# ---- the full answer over TCP
q +norec +tcp "big.$ZONE" TXT
assert_eq "about 4.5 KB over TCP: NOERROR, no TC, 40 records" "NOERROR qr aa 40" \
	"$(q_status) $(q_flags) $(q_count ANSWER)"
q +norec +tcp +noedns "medium.$ZONE" TXT
check_answer "about 700 bytes over TCP without EDNS" NOERROR "qr aa" "$medium_ans"
q +norec +noedns "medium.$ZONE" TXT
assert_match "dig retries a truncated reply over TCP" 'Truncated, retrying in TCP mode' "$Q"
check_answer "the retried answer is the whole RRset" NOERROR "qr aa" "$medium_ans"
q +norec +tcp "many.$ZONE" A
assert_eq "60 A records over TCP" "NOERROR qr aa 60" "$(q_status) $(q_flags) $(q_count ANSWER)"
