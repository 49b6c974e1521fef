#!/bin/bash
# t_http_misc.sh - GET /myip and the caller's address behind trusted
# proxies (X-Forwarded-For, X-Real-IP), GET /health, CORS (listed origins,
# preflight, "*"), 404 and 405 with JSON bodies, GET /audit (one row per real
# change, newest first, ?limit), and an unwritable database: 503 for writes,
# /health degraded, dyndns2 911, DNS still serving, recovery afterwards.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
HTTP_TRUSTED='"127.0.0.2", "10.0.0.0/8"'
HTTP_CORS='"https://app.example"'
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

# ---- /myip
api "" GET /myip
assert_status "GET /myip" 200
assert_json "/myip: exactly {ip}" 'sorted(j)' '["ip"]'
assert_json "/myip: the peer address" 'j["ip"]' 127.0.0.1
assert_match "/myip: Content-Type JSON" '^application/json' "$(h_header Content-Type)"
api "" GET /myip "" -H 'X-Forwarded-For: 203.0.113.9'
assert_json "X-Forwarded-For from an untrusted peer is ignored" 'j["ip"]' 127.0.0.1
api "" GET /myip "" -H 'X-Real-IP: 203.0.113.9'
assert_json "X-Real-IP from an untrusted peer is ignored" 'j["ip"]' 127.0.0.1
api "" GET /myip "" --interface 127.0.0.2
assert_json "trusted peer without headers: the peer" 'j["ip"]' 127.0.0.2
api "" GET /myip "" --interface 127.0.0.2 -H 'X-Forwarded-For: 203.0.113.9'
assert_json "X-Forwarded-For from a trusted proxy" 'j["ip"]' 203.0.113.9
api "" GET /myip "" --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.9'
assert_json "X-Forwarded-For: the right-most address" 'j["ip"]' 203.0.113.9
api "" GET /myip "" --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.1, 203.0.113.9, 10.1.2.3'
assert_json "X-Forwarded-For: the right-most untrusted address" 'j["ip"]' 203.0.113.9
api "" GET /myip "" --interface 127.0.0.2 -H 'X-Real-IP: 203.0.113.7'
assert_json "X-Real-IP from a trusted proxy" 'j["ip"]' 203.0.113.7
api "" GET /myip "" --interface 127.0.0.2 -H 'X-Forwarded-For: 2001:db8::5'
assert_json "IPv6 in X-Forwarded-For" 'j["ip"]' 2001:db8::5
upd "$M" '{"subdomain":"proxied"}' --interface 127.0.0.2 -H 'X-Forwarded-For: 203.0.113.50'
assert_json "update without ip behind a trusted proxy" 'j["ip"]' 203.0.113.50
assert_dns "dig the forwarded address" "proxied.$Z" A 203.0.113.50
upd "$M" '{"subdomain":"proxied"}' --interface 127.0.0.2 -H 'X-Forwarded-For: 2001:db8::50'
assert_json "IPv6 client behind a trusted proxy: AAAA" 'j["ip"]' 2001:db8::50
assert_dns "dig AAAA of the forwarded address" "proxied.$Z" AAAA 2001:db8::50
upd "$M" '{"subdomain":"direct"}' -H 'X-Forwarded-For: 203.0.113.51'
assert_json "update without ip from an untrusted peer with X-Forwarded-For" 'j["ip"]' 127.0.0.1
assert_dns "dig: the peer address" "direct.$Z" A 127.0.0.1

# ---- /health
api "" GET /health
assert_status "GET /health" 200
assert_json "/health: status ok" 'j["status"]' ok
assert_match "/health: Content-Type JSON" '^application/json' "$(h_header Content-Type)"

# ---- CORS
api "" GET /myip "" -H 'Origin: https://app.example'
assert_eq "listed origin gets Access-Control-Allow-Origin" https://app.example \
	"$(h_header Access-Control-Allow-Origin)"
api "" GET /myip "" -H 'Origin: https://evil.example'
assert_eq "other origin gets no Access-Control-Allow-Origin" "" "$(h_header Access-Control-Allow-Origin)"
api "" OPTIONS /update "" -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: POST' \
	-H 'Access-Control-Request-Headers: authorization, content-type'
assert_eq "preflight: 204" 204 "$H_CODE"
assert_eq "preflight: Access-Control-Allow-Origin" https://app.example \
	"$(h_header Access-Control-Allow-Origin)"
assert_match "preflight: Access-Control-Allow-Methods has POST" 'POST' \
	"$(h_header Access-Control-Allow-Methods)"
assert_match "preflight: Access-Control-Allow-Headers has Authorization" '[Aa]uthorization' \
	"$(h_header Access-Control-Allow-Headers)"
assert_match "preflight: Access-Control-Allow-Headers has Content-Type" '[Cc]ontent-[Tt]ype' \
	"$(h_header Access-Control-Allow-Headers)"
api "" OPTIONS /update "" -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: POST'
assert_eq "preflight from another origin: no Access-Control-Allow-Origin" "" \
	"$(h_header Access-Control-Allow-Origin)"
upd "$M" '{"subdomain":"cors","ip":"192.0.2.5"}' -H 'Origin: https://app.example'
assert_status "update from a listed origin" 200
assert_eq "update reply carries Access-Control-Allow-Origin" https://app.example \
	"$(h_header Access-Control-Allow-Origin)"
upd "" '{"subdomain":"cors","ip":"192.0.2.5"}' -H 'Origin: https://app.example'
assert_eq "a 401 from a listed origin carries it too" "401 https://app.example" \
	"$H_CODE $(h_header Access-Control-Allow-Origin)"

