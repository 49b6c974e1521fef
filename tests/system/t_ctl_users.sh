#!/bin/bash
# t_ctl_users.sh - ddnsctl user add / list / del and token create / list /
# revoke against the real daemon: the token printed alone on the last line
# (or {"token"} with --json) works for POST /update at once; the admin flag
# shows in user list; a duplicate user exits 1; a deleted user's token and a
# revoked token get 401; a subdomain token updates its name (and its
# _acme-challenge child) and gets 403 elsewhere; token list never shows a
# token's value.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
wait_ctl || exit 1
Z=$ZONE
TOKENS=() # every token value printed so far

# token_of DESC: the token on the last line of a human reply (a check).
token_of()
{
	local t
	t=$(ctl_last_line)
	if [ "$CTL_RC" = 0 ] && printf '%s\n' "$t" | grep -Eq '^[A-Za-z0-9_.~+/=-]{20,}$'; then
		pass "$1: the token alone on the last line"
		TOKENS+=("$t")
		TOK=$t
	else
		fail "$1: the token alone on the last line" "exit $CTL_RC" "stdout: $CTL_OUT" "stderr: $CTL_ERR"
		TOK=
	fi
}

# ---- user add
ctl user add alice
assert_ctl_ok "user add alice"
token_of "user add alice"
ALICE=$TOK
assert_eq "user add alice: two lines (text, token)" 2 "$(ctl_lines "$CTL_OUT")"
assert_match "user add alice: says the user was created" "^user alice created" "$CTL_OUT"
upd "$ALICE" '{"subdomain":"alicehost","ip":"192.0.2.1"}'
assert_status "alice's token: POST /update" 200
assert_dns "dig alice's name" "alicehost.$Z" A 192.0.2.1
upd "$ALICE" '{"subdomain":"alicehost","ip":"192.0.2.2"}'
assert_status "alice's token: change her name" 200
assert_dns "dig alice's changed name" "alicehost.$Z" A 192.0.2.2

ctl user add bob --admin
assert_ctl_ok "user add bob --admin"
token_of "user add bob --admin"
BOB=$TOK
assert_match "user add bob --admin: says admin" "^user bob \\(admin\\) created" "$CTL_OUT"
upd "$BOB" '{"subdomain":"bobhost","ip":"192.0.2.3"}'
assert_status "bob's token: POST /update" 200
api "$BOB" GET /users
assert_status "bob's token is an admin's: GET /users" 200
api "$ALICE" GET /users
[ "$H_CODE" = 403 ] && pass "alice's token is not an admin's: GET /users 403" ||
	fail "alice's token is not an admin's: GET /users 403" "got HTTP $H_CODE: $H_BODY"

ctl --json user add carol
assert_ctl_ok "user add carol --json"
assert_json "user add --json: token, username, admin" '[sorted(j), j["username"], j["admin"]]' \
	'[["admin","token","username"],"carol",false]' "$CTL_OUT"
CAROL=$(jv 'j["token"]' "$CTL_OUT")
TOKENS+=("$CAROL")
upd "$CAROL" '{"subdomain":"carolhost","ip":"192.0.2.4"}'
assert_status "carol's --json token: POST /update" 200
assert_dns "dig carol's name" "carolhost.$Z" A 192.0.2.4
upd "$CAROL" '{"subdomain":"alicehost","ip":"192.0.2.66"}'
[ "$H_CODE" = 403 ] && pass "carol cannot update alice's name (403)" ||
	fail "carol cannot update alice's name (403)" "got HTTP $H_CODE: $H_BODY"
assert_dns "alice's name untouched" "alicehost.$Z" A 192.0.2.2

ctl user add --admin dave
assert_ctl_ok "user add --admin before the name"
token_of "user add --admin dave"

# ---- refused user adds
n0=$(sqlite3 "$DB" 'SELECT count(*) FROM users;')
t0=$(sqlite3 "$DB" 'SELECT count(*) FROM tokens;')
ctl user add alice
assert_ctl_fail "user add of an existing user" "user alice already exists"
ctl user add alice --admin
assert_ctl_fail "user add of an existing user with --admin" "already exists"
for u in "Bad Name" "bang!" "" "$(printf 'u%.0s' $(seq 64))"; do
	ctl user add "$u"
	assert_ctl_fail "user add '${u:0:20}'" "user names"
done
assert_eq "refused adds: no user created" "$n0" "$(sqlite3 "$DB" 'SELECT count(*) FROM users;')"
assert_eq "refused adds: no token created" "$t0" "$(sqlite3 "$DB" 'SELECT count(*) FROM tokens;')"

