#!/bin/bash
# t_http_auth.sh - tokens, users, ownership and scoped tokens: the three ways
# to pass a token, 401 with WWW-Authenticate, /users (201, 409, 403 for a
# non-admin), first claim wins, admin reassigns owners, /tokens scoped to
# one name and its _acme-challenge child, token listing without secrets,
# revocation (token and user), hashed storage, DDNSD_MASTER_TOKEN override.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

# ---- where the token comes from
upd "" '{"subdomain":"t","ip":"192.0.2.1"}'
assert_api_error "no token" 401
assert_match "401 carries WWW-Authenticate: Bearer" '^Bearer' "$(h_header WWW-Authenticate)"
upd "not-the-token" '{"subdomain":"t","ip":"192.0.2.1"}'
assert_api_error "wrong Bearer token" 401
upd "" '{"subdomain":"t","ip":"192.0.2.1","token":"not-the-token"}'
assert_api_error "wrong token in the body" 401
api "" POST "/update?token=not-the-token" '{"subdomain":"t","ip":"192.0.2.1"}'
assert_api_error "wrong token in the query" 401
q +norec "t.$Z" A
check_negative "nothing written by refused tokens" NXDOMAIN
api "" POST "/update?token=$M" '{"subdomain":"t","ip":"192.0.2.1"}'
assert_status "token in the query string" 200
upd "" "{\"subdomain\":\"t\",\"ip\":\"192.0.2.2\",\"token\":\"$M\"}"
assert_status "token in the JSON body" 200
upd "$M" '{"subdomain":"t","ip":"192.0.2.3"}'
assert_status "token in Authorization: Bearer" 200
assert_dns "dig after the three ways" "t.$Z" A 192.0.2.3

# ---- users
new_user alice
ALICE=$TOK
new_user bob
BOB=$TOK
new_user root true
ROOT=$TOK
[ "$ALICE" != "$BOB" ] && pass "users get distinct tokens" || fail "users get distinct tokens"
api "$M" POST /users '{"username":"alice","admin":false}'
assert_api_error "duplicate user" 409
api "$M" POST /users '{"username":"","admin":false}'
assert_api_error "empty username" 400
api "$M" POST /users '{"admin":false}'
assert_api_error "missing username" 400
api "$M" GET /users
assert_status "GET /users as master" 200
assert_json "GET /users: alice, bob, root with their admin flags" \
	'sorted([u["username"], u["admin"]] for u in j["users"])' \
	'[["alice",false],["bob",false],["root",true]]'
assert_json "GET /users: createdAt is ISO-8601 UTC" \
	'all(__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", u["createdAt"]) for u in j["users"])' true
assert_nomatch "GET /users shows no token" "$ALICE|$BOB|$ROOT" "$H_BODY"
api "$ALICE" GET /users
assert_api_error "GET /users as a non-admin" 403
api "$ALICE" POST /users '{"username":"mallory","admin":true}'
assert_api_error "POST /users as a non-admin" 403
api "$ALICE" DELETE /users/bob
assert_api_error "DELETE /users as a non-admin" 403
api "$ROOT" POST /users '{"username":"dave","admin":false}'
assert_status "POST /users as an admin user" 201
api "$ROOT" GET /users
assert_status "GET /users as an admin user" 200
api "" GET /users
assert_api_error "GET /users without a token" 401

# ---- ownership: first claim wins
upd "$ALICE" '{"subdomain":"alicehost","ip":"192.0.2.10"}'
assert_status "alice claims a free name" 200
assert_dns "dig alicehost" "alicehost.$Z" A 192.0.2.10
upd "$BOB" '{"subdomain":"alicehost","ip":"192.0.2.66"}'
assert_api_error "bob updates alice's name" 403
assert_dns "alicehost unchanged after bob's attempt" "alicehost.$Z" A 192.0.2.10
upd "$BOB" '{"subdomain":"alicehost","type":"TXT","value":"bob was here"}'
assert_api_error "bob adds a TXT at alice's name" 403
upd "$BOB" '{"subdomain":"bobhost","ip":"192.0.2.20"}'
assert_status "bob claims another free name" 200
upd "$ALICE" '{"subdomain":"alicehost","ip":"192.0.2.11"}'
assert_status "alice changes her name" 200
assert_dns "dig alicehost after alice's change" "alicehost.$Z" A 192.0.2.11
upd "$ALICE" '{"subdomain":"alicehost","type":"TXT","value":"alice txt"}'
assert_status "alice adds a TXT at her name" 200
api "$ALICE" GET /records
assert_status "GET /records as alice" 200
assert_json "alice sees only her name" 'sorted(set(r["domain"] for r in j["records"]))' \
	"[\"alicehost.$Z\"]"
