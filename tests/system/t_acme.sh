#!/bin/bash
# t_acme.sh - the acme-dns API under /acme: register (with and without
# allowfrom), update with X-Api-User/X-Api-Key (the two newest TXT values
# kept), 401 for wrong credentials, another subdomain or a client outside
# allowfrom, 400 bad_txt; then the ACME flow: a CNAME
# _acme-challenge.home -> fulldomain answers TXT queries with both values.
. "$(dirname "$0")/lib.sh"

ACME_ZONE=$ZONE
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

# txt43: a random 43-character base64url value (as an ACME client sends).
txt43()
{
	head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'
}

# acme_upd USER KEY JSON [CURL_ARGS...]: POST /acme/update.
acme_upd()
{
	local u=$1 k=$2 body=$3
	shift 3
	api "" POST /acme/update "$body" -H "X-Api-User: $u" -H "X-Api-Key: $k" "$@"
}

api "" GET /acme/health
assert_status "GET /acme/health" 200

# ---- register
api "" POST /acme/register
assert_status "POST /acme/register without a body" 201
assert_json "register: the acme-dns fields" 'sorted(j)' \
	'["allowfrom","fulldomain","password","subdomain","username"]'
U=$(jv 'j["username"]')
P=$(jv 'j["password"]')
SUB=$(jv 'j["subdomain"]')
FULL=$(jv 'j["fulldomain"]')
assert_eq "fulldomain is <subdomain>.<acme.zone>" "$SUB.$Z" "$FULL"
assert_json "allowfrom empty" 'j["allowfrom"]' '[]'
assert_json "username and password not empty" 'bool(j["username"]) and bool(j["password"])' true
api "" POST /acme/register
assert_status "a second registration" 201
U2=$(jv 'j["username"]')
P2=$(jv 'j["password"]')
SUB2=$(jv 'j["subdomain"]')
[ "$SUB" != "$SUB2" ] && [ "$U" != "$U2" ] && pass "registrations get distinct names" ||
	fail "registrations get distinct names" "$SUB / $SUB2"

# ---- update: the two newest values
t1=$(txt43)
t2=$(txt43)
t3=$(txt43)
assert_eq "test values are 43 characters" 43 "${#t1}"
s0=$(soa_serial "$Z")
acme_upd "$U" "$P" "{\"subdomain\":\"$SUB\",\"txt\":\"$t1\"}"
assert_status "first TXT" 200
assert_json "reply: {txt}" '[sorted(j), j["txt"]]' "[[\"txt\"],\"$t1\"]"
assert_dns "dig TXT fulldomain: one value" "$FULL" TXT "\"$t1\""
acme_upd "$U" "$P" "{\"subdomain\":\"$SUB\",\"txt\":\"$t2\"}"
assert_status "second TXT" 200
assert_dns "dig TXT fulldomain: both values" "$FULL" TXT \
	"$(printf '"%s"\n' "$t1" "$t2" | sort | tr '\n' ' ' | sed 's/ $//')"
acme_upd "$U" "$P" "{\"subdomain\":\"$SUB\",\"txt\":\"$t3\"}"
assert_status "third TXT" 200
assert_dns "dig TXT fulldomain: the two newest" "$FULL" TXT \
	"$(printf '"%s"\n' "$t2" "$t3" | sort | tr '\n' ' ' | sed 's/ $//')"
assert_eq "SOA serial +3 for three updates" $((s0 + 3)) "$(soa_serial "$Z")"
assert_eq "audit rows with source acme (at least one per update)" 1 \
	"$(sqlite3 "$DB" "SELECT count(*) >= 3 FROM audit WHERE source = 'acme';")"

# ---- refusals
want2=$(printf '"%s"\n' "$t2" "$t3" | sort | tr '\n' ' ' | sed 's/ $//')
bad=$(txt43)
acme_upd "$U" "wrong-key" "{\"subdomain\":\"$SUB\",\"txt\":\"$bad\"}"
assert_eq "wrong key: 401 unauthorized" '401 unauthorized' "$H_CODE $(jv 'j["error"]')"
acme_upd "nobody-at-all" "$P" "{\"subdomain\":\"$SUB\",\"txt\":\"$bad\"}"
assert_eq "unknown user: 401 unauthorized" '401 unauthorized' "$H_CODE $(jv 'j["error"]')"
acme_upd "$U" "$P" "{\"subdomain\":\"$SUB2\",\"txt\":\"$bad\"}"
assert_eq "another registration's subdomain: 401" 401 "$H_CODE"
acme_upd "$U2" "$P" "{\"subdomain\":\"$SUB2\",\"txt\":\"$bad\"}"
assert_eq "another registration's user with this key: 401" 401 "$H_CODE"
api "" POST /acme/update "{\"subdomain\":\"$SUB\",\"txt\":\"$bad\"}"
assert_eq "no credentials: 401" 401 "$H_CODE"
acme_upd "$U" "$P" "{\"subdomain\":\"$SUB\",\"txt\":\"${bad:0:42}\"}"
assert_eq "txt of 42 characters: 400 bad_txt" '400 bad_txt' "$H_CODE $(jv 'j["error"]')"
acme_upd "$U" "$P" "{\"subdomain\":\"$SUB\",\"txt\":\"${bad}x\"}"
assert_eq "txt of 44 characters: 400 bad_txt" '400 bad_txt' "$H_CODE $(jv 'j["error"]')"
acme_upd "$U" "$P" "{\"subdomain\":\"$SUB\",\"txt\":\"+${bad:1}\"}"
assert_eq "txt with a character outside base64url: 400 bad_txt" '400 bad_txt' \
	"$H_CODE $(jv 'j["error"]')"
