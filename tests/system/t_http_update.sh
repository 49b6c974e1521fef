#!/bin/bash
# t_http_update.sh - POST /update against the real daemon: create, change,
# unchanged, the caller's address, IPv6 forms, arrays, TXT, CNAME (and its
# conflicts), wildcards, IDN and name/value/TTL validation, relative names
# with one zone and full names with two.  dig answers every acknowledged
# write at once; the SOA serial and the audit table move by exactly one per
# real change and not at all for an unchanged value or a refused request.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

# mark: remembers the SOA serial and the audit row count.
mark()
{
	S_MARK=$(soa_serial "$Z")
	A_MARK=$(audit_rows)
}

# moved DESC N [noaudit]: the serial moved by N since mark, and (unless
# noaudit) the audit table grew by N rows.
moved()
{
	assert_eq "$1: SOA serial +$2" $((S_MARK + $2)) "$(soa_serial "$Z")"
	[ -n "${3-}" ] || assert_eq "$1: audit rows +$2" $((A_MARK + $2)) "$(audit_rows)"
}

# ---- create (token in the JSON body)
mark
upd "" "{\"subdomain\":\"mydevice\",\"ip\":\"192.0.2.10\",\"token\":\"$M\"}"
assert_status "create mydevice A" 200
assert_json "create: domain without trailing dot" 'j["domain"]' "mydevice.$Z"
assert_json "create: ip" 'j["ip"]' 192.0.2.10
assert_json "create: previousIp null" 'j["previousIp"]' null
assert_json "create: updated true" 'j["updated"]' true
assert_json "create: message is a string" 'isinstance(j["message"], str)' true
assert_match "create: Content-Type JSON" '^application/json' "$(h_header Content-Type)"
q +norec "mydevice.$Z" A
check_answer "dig right after the create" NOERROR "qr aa" "mydevice.$Z. 300 IN A 192.0.2.10"
moved "create" 1

# ---- the same value again: nothing written
mark
upd "$M" '{"subdomain":"mydevice","ip":"192.0.2.10"}'
assert_status "unchanged update" 200
assert_json "unchanged: updated false" 'j["updated"]' false
assert_json "unchanged: previousIp is the value" 'j["previousIp"]' 192.0.2.10
assert_json "unchanged: ip" 'j["ip"]' 192.0.2.10
moved "unchanged update" 0

# ---- change the value and the TTL
mark
upd "$M" '{"subdomain":"mydevice","ip":"192.0.2.11","ttl":60}'
assert_status "change mydevice A with ttl 60" 200
assert_json "change: previousIp" 'j["previousIp"]' 192.0.2.10
assert_json "change: ip" 'j["ip"]' 192.0.2.11
assert_json "change: updated true" 'j["updated"]' true
q +norec "mydevice.$Z" A
check_answer "dig after the change" NOERROR "qr aa" "mydevice.$Z. 60 IN A 192.0.2.11"
moved "change" 1
mark
upd "$M" '{"subdomain":"mydevice","ip":"192.0.2.11","ttl":120}'
assert_json "TTL-only change: updated true" 'j["updated"]' true
q +norec "mydevice.$Z" A
check_answer "dig after the TTL-only change" NOERROR "qr aa" "mydevice.$Z. 120 IN A 192.0.2.11"
moved "TTL-only change" 1
upd "$M" '{"subdomain":"mydevice","ip":"192.0.2.11","ttl":120}'
assert_json "same value and TTL again: updated false" 'j["updated"]' false

# ---- the caller's address when ip is left out (Bearer token)
mark
upd "$M" '{"subdomain":"caller"}'
assert_status "update without ip" 200
assert_json "without ip: the caller's address" 'j["ip"]' 127.0.0.1
assert_dns "dig answers the caller's address" "caller.$Z" A 127.0.0.1
moved "update without ip" 1