api "$ROOT" GET /records
assert_json "an admin sees every name" \
	'sorted(set(r["domain"] for r in j["records"]) & {"alicehost.example.test", "bobhost.example.test", "t.example.test"})' \
	"[\"alicehost.$Z\",\"bobhost.$Z\",\"t.$Z\"]"
api "$ALICE" DELETE /records/bobhost
assert_api_error "alice deletes bob's name" 403
assert_dns "bobhost still there" "bobhost.$Z" A 192.0.2.20
upd "$ROOT" '{"subdomain":"alicehost","ip":"192.0.2.12"}'
assert_status "an admin updates alice's name" 200
upd "$M" '{"subdomain":"alicehost","ip":"192.0.2.13"}'
assert_status "the master updates alice's name" 200
assert_dns "dig alicehost after the master's change" "alicehost.$Z" A 192.0.2.13

# ---- reassigning an owner
upd "$ALICE" '{"subdomain":"alicehost","ip":"192.0.2.14","owner":"bob"}'
assert_api_error "a non-admin sends owner" 403
assert_dns "alicehost unchanged" "alicehost.$Z" A 192.0.2.13
upd "$ROOT" '{"subdomain":"alicehost","ip":"192.0.2.15","owner":"bob"}'
assert_status "an admin gives alicehost to bob" 200
upd "$ALICE" '{"subdomain":"alicehost","ip":"192.0.2.16"}'
assert_api_error "alice after the reassignment" 403
upd "$BOB" '{"subdomain":"alicehost","ip":"192.0.2.17"}'
assert_status "bob after the reassignment" 200
assert_dns "dig alicehost after bob's change" "alicehost.$Z" A 192.0.2.17

# ---- scoped tokens
upd "$ALICE" '{"subdomain":"alice2","ip":"192.0.2.30"}'
assert_status "alice claims alice2" 200
api "$ALICE" POST /tokens '{"subdomain":"alice2"}'
assert_status "alice creates a token for her name" 201
S=$(jv 'j["token"]')
SID=$(jv 'j["id"]')
assert_json "token reply: subdomain" 'j["subdomain"] in ("alice2", "alice2.example.test")' true
assert_json "token reply: id and token" 'sorted(j)' '["id","subdomain","token"]'
api "$ALICE" POST /tokens '{"subdomain":"bobhost"}'
assert_api_error "alice creates a token for bob's name" 403
api "$BOB" POST /tokens "{\"subdomain\":\"bobhost.$Z\"}"
assert_status "bob creates a token for his name (full name)" 201
api "$M" POST /tokens '{"subdomain":"freehost"}'
assert_status "the master creates a token for any name" 201
T2=$(jv 'j["token"]')
T2ID=$(jv 'j["id"]')
upd "$S" '{"subdomain":"alice2","ip":"192.0.2.31"}'
assert_status "scoped token updates its name" 200
assert_dns "dig alice2" "alice2.$Z" A 192.0.2.31
upd "$S" '{"subdomain":"_acme-challenge.alice2","type":"TXT","value":"challenge-1"}'
assert_status "scoped token updates _acme-challenge below its name" 200
assert_dns "dig _acme-challenge.alice2" "_acme-challenge.alice2.$Z" TXT '"challenge-1"'
upd "$S" '{"subdomain":"www.alice2","ip":"192.0.2.32"}'
assert_api_error "scoped token: another name below its name" 403
upd "$S" '{"subdomain":"alice3","ip":"192.0.2.32"}'
assert_api_error "scoped token: a free name" 403
upd "$S" '{"subdomain":"bobhost","ip":"192.0.2.32"}'
assert_api_error "scoped token: someone else's name" 403
upd "$S" '{"subdomain":"alice2","ip":"192.0.2.33","owner":"alice"}'
assert_api_error "scoped token sends owner" 403
api "$S" POST /users '{"username":"eve","admin":true}'
assert_api_error "scoped token: POST /users" 403
api "$S" GET /records
assert_status "scoped token: GET /records" 200
assert_json "scoped token sees its name and its _acme-challenge" \
	'sorted(set(r["domain"] for r in j["records"]))' \
	"[\"_acme-challenge.alice2.$Z\",\"alice2.$Z\"]"
upd "$T2" '{"subdomain":"freehost","ip":"192.0.2.40"}'
assert_status "master's scoped token creates its name" 200

