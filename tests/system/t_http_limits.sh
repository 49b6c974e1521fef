#!/bin/bash
# t_http_limits.sh - what the HTTP API does with bad and big input and with
# too many requests: 413 above http.max_body (plain and chunked), 400 for
# malformed JSON, non-objects, wrong types and bad strings, an empty body,
# keep-alive, idle and half-sent connections beside a normal client; then,
# with low limits, 429 + Retry-After per client address, per token, and for
# failed authentication (cost 10).  Client addresses 127.0.0.x (curl
# --interface) give each case its own bucket.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
HTTP_MAX_BODY=1024
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE
s0=$(soa_serial "$Z")

# ---- body size
pad=$(printf '%900s' '')
upd "$M" "{\"subdomain\":\"big\",\"ip\":\"192.0.2.1\"$pad}"
assert_status "body just under max_body (1024)" 200
assert_dns "dig after the padded update" "big.$Z" A 192.0.2.1
s0=$(soa_serial "$Z")
pad=$(printf '%4000s' '')
upd "$M" "{\"subdomain\":\"big\",\"ip\":\"192.0.2.2\"$pad}"
assert_api_error "body of 4 KB with max_body 1024" 413
head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$T_DIR/huge.json"
printf '{"subdomain":"big","ip":"192.0.2.3"}' >>"$T_DIR/huge.json"
upd "$M" "@$T_DIR/huge.json"
assert_eq "body of 2 MB: 413" 413 "$H_CODE"
upd "$M" "{\"subdomain\":\"big\",\"ip\":\"192.0.2.4\"$pad}" -H 'Transfer-Encoding: chunked'
assert_eq "chunked body of 4 KB: 413" 413 "$H_CODE"
assert_dns "nothing written by too-large bodies" "big.$Z" A 192.0.2.1
api "" GET /health
assert_status "daemon serves after the large bodies" 200

# ---- malformed JSON and non-objects
bodies=('{"subdomain":' '{"subdomain":"x",}' 'not json' '{"subdomain":"x","ip":"192.0.2.9"} trailing'
	"{'subdomain':'x'}" '{"subdomain":"x" "ip":"192.0.2.9"}' '{"subdomain":"\x"}')
for b in "${bodies[@]}"; do
	upd "$M" "$b"
	assert_api_error "malformed JSON: ${b:0:30}" 400
done
for b in '[1,2]' '"a string"' '42' 'null' 'true' '[]'; do
	upd "$M" "$b"
	assert_api_error "JSON that is not an object: $b" 400
done
deep=$(printf '[%.0s' $(seq 400))
upd "$M" "$deep"
assert_api_error "400 nested arrays" 400

# ---- wrong types and bad strings
types=('{"subdomain":"x","ip":"192.0.2.9","ttl":"abc"}' '{"subdomain":"x","ip":"192.0.2.9","ttl":"60"}'
	'{"subdomain":"x","ip":"192.0.2.9","ttl":60.5}' '{"subdomain":"x","ip":"192.0.2.9","ttl":true}'
	'{"subdomain":"x","ip":"192.0.2.9","ttl":99999999999999999999999}'
	'{"subdomain":"x","ip":"192.0.2.9","ttl":1e400}' '{"subdomain":"x","ip":5}'
	'{"subdomain":"x","ip":true}' '{"subdomain":"x","ip":{}}' '{"subdomain":"x","ip":[1,2]}'
	'{"subdomain":"x","ip":["192.0.2.9",5]}' '{"subdomain":5,"ip":"192.0.2.9"}'
	'{"subdomain":["x"],"ip":"192.0.2.9"}' '{"subdomain":"x","ip":"192.0.2.9","type":5}'
	'{"subdomain":"x","type":"TXT","value":5}' '{"subdomain":"x","type":"TXT","value":{"a":1}}'
	'{"subdomain":"x\u0000y","ip":"192.0.2.9"}' '{"subdomain":"x","type":"TXT","value":"a\u0000b"}')
for b in "${types[@]}"; do
	upd "$M" "$b"
	assert_api_error "wrong type or bad string: ${b:14:50}" 400
done
printf '{"subdomain":"x\xff\xfe","ip":"192.0.2.9"}' >"$T_DIR/badutf8.json"
upd "$M" "@$T_DIR/badutf8.json"
assert_api_error "invalid UTF-8 in a name" 400

# ---- empty body
upd "$M" "@/dev/null"
assert_api_error "empty body with a Bearer token: no subdomain" 400
upd "" "@/dev/null"
assert_api_error "empty body without a token" 401
upd "$M" '{}'
assert_api_error "{} with a Bearer token: no subdomain" 400
q +norec "x.$Z" A
check_negative "nothing written by the refused bodies" NXDOMAIN
assert_eq "SOA serial unchanged by refused requests" "$s0" "$(soa_serial "$Z")"

# ---- keep-alive
out=$(curl -sv -m 10 "http://127.0.0.1:$HTTP_PORT/health" "http://127.0.0.1:$HTTP_PORT/myip" 2>&1)
assert_match "two GETs on one connection" 'Re-using existing connection' "$out"
assert_match "... both answered" '"ip"' "$out"
out=$(curl -sv -m 10 -H "Authorization: Bearer $M" -H 'Content-Type: application/json' \
	-d '{"subdomain":"ka1","ip":"192.0.2.91"}' "http://127.0.0.1:$HTTP_PORT/update" --next \
	-H "Authorization: Bearer $M" -H 'Content-Type: application/json' \
	-d '{"subdomain":"ka2","ip":"192.0.2.92"}' "http://127.0.0.1:$HTTP_PORT/update" 2>&1)