# ---- full name, letter case
upd "$M" "{\"subdomain\":\"full.$Z\",\"ip\":\"192.0.2.12\"}"
assert_json "full name with one zone: domain" 'j["domain"]' "full.$Z"
assert_dns "dig full name" "full.$Z" A 192.0.2.12
upd "$M" '{"subdomain":"MiXeD","ip":"192.0.2.13"}'
assert_json "mixed-case name stored in lower case" 'j["domain"]' "mixed.$Z"
assert_dns "dig mixed-case name" "mixed.$Z" A 192.0.2.13

# ---- IPv6: AAAA by default, canonical text
mark
upd "$M" '{"subdomain":"v6","ip":"2001:0db8:0:0::1"}'
assert_status "IPv6 update" 200
assert_json "IPv6 canonicalised in the reply" 'j["ip"]' 2001:db8::1
q +norec "v6.$Z" AAAA
check_answer "dig AAAA" NOERROR "qr aa" "v6.$Z. 300 IN AAAA 2001:db8::1"
q +norec "v6.$Z" A
check_negative "no A at the AAAA-only name (NODATA)" NOERROR
moved "IPv6 create" 1
upd "$M" '{"subdomain":"v6","ip":"2001:DB8:0000::0001","type":"AAAA"}'
assert_json "another form of the same IPv6 address: unchanged" 'j["updated"]' false
upd "$M" '{"subdomain":"v6","ip":"::ffff:192.0.2.1","type":"AAAA"}'
assert_json "IPv4-mapped IPv6 canonical form" 'j["ip"]' "::ffff:192.0.2.1"
assert_dns "dig IPv4-mapped AAAA" "v6.$Z" AAAA "::ffff:192.0.2.1"

upd "$M" '{"subdomain":"mydevice","ip":"2001:db8::10"}'
assert_json "a new type at an existing name: previousIp null" '[j["previousIp"], j["updated"]]' '[null,true]'
assert_dns "dig AAAA beside the A" "mydevice.$Z" AAAA 2001:db8::10
assert_dns "the A is untouched" "mydevice.$Z" A 192.0.2.11

# ---- both families in one request: "ipv4" and "ipv6", one commit
mark
upd "$M" '{"subdomain":"dual","ipv4":"192.0.2.50","ipv6":"2001:db8::50"}'
assert_status "ipv4 and ipv6 together" 200
assert_json "the reply names both, no previous values" \
	'[j["ipv4"], j["ipv6"], j["previousIpv4"], j["previousIpv6"], j["updated"]]' \
	'["192.0.2.50","2001:db8::50",null,null,true]'
assert_dns "dig A of the dual-stack name" "dual.$Z" A 192.0.2.50
assert_dns "dig AAAA of the dual-stack name" "dual.$Z" AAAA 2001:db8::50
moved "both families" 1 noaudit
assert_eq "both families: an audit row per RRset" $((A_MARK + 2)) "$(audit_rows)"
mark
upd "$M" '{"subdomain":"dual","ipv6":"2001:DB8::0051"}'
assert_json "ipv6 alone: canonical, previous value given, A untouched" \
	'[j.get("ipv4"), j["ipv6"], j["previousIpv6"], j["updated"]]' \
	'[null,"2001:db8::51","2001:db8::50",true]'
assert_dns "the A is untouched" "dual.$Z" A 192.0.2.50
moved "ipv6 alone" 1
mark
upd "$M" '{"subdomain":"dual","ipv4":"192.0.2.50","ipv6":"2001:db8::51"}'
assert_json "the same two values: unchanged" '[j["updated"], j["message"]]' '[false,"records unchanged"]'
moved "unchanged pair" 0
upd "$M" '{"subdomain":"dual","ipv4":"2001:db8::1"}'
assert_api_error "an IPv6 address in ipv4" 400
upd "$M" '{"subdomain":"dual","ipv4":"192.0.2.1","ip":"192.0.2.2"}'
assert_api_error "ipv4 with ip" 400
upd "$M" '{"subdomain":"dual","ipv6":"2001:db8::1","type":"TXT"}'
assert_api_error "ipv6 with type TXT" 400
moved "refused pairs" 0

