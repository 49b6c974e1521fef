#!/bin/bash
# t_http_records.sh - GET /records (fields, one entry per value, ISO-8601
# updatedAt) and DELETE /records/{subdomain} (one type with ?type=, the whole
# name, full names, wildcards, 404 when nothing matched); DNS answers
# NODATA / NXDOMAIN at once and the SOA serial moves by one per delete.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

upd "$M" '{"subdomain":"a","ip":"192.0.2.1","ttl":60}'
assert_status "create a A" 200
upd "$M" '{"subdomain":"a","ip":"2001:db8::a"}'
assert_status "create a AAAA" 200
upd "$M" '{"subdomain":"a","type":"TXT","value":"text of a"}'
assert_status "create a TXT" 200
upd "$M" '{"subdomain":"b","ip":["192.0.2.21","192.0.2.22"]}'
assert_status "create b A pair" 200
upd "$M" '{"subdomain":"*.wild","ip":"192.0.2.50"}'
assert_status "create *.wild" 200

# ---- GET /records
api "$M" GET /records
assert_status "GET /records as master" 200
assert_json "records is a list" 'isinstance(j["records"], list)' true
assert_json "every entry has exactly domain, type, value, ttl, updatedAt" \
	'all(sorted(r) == ["domain", "ttl", "type", "updatedAt", "value"] for r in j["records"])' true
assert_json "a A entry with its TTL" \
	'[[r["value"], r["ttl"]] for r in j["records"] if r["domain"] == "a.example.test" and r["type"] == "A"]' \
	'[["192.0.2.1",60]]'
assert_json "a AAAA entry" \
	'[r["value"] for r in j["records"] if r["domain"] == "a.example.test" and r["type"] == "AAAA"]' \
	'["2001:db8::a"]'
assert_json "a TXT entry" \
	'[r["value"] for r in j["records"] if r["domain"] == "a.example.test" and r["type"] == "TXT"]' \
	'["text of a"]'
assert_json "b: one entry per value" \
	'sorted(r["value"] for r in j["records"] if r["domain"] == "b.example.test")' \
	'["192.0.2.21","192.0.2.22"]'
assert_json "wildcard entry" \
	'[r["value"] for r in j["records"] if r["domain"] == "*.wild.example.test"]' '["192.0.2.50"]'
assert_json "a default TTL shows as the zone's TTL (or null)" \
	'[r["ttl"] in (300, None) for r in j["records"] if r["domain"] == "a.example.test" and r["type"] == "AAAA"]' \
	'[true]'
now_year=$(date -u +%Y)
assert_json "updatedAt is ISO-8601 UTC" \
	'all(__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["updatedAt"]) for r in j["records"])' true
assert_json "updatedAt is now" \
	'sorted(set(r["updatedAt"][:4] for r in j["records"]))' "[\"$now_year\"]"
api "" GET /records
assert_api_error "GET /records without a token" 401
api "wrong-token" GET /records
assert_api_error "GET /records with a wrong token" 401

# ---- DELETE one type
s0=$(soa_serial "$Z")
api "$M" DELETE "/records/a?type=A"
assert_status "DELETE /records/a?type=A" 200
assert_json "reply: domain" 'j["domain"]' "a.$Z"
assert_json "reply: deleted 1" 'j["deleted"]' 1
assert_json "reply: message is a string" 'isinstance(j["message"], str)' true
q +norec "a.$Z" A
check_negative "dig A after the delete: NODATA" NOERROR
assert_dns "AAAA still there" "a.$Z" AAAA 2001:db8::a
assert_dns "TXT still there" "a.$Z" TXT '"text of a"'
assert_eq "SOA serial +1 after the delete" $((s0 + 1)) "$(soa_serial "$Z")"
api "$M" DELETE "/records/a?type=A"
assert_api_error "DELETE the same type again" 404
assert_eq "SOA serial unchanged by a 404" $((s0 + 1)) "$(soa_serial "$Z")"
api "$M" DELETE "/records/a?type=MX"
[ "$H_CODE" = 400 ] || [ "$H_CODE" = 404 ] && pass "DELETE ?type=MX refused ($H_CODE)" ||
	fail "DELETE ?type=MX refused with 400 or 404" "got HTTP $H_CODE: $H_BODY"

# ---- DELETE the whole name
api "$M" DELETE /records/a
assert_status "DELETE /records/a" 200
assert_json "reply: deleted 2 (AAAA and TXT)" 'j["deleted"]' 2
q +norec "a.$Z" AAAA
check_negative "dig after deleting the name: NXDOMAIN" NXDOMAIN
q +norec "a.$Z" TXT
check_negative "TXT gone too" NXDOMAIN
assert_eq "SOA serial +1 for the whole-name delete" $((s0 + 2)) "$(soa_serial "$Z")"
assert_eq "no row left for a" 0 "$(sqlite3 "$DB" "SELECT count(*) FROM records WHERE name = 'a.$Z';")"
api "$M" DELETE /records/a
assert_api_error "DELETE a name that no longer exists" 404
api "$M" DELETE /records/never-was
assert_api_error "DELETE a name that never existed" 404

# ---- full name, a whole RRset of two, the wildcard
api "$M" DELETE "/records/b.$Z"
assert_status "DELETE by full name" 200
assert_json "both values of b deleted" 'j["deleted"]' 2
q +norec "b.$Z" A
check_negative "b gone" NXDOMAIN
assert_dns "the wildcard answers before its delete" "x.wild.$Z" A 192.0.2.50
api "$M" DELETE '/records/*.wild'
assert_status "DELETE /records/*.wild" 200
assert_json "wildcard: domain" 'j["domain"]' "*.wild.$Z"
q +norec "x.wild.$Z" A
check_negative "names under the deleted wildcard: NXDOMAIN" NXDOMAIN

api "$M" GET /records
assert_json "GET /records after the deletes: none of a, b, *.wild" \
	'[r["domain"] for r in j["records"] if r["domain"] in ("a.example.test", "b.example.test", "*.wild.example.test")]' '[]'

# ---- methods and auth on the records routes
api "" DELETE /records/x
assert_api_error "DELETE without a token" 401
api "$M" PUT /records
assert_api_error "PUT /records" 405
api "$M" POST /records/x
assert_api_error "POST /records/x" 405
api "$M" DELETE /records/bad..name
assert_api_error "DELETE an invalid name" 400
stop_daemon
