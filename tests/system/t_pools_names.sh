#!/bin/bash
# t_pools_names.sh - the names a pool answers: prefixMatch (the seed's
# anti-cache names <label>.NAME and <label>-NAME, owner = the name asked in
# its letter case), none of those without prefixMatch, a pool named *.NAME
# (RFC 4592), records that exist winning over a prefix; the same answer over
# UDP and TCP, EDNS (OPT, BADVERS), TC past 512 bytes and the full answer
# over TCP.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
add_record "static-api.$ZONE" A 198.51.100.7
add_record "home.$ZONE" A 192.0.2.200
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE
UZ=ExAmPlE.TeSt

pool()
{
	api "$M" PUT "/pools/$1" "$2"
	assert_status "PUT /pools/$1" 200
}

first_of()
{
	timeout 5 "$PY" "$SYS_DIR/pool_probe.py" first "$DNS_PORT" "$@"
}

# answer_raw: the last query's answer section in wire order, blanks squeezed.
answer_raw()
{
	printf '%s\n' "$Q" | awk '$0 == ";; ANSWER SECTION:" { on = 1; next }
		on && /^$/ { exit } on { $1 = $1; print }'
}

# pool_answer DESC QNAME: the api pool's two members, owner QNAME exactly,
# TTL 20, member 1 first.
pool_answer()
{
	local desc=$1 n=$2
	q +norec "$n" A
	check_answer "$desc" NOERROR "qr aa" \
		"$(printf '%s. 20 IN A 192.0.2.1\n%s. 20 IN A 192.0.2.2' "$n" "$n")"
	assert_eq "$desc: question echoed" ";$n. IN A" "$(q_section QUESTION)"
	assert_eq "$desc: member 1 first" "192.0.2.1 192.0.2.2" "$(first_of "$n")"
}

pool api '{"policy":"failover","members":[{"ip":"192.0.2.1"},{"ip":"192.0.2.2"}],"answers":2,"ttl":20,"prefixMatch":true}'
pool web '{"policy":"failover","members":[{"ip":"192.0.2.11"}],"prefixMatch":false}'
api "$M" PUT '/pools/*.svc' '{"policy":"failover","members":[{"ip":"192.0.2.21"},{"ip":"2001:db8::21"}],"ttl":40}'
assert_status "PUT /pools/*.svc" 200
assert_json "PUT *.svc: the wildcard name stored" 'j["pool"]["name"]' "*.svc.$Z"
api "$M" GET '/pools/*.svc'
assert_status "GET /pools/*.svc" 200

# ---- prefixMatch true
pool_answer "the pool name" "api.$Z"
pool_answer "<label>.api (seed's dot form)" "1596207957.api.$Z"
pool_answer "<label>-api (seed's anti-cache form)" "1596207957-api.$Z"
pool_answer "<label>-API in mixed case" "1596207957-API.$UZ"
pool_answer "<label>.aPi in mixed case" "XyZ.aPi.$UZ"
pool_answer "a long numeric prefix" "159620795715962079571596207957.api.$Z"
q +norec "1596207957-api.$Z" AAAA
check_negative "<label>-api AAAA (IPv4 members only): NODATA" NOERROR
q +norec "1596207957.api.$Z" TXT
check_negative "<label>.api TXT: NODATA" NOERROR
q +norec "static-api.$Z" A
check_answer "an existing name that looks like <label>-api keeps its record" NOERROR "qr aa" \
	"static-api.$Z. 300 IN A 198.51.100.7"
q +norec "1596207957api.$Z" A
check_negative "<label>api without a separator: NXDOMAIN" NXDOMAIN

# ---- prefixMatch false
q +norec "web.$Z" A
check_answer "pool without prefixMatch: its own name" NOERROR "qr aa" "web.$Z. 30 IN A 192.0.2.11"
q +norec "1596207957.web.$Z" A
check_negative "prefixMatch false: <label>.web NXDOMAIN" NXDOMAIN
q +norec "1596207957-web.$Z" A
check_negative "prefixMatch false: <label>-web NXDOMAIN" NXDOMAIN
api "$M" PUT /pools/web '{"policy":"failover","members":[{"ip":"192.0.2.11"}],"prefixMatch":true}'
assert_status "turn prefixMatch on for web" 200
q +norec "1596207957-web.$Z" A
check_answer "prefixMatch turned on: <label>-web answers" NOERROR "qr aa" "1596207957-web.$Z. 30 IN A 192.0.2.11"
api "$M" PUT /pools/web '{"policy":"failover","members":[{"ip":"192.0.2.11"}],"prefixMatch":false}'
q +norec "1596207957-web.$Z" A
check_negative "prefixMatch turned off again: NXDOMAIN" NXDOMAIN