# ---- type and family mismatches
mark
upd "$M" '{"subdomain":"mism","ip":"192.0.2.1","type":"AAAA"}'
assert_api_error "type AAAA with an IPv4 address" 400
upd "$M" '{"subdomain":"mism","ip":"2001:db8::1","type":"A"}'
assert_api_error "type A with an IPv6 address" 400
upd "$M" '{"subdomain":"mism","ip":"192.0.2.1","type":"MX"}'
assert_api_error "unsupported type MX" 400
upd "$M" '{"subdomain":"mism","ip":["192.0.2.1","2001:db8::1"]}'
assert_api_error "IPv4 and IPv6 in one array" 400
upd "$M" '{"subdomain":"mism","ip":"999.1.1.1"}'
assert_api_error "invalid IPv4 999.1.1.1" 400
upd "$M" '{"subdomain":"mism","ip":"192.0.2"}'
assert_api_error "invalid IPv4 192.0.2" 400
upd "$M" '{"subdomain":"mism","ip":"not-an-ip"}'
assert_api_error "ip not-an-ip" 400
upd "$M" '{"subdomain":"mism","ip":"2001:db8::g"}'
assert_api_error "invalid IPv6 2001:db8::g" 400
upd "$M" '{"subdomain":"mism","type":"TXT"}'
assert_api_error "TXT without value" 400
q +norec "mism.$Z" A
check_negative "refused updates created nothing" NXDOMAIN
moved "refused updates" 0

# ---- arrays: the RRset becomes exactly these values
mark
upd "$M" '{"subdomain":"multi","ip":["192.0.2.1","192.0.2.2","192.0.2.3"]}'
assert_status "array of three addresses" 200
assert_json "array: ip is an array" 'sorted(j["ip"])' '["192.0.2.1","192.0.2.2","192.0.2.3"]'
assert_json "array: previousIp null" 'j["previousIp"]' null
assert_dns "dig: the three addresses" "multi.$Z" A "192.0.2.1 192.0.2.2 192.0.2.3"
moved "array create" 1 noaudit
mark
upd "$M" '{"subdomain":"multi","ip":["192.0.2.2"]}'
assert_json "array of one replaces the set" 'j["ip"]' '["192.0.2.2"]'
assert_json "array: previousIp holds the old set" 'sorted(j["previousIp"])' \
	'["192.0.2.1","192.0.2.2","192.0.2.3"]'
assert_dns "dig: only the remaining address" "multi.$Z" A 192.0.2.2
moved "array replace" 1 noaudit
upd "$M" '{"subdomain":"multi","ip":["192.0.2.3","192.0.2.1"]}'
assert_dns "dig: the new pair" "multi.$Z" A "192.0.2.1 192.0.2.3"
mark
upd "$M" '{"subdomain":"multi","ip":["192.0.2.1","192.0.2.3"]}'
assert_json "same set in another order: unchanged" 'j["updated"]' false
assert_json "previousIp in the order the values came in (3 then 1), not sorted" \
	'j["previousIp"]' '["192.0.2.3","192.0.2.1"]'
moved "same set" 0
upd "$M" '{"subdomain":"multi6","ip":["2001:DB8::1","2001:db8:0::2"]}'
assert_json "IPv6 array: AAAA, canonical" 'sorted(j["ip"])' '["2001:db8::1","2001:db8::2"]'
assert_dns "dig AAAA pair" "multi6.$Z" AAAA "2001:db8::1 2001:db8::2"