assert_match "two updates on one connection" 'Re-using existing connection' "$out"
assert_dns "first keep-alive update served" "ka1.$Z" A 192.0.2.91
assert_dns "second keep-alive update served" "ka2.$Z" A 192.0.2.92
out=$(curl -s -m 10 -H "Authorization: Bearer $M" -H 'Content-Type: application/json' \
	-d '{"subdomain":' "http://127.0.0.1:$HTTP_PORT/update" --next \
	-H "Authorization: Bearer $M" -H 'Content-Type: application/json' \
	-d '{"subdomain":"ka3","ip":"192.0.2.93"}' "http://127.0.0.1:$HTTP_PORT/update" 2>&1)
assert_dns "an update after a 400 from the same client" "ka3.$Z" A 192.0.2.93

# ---- idle and half-sent connections do not hold up others
py_checks http_probe.py slowloris "$HTTP_PORT" "$M" "$Z"
assert_dns "the update sent beside them is served" "patient.$Z" A 192.0.2.123

# ---- users for the rate-limit phase (their tokens survive the restart);
# admins, so that several of them may write the same names
for u in rl1 rl2 rl3 rl4 rl5 rl6; do
	new_user "$u" true
	eval "$u=\$TOK"
done
upd "$M" '{"subdomain":"rla","ip":"192.0.2.1"}'
upd "$M" '{"subdomain":"rlb","ip":"192.0.2.1"}'
upd "$M" '{"subdomain":"rlc","ip":"192.0.2.1"}'
upd "$M" '{"subdomain":"rld","ip":"192.0.2.1"}'
stop_daemon

# ---- rate limits: 12 a minute (one every 5 s, so that a slow machine sees
# no refill during a burst), burst 5
HTTP_RATE_IP=12
HTTP_BURST=5
HTTP_RATE_TOKEN=12
write_http_config
start_daemon || exit 1
wait_http || exit 1

# per client address: one address, four tokens (none used more than twice)
codes=
toks=("$rl1" "$rl2" "$rl3" "$rl4" "$rl1" "$rl2" "$rl3" "$rl4")
for t in "${toks[@]}"; do
	upd "$t" '{"subdomain":"rla","ip":"192.0.2.1"}' --interface 127.0.0.2
	codes="$codes $H_CODE"
done
assert_eq "per address: burst of 5, then 429" " 200 200 200 200 200 429 429 429" "$codes"
assert_api_error "rate-limited reply" 429
ra=$(h_header Retry-After)
if [[ $ra =~ ^[0-9]+$ ]] && [ "$ra" -ge 1 ] && [ "$ra" -le 60 ]; then
	pass "Retry-After is a number of seconds ($ra)"
else
	fail "Retry-After is a number of seconds 1..60" "got '$ra'" "$H_HDRS"
	ra=5
fi
upd "$M" '{"subdomain":"rla","ip":"192.0.2.99"}' --interface 127.0.0.2
assert_api_error "a new value while limited" 429
assert_dns "nothing written while limited" "rla.$Z" A 192.0.2.1
upd "$rl4" '{"subdomain":"rla","ip":"192.0.2.1"}' --interface 127.0.0.3
assert_status "another address is not limited" 200
[ "$ra" -gt 6 ] && ra=6
sleep "$ra.2"
upd "$M" '{"subdomain":"rla","ip":"192.0.2.5"}' --interface 127.0.0.2
assert_status "served again after Retry-After" 200
assert_dns "dig after the limited address is served again" "rla.$Z" A 192.0.2.5

# per token: one token, eight addresses
codes=
for i in 10 11 12 13 14 15 16 17; do
	upd "$rl5" '{"subdomain":"rlb","ip":"192.0.2.1"}' --interface "127.0.0.$i"
	codes="$codes $H_CODE"
done
assert_eq "per token: burst of 5, then 429" " 200 200 200 200 200 429 429 429" "$codes"
assert_match "per-token 429 carries Retry-After" '^[0-9]+$' "$(h_header Retry-After)"
upd "$rl6" '{"subdomain":"rlb","ip":"192.0.2.1"}' --interface 127.0.0.18
assert_status "another token from a fresh address is served" 200

# a failed authentication costs 10
upd "wrong-token" '{"subdomain":"rlc","ip":"192.0.2.7"}' --interface 127.0.0.20
assert_api_error "bad token from a fresh address" 401
upd "$rl6" '{"subdomain":"rlc","ip":"192.0.2.7"}' --interface 127.0.0.20
assert_api_error "right after one failed authentication (cost 10 > burst 5)" 429
assert_dns "nothing written" "rlc.$Z" A 192.0.2.1
upd "$rl6" '{"subdomain":"rlc","ip":"192.0.2.7"}' --interface 127.0.0.21
assert_status "the same token from another address" 200
assert_dns "dig after the update from the other address" "rlc.$Z" A 192.0.2.7
stop_daemon