# ---- *.svc (RFC 4592)
q +norec "x.svc.$Z" A
check_answer "*.svc pool: x.svc" NOERROR "qr aa" "x.svc.$Z. 40 IN A 192.0.2.21"
q +norec "x.svc.$Z" AAAA
check_answer "*.svc pool: x.svc AAAA" NOERROR "qr aa" "x.svc.$Z. 40 IN AAAA 2001:db8::21"
q +norec "a.b.svc.$Z" A
check_answer "*.svc pool: several labels" NOERROR "qr aa" "a.b.svc.$Z. 40 IN A 192.0.2.21"
q +norec "MiXeD.SvC.$UZ" A
check_answer "*.svc pool: letter case echoed" NOERROR "qr aa" "MiXeD.SvC.$UZ. 40 IN A 192.0.2.21"
q +norec "*.svc.$Z" A
check_answer "*.svc pool: the wildcard name itself" NOERROR "qr aa" "*.svc.$Z. 40 IN A 192.0.2.21"
q +norec "svc.$Z" A
check_negative "svc itself (empty non-terminal): NODATA" NOERROR
q +norec "1596207957-svc.$Z" A
check_negative "*.svc has no prefix forms: NXDOMAIN" NXDOMAIN

# ---- UDP and TCP: the same answer
for n in "api.$Z" "1596207957-API.$UZ" "77.api.$Z" "Q.svc.$UZ"; do
	for t in A AAAA; do
		q +norec "$n" $t
		udp="$(q_status) $(q_flags)
$(answer_raw)"
		q +norec +tcp "$n" $t
		tcp="$(q_status) $(q_flags)
$(answer_raw)"
		assert_eq "$n $t: same answer over UDP and TCP" "$udp" "$tcp"
	done
done

# ---- EDNS
q +norec "1596207957-api.$Z" A
assert_match "EDNS query: OPT version 0, UDP size 1232" '^; EDNS: version: 0, flags:; udp: 1232$' "$Q"
q +norec +noedns "1596207957-api.$Z" A
assert_nomatch "query without EDNS: no OPT" '^; EDNS:' "$Q"
assert_eq "query without EDNS: the answer" 2 "$(q_count ANSWER)"
q +norec +edns=1 +noednsnegotiation "api.$Z" A
assert_eq "EDNS version 1: BADVERS" BADVERS "$(q_status)"
assert_eq "BADVERS: no answer" 0 "$(q_count ANSWER)"
assert_match "BADVERS reply carries OPT version 0" '^; EDNS: version: 0,' "$Q"

# ---- TC: 32 AAAA members past 512 bytes
mem=$(for i in $(seq 1 32); do printf '{"ip":"2001:db8::1:%x"},' "$i"; done)
pool big "{\"policy\":\"failover\",\"members\":[${mem%,}],\"answers\":32}"
q +norec +noedns +ignore "big.$Z" AAAA
assert_eq "32 AAAA without EDNS: NOERROR" NOERROR "$(q_status)"
assert_match "32 AAAA without EDNS: TC set" '(^| )tc( |$)' "$(q_flags)"
size=$(q_size)
if [ -n "$size" ] && [ "$size" -le 512 ]; then pass "truncated reply fits 512 bytes ($size)"; else fail "truncated reply fits 512 bytes" "size: $size"; fi
q +norec +noedns +tcp "big.$Z" AAAA
assert_eq "32 AAAA over TCP: all 32" 32 "$(q_count ANSWER)"
assert_nomatch "32 AAAA over TCP: no TC" '(^| )tc( |$)' "$(q_flags)"
assert_eq "32 AAAA over TCP: member 1 first" "big.$Z. 30 IN AAAA 2001:db8::1:1" "$(answer_raw | head -n 1)"
q +norec +bufsize=1232 "big.$Z" AAAA
assert_eq "32 AAAA with EDNS 1232 over UDP: all 32" 32 "$(q_count ANSWER)"
assert_nomatch "32 AAAA with EDNS 1232: no TC" '(^| )tc( |$)' "$(q_flags)"