# ---- TXT
mark
upd "$M" '{"subdomain":"txt","type":"TXT","value":"hello world"}'
assert_status "TXT create" 200
assert_json "TXT: ip carries the value" 'j["ip"]' "hello world"
q +norec "txt.$Z" TXT
check_answer "dig TXT" NOERROR "qr aa" "txt.$Z. 300 IN TXT \"hello world\""
moved "TXT create" 1
upd "$M" '{"subdomain":"txt","type":"TXT","value":"second"}'
assert_json "TXT change: previousIp carries the old value" 'j["previousIp"]' "hello world"
assert_dns "dig TXT after the change" "txt.$Z" TXT '"second"'
upd "$M" '{"subdomain":"txt","type":"TXT","value":["one","two"]}'
assert_json "TXT array reply" 'sorted(j["ip"])' '["one","two"]'
assert_dns "dig TXT pair" "txt.$Z" TXT '"one" "two"'
long=$(printf 'x%.0s' $(seq 255))
upd "$M" "{\"subdomain\":\"txt255\",\"type\":\"TXT\",\"value\":\"$long\"}"
assert_status "TXT of 255 bytes" 200
assert_dns "dig TXT of 255 bytes" "txt255.$Z" TXT "\"$long\""
upd "$M" "{\"subdomain\":\"txt256\",\"type\":\"TXT\",\"value\":\"${long}y\"}"
assert_api_error "TXT of 256 bytes" 400
upd "$M" '{"subdomain":"_acme-challenge.mydevice","type":"TXT","value":"tok-abc_123"}'
assert_status "TXT at _acme-challenge.mydevice (underscore label)" 200
assert_dns "dig _acme-challenge TXT" "_acme-challenge.mydevice.$Z" TXT '"tok-abc_123"'

# ---- CNAME, followed inside the zone; CNAME and other data never share a name
mark
upd "$M" "{\"subdomain\":\"alias\",\"type\":\"CNAME\",\"value\":\"mydevice.$Z\"}"
assert_status "CNAME create" 200
assert_json "CNAME: ip carries the target" 'j["ip"].rstrip(".")' "mydevice.$Z"
q +norec "alias.$Z" A
check_answer "dig A at the alias follows the CNAME" NOERROR "qr aa" \
	"alias.$Z. 300 IN CNAME mydevice.$Z.
mydevice.$Z. 120 IN A 192.0.2.11"
q +norec "alias.$Z" CNAME
check_answer "dig CNAME" NOERROR "qr aa" "alias.$Z. 300 IN CNAME mydevice.$Z."
moved "CNAME create" 1
mark
upd "$M" "{\"subdomain\":\"mydevice\",\"type\":\"CNAME\",\"value\":\"other.$Z\"}"
assert_api_error "CNAME at a name that has an A record" 400
upd "$M" '{"subdomain":"alias","ip":"192.0.2.99"}'
assert_api_error "A record at a name that has a CNAME" 400
upd "$M" '{"subdomain":"alias","type":"TXT","value":"x"}'
assert_api_error "TXT at a name that has a CNAME" 400
upd "$M" '{"subdomain":"alias2","type":"CNAME","value":"bad..target"}'
assert_api_error "CNAME to an invalid name" 400
upd "$M" '{"subdomain":"alias2","type":"CNAME","value":["a.example.test","b.example.test"]}'
assert_api_error "two CNAME values" 400
moved "refused CNAME conflicts" 0
assert_dns "the A record is untouched" "mydevice.$Z" A 192.0.2.11
assert_dns "the CNAME is untouched" "alias.$Z" CNAME "mydevice.$Z."
upd "$M" '{"subdomain":"outside","type":"CNAME","value":"target.elsewhere.test"}'
assert_status "CNAME to a name outside our zones" 200
q +norec "outside.$Z" A
check_answer "dig A: the CNAME only" NOERROR "qr aa" "outside.$Z. 300 IN CNAME target.elsewhere.test."

# ---- wildcard
mark
upd "$M" '{"subdomain":"*.wild","ip":"192.0.2.50"}'
assert_status "wildcard *.wild" 200
assert_json "wildcard: domain" 'j["domain"]' "*.wild.$Z"
q +norec "anything.wild.$Z" A
check_answer "dig a name under the wildcard" NOERROR "qr aa" "anything.wild.$Z. 300 IN A 192.0.2.50"
moved "wildcard create" 1
upd "$M" '{"subdomain":"a.*.wild","ip":"192.0.2.51"}'
assert_api_error "'*' inside a name" 400
upd "$M" '{"subdomain":"*foo","ip":"192.0.2.51"}'
assert_api_error "'*' as part of a label" 400

# ---- names: labels, lengths, IDN
mark
for bad in "bad..name" "has space" ".leading" "bang!" "semi;colon" "slash/x" "$(printf 'a%.0s' $(seq 64))"; do
	upd "$M" "{\"subdomain\":\"$bad\",\"ip\":\"192.0.2.60\"}"
	assert_api_error "invalid name '${bad:0:20}'" 400