# ---- 404 and 405
for r in "GET /nope" "POST /nope" "GET /update/extra"; do
	api "$M" $r
	assert_api_error "$r" 404
done
for r in "GET /update" "PUT /myip" "POST /health" "DELETE /audit" "PATCH /users" "PUT /update"; do
	api "$M" $r
	assert_api_error "$r" 405
done
api "$M" GET /update
assert_match "405 names the allowed methods (Allow)" 'POST' "$(h_header Allow)"

# ---- audit
upd "$M" '{"subdomain":"au1","ip":"192.0.2.1"}'
upd "$M" '{"subdomain":"au1","ip":"192.0.2.2"}'
upd "$M" '{"subdomain":"au1","ip":"192.0.2.2"}'
assert_json "unchanged update before the audit check" 'j["updated"]' false
upd "$M" '{"subdomain":"au1","type":"TXT","value":"audit me"}'
api "$M" GET "/audit?limit=3"
assert_status "GET /audit?limit=3" 200
assert_json "audit: 3 rows" 'len(j["audit"])' 3
assert_json "audit rows have exactly the documented fields" \
	'all(sorted(r) == ["action", "actor", "client", "name", "newValue", "oldValue", "source", "ts", "type"] for r in j["audit"])' true
assert_json "newest first: the TXT create, then the change, then the create" \
	'[[r["name"], r["type"], r["oldValue"], r["newValue"]] for r in j["audit"]]' \
	"[[\"au1.$Z\",\"TXT\",null,\"audit me\"],[\"au1.$Z\",\"A\",\"192.0.2.1\",\"192.0.2.2\"],[\"au1.$Z\",\"A\",null,\"192.0.2.1\"]]"
assert_json "audit: source http, client 127.0.0.1" \
	'sorted(set((r["source"], r["client"]) for r in j["audit"]))' '[["http","127.0.0.1"]]'
assert_json "audit: actor, action and ts filled in" \
	'all(r["actor"] and r["action"] and r["ts"] for r in j["audit"])' true
api "$M" DELETE "/records/au1?type=TXT"
assert_status "delete for the audit" 200
api "$M" GET "/audit?limit=1"
assert_json "?limit=1: the delete, with its old value" \
	'[[r["name"], r["type"], r["oldValue"], r["newValue"]] for r in j["audit"]]' \
	"[[\"au1.$Z\",\"TXT\",\"audit me\",null]]"
new_user auditor
api "$TOK" GET /audit
assert_api_error "GET /audit as a non-admin" 403
api "" GET /audit
assert_api_error "GET /audit without a token" 401
api "$M" GET "/audit?limit=abc"
assert_api_error "GET /audit?limit=abc" 400

# ---- an unwritable database (chattr +i: root cannot write either)
new_user dgu
DGU=$TOK
upd "$M" '{"subdomain":"dg","ip":"192.0.2.1","owner":"dgu"}'
stop_daemon
HTTP_CORS='"*"'
write_http_config
start_daemon || exit 1
wait_http || exit 1

api "" GET /myip "" -H 'Origin: https://anything.example'
assert_match "cors_origins [\"*\"]: any origin allowed" '^(\*|https://anything\.example)$' \
	"$(h_header Access-Control-Allow-Origin)"

immutable=("$T_DIR/data" "$DB" "$DB-wal")
unfreeze()
{
	chattr -i "${immutable[@]}" 2>/dev/null
}
trap 'rc=$?; unfreeze; (exit $rc); teardown' EXIT
touch "$T_DIR/chattr.probe"
if ! command -v chattr >/dev/null || ! chattr +i "$T_DIR/chattr.probe" 2>/dev/null; then
	rm -f "$T_DIR/chattr.probe"
	skip "an unwritable database: chattr +i does not work here (not root, or no such flag)"
	stop_daemon
	exit 0
fi
chattr -i "$T_DIR/chattr.probe"
rm -f "$T_DIR/chattr.probe"
for f in "${immutable[@]}"; do
	[ -e "$f" ] && chattr +i "$f"
done
upd "$M" '{"subdomain":"dg","ip":"192.0.2.2"}'
assert_api_error "update while the database is unwritable" 503
assert_dns "DNS still answers the old value" "dg.$Z" A 192.0.2.1
api "" GET /health
assert_status "/health while the database is unwritable" 503
assert_json "/health: degraded with reasons" \
	'[j["status"], isinstance(j["reasons"], list) and len(j["reasons"]) > 0]' '["degraded",true]'
out=$(curl -s -m 10 -u "dgu:$DGU" "http://127.0.0.1:$HTTP_PORT/nic/update?hostname=dg.$Z&myip=192.0.2.3")
assert_eq "dyndns2 while the database is unwritable: 911" 911 "$(printf '%s\n' "$out" | head -n 1)"
assert_dns "DNS still answers the old value after the dyndns2 attempt" "dg.$Z" A 192.0.2.1
unfreeze
upd "$M" '{"subdomain":"dg","ip":"192.0.2.4"}'
assert_status "update once the database is writable again" 200
assert_dns "dig after the recovery" "dg.$Z" A 192.0.2.4
health_ok()
{
	[ "$(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/health")" = 200 ]
}
wait_until $((2000 * SLOW)) health_ok && pass "/health ok again" ||
	fail "/health ok again within 2 s" "$(curl -s -m 1 "http://127.0.0.1:$HTTP_PORT/health")"
assert_eq "the database holds the recovered value" 192.0.2.4 \
	"$(sqlite3 "$DB" "SELECT value FROM records WHERE name = 'dg.$Z' AND type = 'A';")"
stop_daemon