# ---- user list
ctl user list
assert_ctl_ok "user list"
assert_match "user list: header" '^USER +ADMIN +NAMES +CREATED$' "$CTL_OUT"
assert_match "user list: alice, not admin, one name" '^alice +no +1 +[0-9]{4}-[0-9]{2}-[0-9]{2} ' "$CTL_OUT"
assert_match "user list: bob, admin, holds no names (an admin's names are the server's)" '^bob +yes +0 ' "$CTL_OUT"
assert_match "user list: carol, not admin" '^carol +no +1 ' "$CTL_OUT"
assert_match "user list: dave, admin, no names" '^dave +yes +0 ' "$CTL_OUT"
assert_eq "user list: four users" 4 $(($(ctl_lines "$CTL_OUT") - 1))
ctl --json user list
assert_ctl_ok "user list --json"
assert_json "user list --json: usernames and admin flags" \
	'[[u["username"], bool(u["admin"])] for u in j["users"]]' \
	'[["alice",false],["bob",true],["carol",false],["dave",true]]' "$CTL_OUT"
shown=
for t in "${TOKENS[@]}"; do
	case $CTL_OUT in *"$t"*) shown="$shown ${t:0:10}..." ;; esac
done
assert_eq "user list --json shows none of the ${#TOKENS[@]} token values" "" "$shown"

# ---- user del
ctl user del alice
assert_ctl_ok "user del alice"
assert_match "user del alice: reply" "^user alice deleted" "$CTL_OUT"
upd "$ALICE" '{"subdomain":"alicehost","ip":"192.0.2.9"}'
assert_api_error "the deleted user's token: POST /update" 401
api "$ALICE" GET /records
assert_api_error "the deleted user's token: GET /records" 401
assert_dns "a 401 changes nothing" "alicehost.$Z" A 192.0.2.2
ctl user del alice
assert_ctl_fail "user del of a deleted user" "no user alice"
ctl user del nosuchuser
assert_ctl_fail "user del of an unknown user" "no user nosuchuser"
ctl --json user list
assert_json "user list after the delete" '[u["username"] for u in j["users"]]' '["bob","carol","dave"]' \
	"$CTL_OUT"
upd "$BOB" '{"subdomain":"bobhost","ip":"192.0.2.5"}'
assert_status "bob's token still works" 200

# ---- token create --subdomain
ctl record set dev A 192.0.2.10
assert_ctl_ok "record set dev A"
ctl token create --subdomain dev
assert_ctl_ok "token create --subdomain dev"
token_of "token create --subdomain dev"
DEV=$TOK
DEV_ID=$(printf '%s\n' "$CTL_OUT" | sed -n 's/^token \([0-9]*\) for .*/\1/p')
assert_match "token create: says the id and the full name" "^token [0-9]+ for dev\\.$Z " "$CTL_OUT"
upd "$DEV" '{"subdomain":"dev","ip":"192.0.2.11"}'
assert_status "subdomain token: POST /update of its name" 200
assert_dns "dig the name the subdomain token changed" "dev.$Z" A 192.0.2.11
upd "$DEV" "{\"subdomain\":\"dev.$Z\",\"ip\":\"2001:db8::11\"}"
assert_status "subdomain token: its name in full, AAAA" 200
upd "$DEV" '{"subdomain":"_acme-challenge.dev","type":"TXT","value":"acme-tok"}'
assert_status "subdomain token: its _acme-challenge child" 200
assert_dns "dig the _acme-challenge TXT" "_acme-challenge.dev.$Z" TXT '"acme-tok"'
upd "$DEV" '{"subdomain":"other","ip":"192.0.2.12"}'
assert_api_error "subdomain token: another name" 403
upd "$DEV" '{"subdomain":"bobhost","ip":"192.0.2.12"}'
assert_api_error "subdomain token: bob's name" 403
upd "$DEV" '{"subdomain":"x.dev","ip":"192.0.2.12"}'
assert_api_error "subdomain token: a name below its own" 403
q +norec "other.$Z" A
check_negative "the 403 created nothing" NXDOMAIN
assert_dns "bob's name untouched" "bobhost.$Z" A 192.0.2.5

ctl --json token create --subdomain "fresh.$Z."
assert_ctl_ok "token create --json for a name without records yet"
assert_json "token create --json: token, id, subdomain" '[sorted(j), j["subdomain"]]' \
	"[[\"id\",\"subdomain\",\"token\"],\"fresh.$Z\"]" "$CTL_OUT"