done
l63=$(printf 'b%.0s' $(seq 63))
upd "$M" "{\"subdomain\":\"$l63\",\"ip\":\"192.0.2.61\"}"
assert_status "label of 63 characters" 200
assert_dns "dig the 63-character label" "$l63.$Z" A 192.0.2.61
# 63+1+63+1+63+1+48 = 240 characters, + ".example.test" = 253
n253="$l63.$l63.$l63.$(printf 'c%.0s' $(seq 48))"
upd "$M" "{\"subdomain\":\"$n253\",\"ip\":\"192.0.2.62\"}"
assert_status "name of 253 characters" 200
assert_dns "dig the 253-character name" "$n253.$Z" A 192.0.2.62
upd "$M" "{\"subdomain\":\"${n253}c\",\"ip\":\"192.0.2.63\"}"
assert_api_error "name of 254 characters" 400
upd "$M" '{"subdomain":"bücher","ip":"192.0.2.64"}'
assert_status "IDN label" 200
assert_json "IDN: domain in punycode" 'j["domain"]' "xn--bcher-kva.$Z"
assert_dns "dig the punycode name" "xn--bcher-kva.$Z" A 192.0.2.64
moved "names" 3

# ---- TTL range
mark
for ttl in 0 -5 604801; do
	upd "$M" "{\"subdomain\":\"ttl\",\"ip\":\"192.0.2.70\",\"ttl\":$ttl}"
	assert_api_error "ttl $ttl" 400
done
moved "refused TTLs" 0
upd "$M" '{"subdomain":"ttl","ip":"192.0.2.70","ttl":1}'
assert_status "ttl 1" 200
q +norec "ttl.$Z" A
check_answer "dig ttl 1" NOERROR "qr aa" "ttl.$Z. 1 IN A 192.0.2.70"
upd "$M" '{"subdomain":"ttl","ip":"192.0.2.70","ttl":604800}'
assert_status "ttl 604800" 200
q +norec "ttl.$Z" A
check_answer "dig ttl 604800" NOERROR "qr aa" "ttl.$Z. 604800 IN A 192.0.2.70"

# ---- the database agrees with DNS
assert_eq "records table holds mydevice A" "192.0.2.11|120" \
	"$(sqlite3 "$DB" "SELECT value, ttl FROM records WHERE name = 'mydevice.$Z' AND type = 'A';")"
assert_eq "SOA serial in the database matches DNS" "$(zone_serial "$Z")" "$(soa_serial "$Z")"

# ---- two zones: full names required; records survive the restart
stop_daemon
ONE_ZONE=0
write_http_config
start_daemon || exit 1
wait_http || exit 1
assert_dns "record served after the restart" "mydevice.$Z" A 192.0.2.11
s1=$(soa_serial "$Z")
s2=$(soa_serial "$ZONE2")
upd "$M" '{"subdomain":"mydevice","ip":"192.0.2.80"}'
assert_api_error "relative name with two zones" 400
upd "$M" '{"subdomain":"host.nowhere.test","ip":"192.0.2.80"}'
assert_api_error "full name in none of the zones" 400
upd "$M" "{\"subdomain\":\"host.$ZONE2\",\"ip\":\"192.0.2.81\"}"
assert_status "full name in the second zone" 200
assert_json "second zone: domain" 'j["domain"]' "host.$ZONE2"
q +norec "host.$ZONE2" A
check_answer "dig: second zone's default TTL" NOERROR "qr aa" "host.$ZONE2. 120 IN A 192.0.2.81"
upd "$M" "{\"subdomain\":\"mydevice.$Z\",\"ip\":\"192.0.2.82\"}"
assert_status "full name in the first zone" 200
assert_dns "dig the first zone's name" "mydevice.$Z" A 192.0.2.82
assert_eq "first zone's serial +1" $((s1 + 1)) "$(soa_serial "$Z")"
assert_eq "second zone's serial +1" $((s2 + 1)) "$(soa_serial "$ZONE2")"
stop_daemon