api "$M" GET /tokens
assert_status "GET /tokens as master" 200
assert_json "token entries: id, subdomain, username, createdAt, lastUsedAt" \
	'all(sorted(t) == ["createdAt", "id", "lastUsedAt", "subdomain", "username"] for t in j["tokens"])' true
assert_json "alice's token listed under alice" \
	"[t[\"username\"] for t in j[\"tokens\"] if str(t[\"id\"]) == \"$SID\"]" '["alice"]'
assert_json "a used token has lastUsedAt" \
	"[t[\"lastUsedAt\"] is not None for t in j[\"tokens\"] if str(t[\"id\"]) == \"$SID\"]" '[true]'
assert_nomatch "GET /tokens shows no token value" "$S|$T2" "$H_BODY"
api "$ALICE" GET /tokens
assert_status "GET /tokens as alice" 200
assert_json "alice sees her token and not the master's" \
	"sorted(str(t[\"id\"]) for t in j[\"tokens\"] if str(t[\"id\"]) in (\"$SID\", \"$T2ID\"))" "[\"$SID\"]"

api "$BOB" DELETE "/tokens/$SID"
[ "$H_CODE" = 403 ] || [ "$H_CODE" = 404 ] && pass "bob cannot revoke alice's token ($H_CODE)" ||
	fail "bob cannot revoke alice's token (403 or 404)" "got HTTP $H_CODE: $H_BODY"
upd "$S" '{"subdomain":"alice2","ip":"192.0.2.34"}'
assert_status "alice's token still works" 200
api "$ALICE" DELETE "/tokens/$SID"
assert_status "alice revokes her token" 200
upd "$S" '{"subdomain":"alice2","ip":"192.0.2.35"}'
assert_api_error "revoked token" 401
assert_dns "nothing written by the revoked token" "alice2.$Z" A 192.0.2.34
api "$ALICE" DELETE "/tokens/$SID"
assert_api_error "revoke it again" 404
api "$M" DELETE /tokens/987654
assert_api_error "revoke an unknown token id" 404

# ---- deleting a user revokes their tokens
new_user carol
CAROL=$TOK
upd "$CAROL" '{"subdomain":"carolhost","ip":"192.0.2.50"}'
assert_status "carol claims a name" 200
api "$CAROL" POST /tokens '{"subdomain":"carolhost"}'
assert_status "carol creates a scoped token" 201
C=$(jv 'j["token"]')
upd "$C" '{"subdomain":"carolhost","ip":"192.0.2.51"}'
assert_status "carol's scoped token works" 200
api "$M" DELETE /users/carol
assert_status "DELETE /users/carol" 200
upd "$CAROL" '{"subdomain":"carolhost","ip":"192.0.2.52"}'
assert_api_error "deleted user's API token" 401
upd "$C" '{"subdomain":"carolhost","ip":"192.0.2.52"}'
assert_api_error "deleted user's scoped token" 401
assert_dns "carolhost keeps the last accepted value" "carolhost.$Z" A 192.0.2.51
api "$M" DELETE /users/carol
assert_api_error "DELETE the deleted user again" 404
api "$M" GET /users
assert_json "carol no longer listed" '[u["username"] for u in j["users"] if u["username"] == "carol"]' '[]'

# ---- tokens are stored hashed
leaks=0
looked=0
for t in "$ALICE" "$BOB" "$ROOT" "$S" "$T2" "$C"; do
	[ -n "$t" ] || continue
	looked=$((looked + 1))
	for f in "$DB" "$DB-wal"; do
		[ -f "$f" ] && grep -qaF -- "$t" "$f" && leaks=$((leaks + 1))
	done
done
assert_eq "none of the 6 token values appears in the database files (found, of tokens looked for)" \
	"0 of 6" "$leaks of $looked"
assert_nomatch "no token value appears in the log" "$ALICE|$S|$T2|$MASTER" "$(cat "$DAEMON_LOG")"

# ---- DDNSD_MASTER_TOKEN overrides auth.master_token
stop_daemon
export DDNSD_MASTER_TOKEN=env-master-token-42
start_daemon || exit 1
unset DDNSD_MASTER_TOKEN
wait_http || exit 1
upd "env-master-token-42" '{"subdomain":"envhost","ip":"192.0.2.60"}'
assert_status "DDNSD_MASTER_TOKEN is the master token" 200
assert_dns "dig envhost" "envhost.$Z" A 192.0.2.60
upd "$M" '{"subdomain":"envhost","ip":"192.0.2.61"}'
assert_api_error "the config's master token is overridden" 401
upd "$BOB" '{"subdomain":"bobhost","ip":"192.0.2.21"}'
assert_status "user tokens survive the restart" 200
stop_daemon
