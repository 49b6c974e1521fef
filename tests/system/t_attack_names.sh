#!/bin/bash
# t_attack_names.sh - who may write which name (docs/decisions/0013-ownership.md).
# A user tries to take names that are not theirs: the server's names (made by
# the master token, an admin or the database), an acme-dns account's name,
# the apex, a name server host, "*" and "_acme-challenge" at the apex, and
# names under another user's name, over POST /update, DELETE /records,
# PUT /pools and dyndns2.  Each gets 403 (dyndns2: nohost) with the DNS
# answer and the rows unchanged.  Beside each, the legitimate use still
# works: the owner writes below their name, an admin sets the apex and hands
# a name to a user, an acme-dns client sets its own TXT, a user claims a
# free name, and a name a user held below another's before keeps its holder.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
ACME_ZONE=$ZONE
write_http_config
init_db || exit 1
add_record "dbhost.$ZONE" A 192.0.2.40
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

new_user alice
ALICE=$TOK
new_user bob
BOB=$TOK
new_user carol
CAROL=$TOK
new_user root true
ROOT=$TOK
uid() { sqlite3 "$DB" "SELECT id FROM users WHERE username = '$1';"; }
BOB_ID=$(uid bob)
ALICE_ID=$(uid alice)

# rows NAME: "owner_id|type|value" of NAME's rows (owner "-" for none), sorted.
rows()
{
	sqlite3 "$DB" "SELECT coalesce(owner_id, '-') || '|' || type || '|' || value FROM records
		WHERE name = '$1' ORDER BY type, value;" | tr '\n' ' ' | sed 's/ $//'
}

# refused DESC NAME TYPE: the last reply is 403 with a reason, NAME's rows
# and DNS answer of TYPE are what they were before (ROWS0 / DNS0).
refused()
{
	assert_api_error "$1" 403
	assert_eq "$1: rows unchanged" "$ROWS0" "$(rows "$2")"
	assert_dns "$1: DNS unchanged" "$2" "$3" "$DNS0"
}
before() { ROWS0=$(rows "$1"); DNS0=$(dns_short "$1" "$2"); }

# ---- the server's names: made by the master token, an admin, the database
upd "$M" '{"subdomain":"corp","ip":"192.0.2.50"}'
assert_status "master creates corp" 200
upd "$ROOT" '{"subdomain":"adminmade","ip":"192.0.2.51"}'
assert_status "an admin creates adminmade" 200
assert_eq "an admin's name is the server's (no owner)" "-|A|192.0.2.51" "$(rows "adminmade.$Z")"
for n in corp adminmade dbhost; do
	before "$n.$Z" A
	upd "$ALICE" "{\"subdomain\":\"$n\",\"ip\":\"198.51.100.66\"}"
	refused "alice takes the server's $n" "$n.$Z" A
	assert_match "the reason names the server" "belongs to the server" "$H_BODY"
	api "$ALICE" DELETE "/records/$n.$Z"
	refused "alice deletes the server's $n" "$n.$Z" A
done

# ---- reserved by the configuration: apex, NS hosts, * and _acme-challenge at the apex
for spec in "@ A" "ns1 A" "ns2 AAAA" "* A" "_acme-challenge TXT"; do
	set -f; set -- $spec; set +f
	name=$Z
	[ "$1" = @ ] || name=$1.$Z
	before "$name" "$2"
	case $2 in
	TXT) body="{\"subdomain\":\"$1\",\"type\":\"TXT\",\"value\":\"stolen-challenge\"}" ;;
	AAAA) body="{\"subdomain\":\"$1\",\"ip\":\"2001:db8::66\"}" ;;
	*) body="{\"subdomain\":\"$1\",\"ip\":\"198.51.100.66\"}" ;;
	esac
	upd "$ALICE" "$body"
	refused "alice writes $2 at $name" "$name" "$2"
	assert_match "$name: the reason says reserved" "reserved for admins" "$H_BODY"
done
api "$ALICE" PUT "/pools/*" '{"policy":"round-robin","members":[{"ip":"192.0.2.9","weight":1}]}'
assert_api_error "alice makes a pool of *.$Z" 403

# the legitimate use beside it: an admin sets the apex and the apex challenge
upd "$ROOT" '{"subdomain":"@","ip":"192.0.2.1"}'
assert_status "an admin sets the apex" 200
assert_dns "the apex answers the admin's address" "$Z" A 192.0.2.1
upd "$ROOT" '{"subdomain":"_acme-challenge","type":"TXT","value":"admin-challenge"}'
assert_status "an admin sets _acme-challenge at the apex" 200
assert_dns "the apex challenge answers" "_acme-challenge.$Z" TXT '"admin-challenge"'
before "$Z" A
upd "$ALICE" '{"subdomain":"@","ip":"198.51.100.66"}'
refused "alice overwrites the admin's apex" "$Z" A