acme_upd "$U" "$P" '{"subdomain":'
assert_eq "malformed JSON: 400" 400 "$H_CODE"
assert_dns "refused updates changed nothing" "$FULL" TXT "$want2"
assert_eq "SOA serial unchanged by refusals" $((s0 + 3)) "$(soa_serial "$Z")"

# ---- allowfrom
api "" POST /acme/register '{"allowfrom":["127.0.0.0/8"]}'
assert_status "register with allowfrom 127.0.0.0/8" 201
assert_json "allowfrom echoed" 'j["allowfrom"]' '["127.0.0.0/8"]'
Ua=$(jv 'j["username"]')
Pa=$(jv 'j["password"]')
Sa=$(jv 'j["subdomain"]')
Fa=$(jv 'j["fulldomain"]')
ta=$(txt43)
acme_upd "$Ua" "$Pa" "{\"subdomain\":\"$Sa\",\"txt\":\"$ta\"}"
assert_status "update from inside allowfrom" 200
assert_dns "dig its TXT" "$Fa" TXT "\"$ta\""
api "" POST /acme/register '{"allowfrom":["192.0.2.0/24"]}'
assert_status "register with allowfrom 192.0.2.0/24" 201
Ub=$(jv 'j["username"]')
Pb=$(jv 'j["password"]')
Sb=$(jv 'j["subdomain"]')
Fb=$(jv 'j["fulldomain"]')
acme_upd "$Ub" "$Pb" "{\"subdomain\":\"$Sb\",\"txt\":\"$ta\"}"
assert_eq "update from outside allowfrom: 401" 401 "$H_CODE"
acme_upd "$Ub" "$Pb" "{\"subdomain\":\"$Sb\",\"txt\":\"$ta\"}" -H 'X-Forwarded-For: 192.0.2.5'
assert_eq "X-Forwarded-For from an untrusted peer does not get in" 401 "$H_CODE"
q +norec "$Fb" TXT
assert_eq "nothing written from outside allowfrom" 0 "$(q_count ANSWER)"

# ---- the ACME flow: CNAME from _acme-challenge.home to the fulldomain
upd "$M" "{\"subdomain\":\"home.$Z\",\"ip\":\"192.0.2.10\"}"
assert_status "home A" 200
upd "$M" "{\"subdomain\":\"_acme-challenge.home.$Z\",\"type\":\"CNAME\",\"value\":\"$FULL\"}"
assert_status "CNAME _acme-challenge.home -> fulldomain" 200
q +norec "_acme-challenge.home.$Z" TXT
assert_eq "TXT query at the challenge name: NOERROR aa" "NOERROR qr aa" "$(q_status) $(q_flags)"
assert_eq "answer: the CNAME and both TXT values" \
	"$(printf '%s\n' "_acme-challenge.home.$Z. CNAME $FULL." "$FULL. TXT \"$t2\"" "$FULL. TXT \"$t3\"" | sort)" \
	"$(q_section ANSWER | awk '{ print $1, $4, $5 }' | sort)"
t4=$(txt43)
acme_upd "$U" "$P" "{\"subdomain\":\"$SUB\",\"txt\":\"$t4\"}"
q +norec "_acme-challenge.home.$Z" TXT
assert_eq "after a renewal: the CNAME and the two newest values" \
	"$(printf '%s\n' "_acme-challenge.home.$Z. CNAME $FULL." "$FULL. TXT \"$t3\"" "$FULL. TXT \"$t4\"" | sort)" \
	"$(q_section ANSWER | awk '{ print $1, $4, $5 }' | sort)"
api "$M" GET /records
assert_json "GET /records (master) lists the acme TXT values" \
	"sorted(r[\"value\"] for r in j[\"records\"] if r[\"domain\"] == \"$FULL\" and r[\"type\"] == \"TXT\")" \
	"$(printf '%s\n' "$t3" "$t4" | sort | "$PY" -c 'import json,sys; print(json.dumps([l.strip() for l in sys.stdin], separators=(",", ":")))')"
stop_daemon