FRESH=$(jv 'j["token"]' "$CTL_OUT")
FRESH_ID=$(jv 'j["id"]' "$CTL_OUT")
TOKENS+=("$FRESH")
upd "$FRESH" '{"subdomain":"fresh","ip":"192.0.2.13"}'
assert_status "the --json token creates its name" 200
assert_dns "dig the fresh name" "fresh.$Z" A 192.0.2.13
t0=$(sqlite3 "$DB" 'SELECT count(*) FROM tokens;')
ctl token create --subdomain "bad..name"
assert_ctl_fail "token create for an invalid name" "not a valid name"
ctl token create --subdomain
assert_ctl_fail "token create --subdomain without a name" "usage"
assert_eq "refused token creates: no token" "$t0" "$(sqlite3 "$DB" 'SELECT count(*) FROM tokens;')"

# ---- token list: ids, names, users, never the values
ctl token list
assert_ctl_ok "token list"
human=$CTL_OUT
ctl --json token list
assert_ctl_ok "token list --json"
json=$CTL_OUT
assert_match "token list: header" '^ID +SUBDOMAIN +USER +CREATED +LAST USED$' "$human"
assert_match "token list: the dev token" "^$DEV_ID +dev\\.$Z " "$human"
assert_match "token list: bob's token" "^[0-9]+ +\\(all of the user's names\\) +bob " "$human"
assert_json "token list --json: the subdomain tokens" \
	"sorted([t[\"id\"], t[\"subdomain\"]] for t in j[\"tokens\"] if t[\"subdomain\"])" \
	"[[$DEV_ID,\"dev.$Z\"],[$FRESH_ID,\"fresh.$Z\"]]" "$json"
assert_json "token list --json: users of the user tokens" \
	'sorted(t["username"] for t in j["tokens"] if not t["subdomain"])' '["bob","carol","dave"]' "$json"
assert_json "token list --json: no field holds a token or a hash" \
	'[k for t in j["tokens"] for k in t if "token" in k or "hash" in k or "secret" in k]' '[]' "$json"
leaked=
for t in "${TOKENS[@]}"; do
	case "$human$json" in *"$t"* | *"${t:0:16}"*) leaked="$leaked ${t:0:10}..." ;; esac
done
assert_eq "token list (human and --json) shows no token value" "" "$leaked"
assert_eq "token list: as many rows as --json entries" "$(jv 'len(j["tokens"])' "$json")" \
	$(($(ctl_lines "$human") - 1))
assert_json "token list --json: the used dev token has a last_used time" \
	"[t[\"last_used\"] is not None for t in j[\"tokens\"] if t[\"id\"] == $DEV_ID]" '[true]' "$json"

# ---- token revoke
ctl token revoke "$DEV_ID"
assert_ctl_ok "token revoke $DEV_ID"
assert_eq "token revoke: reply" "token $DEV_ID revoked" "$CTL_OUT"
upd "$DEV" '{"subdomain":"dev","ip":"192.0.2.14"}'
assert_api_error "the revoked token: POST /update" 401
assert_dns "a revoked token changes nothing" "dev.$Z" A 192.0.2.11
ctl --json token list
assert_json "token list: the revoked id is gone" "[t[\"id\"] for t in j[\"tokens\"] if t[\"id\"] == $DEV_ID]" \
	'[]' "$CTL_OUT"
upd "$FRESH" '{"subdomain":"fresh","ip":"192.0.2.15"}'
assert_status "the other subdomain token still works" 200
ctl token revoke "$DEV_ID"
assert_ctl_fail "token revoke of a revoked id" "no token $DEV_ID"
ctl token revoke 999999
assert_ctl_fail "token revoke of an unknown id" "no token 999999"
ctl token revoke 0
assert_ctl_fail "token revoke 0" "token revoke 0"
ctl token revoke -3
assert_ctl_fail "token revoke -3" "token revoke -3"
ctl --json token revoke "$FRESH_ID"
assert_ctl_ok "token revoke --json"
assert_json "token revoke --json" 'j["revoked"]' "$FRESH_ID" "$CTL_OUT"
upd "$FRESH" '{"subdomain":"fresh","ip":"192.0.2.16"}'
assert_api_error "the token revoked with --json: 401" 401
bob_id=$(jv "[t[\"id\"] for t in j[\"tokens\"] if t[\"username\"] == \"bob\"][0]" "$json")
ctl token revoke "$bob_id"
assert_ctl_ok "token revoke of bob's user token"
upd "$BOB" '{"subdomain":"bobhost","ip":"192.0.2.17"}'
assert_api_error "bob's revoked token: 401" 401
upd "$MASTER" '{"subdomain":"bobhost","ip":"192.0.2.18"}'
assert_status "the master token is unaffected" 200
stop_daemon