# ---- an acme-dns account's name
api "" POST /acme/register
assert_status "acme-dns register" 201
AU=$(jv 'j["username"]')
AP=$(jv 'j["password"]')
SUB=$(jv 'j["subdomain"]')
before "$SUB.$Z" TXT
upd "$ALICE" "{\"subdomain\":\"$SUB\",\"type\":\"TXT\",\"value\":\"stolen-dns01-proof-000000000000000000000\"}"
refused "alice writes the acme-dns account's TXT" "$SUB.$Z" TXT
before "x.$SUB.$Z" A
upd "$ALICE" "{\"subdomain\":\"x.$SUB\",\"ip\":\"198.51.100.66\"}"
refused "alice writes below the acme-dns account's name" "x.$SUB.$Z" A
TXT=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
api "" POST /acme/update "{\"subdomain\":\"$SUB\",\"txt\":\"$TXT\"}" -H "X-Api-User: $AU" -H "X-Api-Key: $AP"
assert_status "the acme-dns client still sets its own TXT" 200
assert_dns "its TXT answers" "$SUB.$Z" TXT "\"$TXT\""

# ---- names under another user's name
upd "$BOB" '{"subdomain":"bobhome","ip":"192.0.2.20"}'
assert_status "bob claims the free bobhome" 200
assert_eq "bobhome is bob's" "$BOB_ID|A|192.0.2.20" "$(rows "bobhome.$Z")"
for spec in "_acme-challenge.bobhome TXT" "*.bobhome A" "x.bobhome A" "bobhome A"; do
	set -f; set -- $spec; set +f
	before "$1.$Z" "$2"
	if [ "$2" = TXT ]; then
		upd "$ALICE" "{\"subdomain\":\"$1\",\"type\":\"TXT\",\"value\":\"stolen-challenge\"}"
	else
		upd "$ALICE" "{\"subdomain\":\"$1\",\"ip\":\"198.51.100.66\"}"
	fi
	refused "alice writes $2 at $1 (bob's)" "$1.$Z" "$2"
	assert_match "$1: the reason names another user" "belongs to another user" "$H_BODY"
done
before "x.bobhome.$Z" A
api "$ALICE" PUT /pools/x.bobhome '{"policy":"round-robin","members":[{"ip":"192.0.2.9","weight":1}]}'
refused "alice makes a pool under bob's name" "x.bobhome.$Z" A
before "bobhome.$Z" A
api "$ALICE" DELETE "/records/bobhome.$Z"
refused "alice deletes bob's name" "bobhome.$Z" A
H_CODE=$(curl -s -m 10 -o "$T_DIR/nic.body" -w '%{http_code}' -u "alice:$ALICE" \
	"http://127.0.0.1:$HTTP_PORT/nic/update?hostname=x.bobhome.$Z&myip=198.51.100.66")
assert_eq "dyndns2: alice under bob's name gets nohost" nohost "$(tr -d '\r' <"$T_DIR/nic.body")"
assert_dns "dyndns2: nothing made under bob's name" "x.bobhome.$Z" A ""

# bob writes below his own name; the new names are his
upd "$BOB" '{"subdomain":"_acme-challenge.bobhome","type":"TXT","value":"bobs-challenge"}'
assert_status "bob sets _acme-challenge.bobhome" 200
upd "$BOB" '{"subdomain":"x.bobhome","ip":"192.0.2.21"}'
assert_status "bob creates x.bobhome" 200
assert_dns "x.bobhome answers bob's address" "x.bobhome.$Z" A 192.0.2.21
assert_eq "x.bobhome is bob's" "$BOB_ID|A|192.0.2.21" "$(rows "x.bobhome.$Z")"
upd "$BOB" '{"subdomain":"bobhome","ip":"192.0.2.22"}'
assert_status "bob updates bobhome" 200
assert_dns "bobhome answers the new address" "bobhome.$Z" A 192.0.2.22
api "$BOB" PUT /pools/web.bobhome '{"policy":"round-robin","members":[{"ip":"192.0.2.30","weight":1}]}'
assert_status "bob makes a pool under his name" 200

# ---- a more specific holder keeps its name
upd "$ALICE" '{"subdomain":"z.carolhome","ip":"192.0.2.60"}'
assert_status "alice claims z.carolhome while carolhome is free" 200
upd "$CAROL" '{"subdomain":"carolhome","ip":"192.0.2.61"}'
assert_status "carol claims carolhome" 200
upd "$ALICE" '{"subdomain":"z.carolhome","ip":"192.0.2.62"}'
assert_status "alice still updates z.carolhome (the more specific holder)" 200
before "z.carolhome.$Z" A
upd "$CAROL" '{"subdomain":"z.carolhome","ip":"198.51.100.66"}'
refused "carol takes alice's z.carolhome" "z.carolhome.$Z" A
upd "$CAROL" '{"subdomain":"y.carolhome","ip":"192.0.2.63"}'
assert_status "carol creates y.carolhome" 200

# ---- an admin hands a server name to a user
upd "$ROOT" '{"subdomain":"corp","ip":"192.0.2.52","owner":"alice"}'
assert_status "an admin gives corp to alice" 200
assert_eq "corp is alice's" "$ALICE_ID|A|192.0.2.52" "$(rows "corp.$Z")"
upd "$ALICE" '{"subdomain":"corp","ip":"192.0.2.53"}'
assert_status "alice updates corp now" 200
assert_dns "corp answers alice's address" "corp.$Z" A 192.0.2.53

# ---- a free name is still anyone's to claim
upd "$ALICE" '{"subdomain":"alicehome","ip":"192.0.2.70"}'
assert_status "alice claims a free name" 200
assert_dns "alicehome answers" "alicehome.$Z" A 192.0.2.70

stop_daemon
