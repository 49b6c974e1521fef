#!/bin/bash
# t_pools_api.sh - the /pools routes: PUT (create, unchanged, change, every
# field validated), GET (the stored fields, members with up/load), DELETE
# (gone from DNS and from GET), POST /pools/NAME/report (load visible in GET),
# and who may do what: no or a bad token 401, another user's name 403, the
# owner, an admin, the master and a token scoped to the name allowed.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
add_record "plain.$ZONE" A 192.0.2.99
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

WEB='{"policy":"round-robin","members":[{"ip":"192.0.2.1","weight":1},{"ip":"192.0.2.2","weight":3}],"answers":2,"ttl":45,"allDown":"closed","prefixMatch":false}'

# ---- create, read back, unchanged, change
api "$M" PUT /pools/web "$WEB"
assert_status "PUT /pools/web (master)" 200
assert_json "PUT: updated true" 'j["updated"]' true
assert_json "PUT: pool.name is the full name" 'j["pool"]["name"]' "web.$Z"
assert_json "PUT: pool.policy" 'j["pool"]["policy"]' round-robin
assert_json "PUT: pool.members ips and weights" \
	'[[m["ip"], m["weight"]] for m in j["pool"]["members"]]' '[["192.0.2.1",1],["192.0.2.2",3]]'
assert_json "PUT: answers, ttl, allDown, prefixMatch" \
	'[j["pool"]["answers"], j["pool"]["ttl"], j["pool"]["allDown"], j["pool"]["prefixMatch"]]' \
	'[2,45,"closed",false]'
assert_match "PUT: Content-Type JSON" '^application/json' "$(h_header Content-Type)"

api "$M" GET /pools/web
assert_status "GET /pools/web" 200
assert_json "GET: name, policy, answers, ttl, allDown, prefixMatch" \
	'[j["name"], j["policy"], j["answers"], j["ttl"], j["allDown"], j["prefixMatch"]]' \
	"[\"web.$Z\",\"round-robin\",2,45,\"closed\",false]"
assert_json "GET: members with ip, weight, up true, load null" \
	'[[m["ip"], m["weight"], m["up"], m["load"]] for m in j["members"]]' \
	'[["192.0.2.1",1,true,null],["192.0.2.2",3,true,null]]'
assert_json "GET: no check stored" '"check" not in j or j["check"] is None' true

q +norec "web.$Z" A
assert_eq "DNS after PUT: NOERROR" NOERROR "$(q_status)"
assert_eq "DNS after PUT: both members, TTL 45" \
	"$(printf 'web.%s. 45 IN A 192.0.2.1\nweb.%s. 45 IN A 192.0.2.2' "$Z" "$Z")" "$(q_section ANSWER)"
assert_eq "DNS after PUT: flags" "qr aa" "$(q_flags)"

api "$M" PUT /pools/web "$WEB"
assert_status "PUT the same pool again" 200
assert_json "same pool again: updated false" 'j["updated"]' false

api "$M" PUT /pools/web.$Z. '{"policy":"failover","members":[{"ip":"192.0.2.3"},{"ip":"2001:db8::3","weight":2}]}'
assert_status "PUT by full name with trailing dot: change" 200
assert_json "change: updated true" 'j["updated"]' true
api "$M" GET /pools/web
assert_json "defaults: answers 1, ttl 30, allDown open, prefixMatch false" \
	'[j["answers"], j["ttl"], j["allDown"], j["prefixMatch"]]' '[1,30,"open",false]'
assert_json "default weight 1, IPv6 member kept" \
	'[[m["ip"], m["weight"]] for m in j["members"]]' '[["192.0.2.3",1],["2001:db8::3",2]]'
assert_dns "DNS follows the change (A)" "web.$Z" A 192.0.2.3
assert_dns "DNS follows the change (AAAA)" "web.$Z" AAAA 2001:db8::3
api "$M" GET /pools/WEB.$Z
assert_status "GET by full name in upper case" 200
assert_json "GET by full name: canonical name" 'j["name"]' "web.$Z"

# ---- a check is stored as given
CHK='{"policy":"failover","members":[{"ip":"192.0.2.5"}],"check":{"type":"http","port":8081,"path":"/healthz","expect":204,"interval":0.5,"timeout":0.25,"rise":2,"fall":3}}'
api "$M" PUT /pools/chk "$CHK"
assert_status "PUT a pool with an http check" 200
api "$M" GET /pools/chk
assert_json "GET: the check as stored" \
	'[j["check"][k] for k in ["type","port","path","expect","interval","timeout","rise","fall"]]' \
	'["http",8081,"/healthz",204,0.5,0.25,2,3]'
api "$M" PUT /pools/chk2 '{"policy":"failover","members":[{"ip":"192.0.2.6"}],"check":{"type":"tcp","port":22}}'
assert_status "PUT a pool with a tcp check, defaults for the rest" 200
api "$M" GET /pools/chk2
assert_json "tcp check defaults: interval 5, timeout 2, rise 2, fall 3" \
	'[j["check"][k] if isinstance(j["check"][k], str) else float(j["check"][k]) for k in ["type","port","interval","timeout","rise","fall"]]' \
	'["tcp",22.0,5.0,2.0,2.0,3.0]'

# ---- validation: 400 with {"error"}, nothing stored
bad()
{
	local desc=$1 body=$2 name=${3:-badpool}
	api "$M" PUT "/pools/$name" "$body"
	assert_api_error "PUT $desc" 400
}
MEM='"members":[{"ip":"192.0.2.1"}]'
m33=$(for i in $(seq 1 33); do printf '{"ip":"192.0.2.%d"},' "$i"; done)
bad "unknown policy" "{\"policy\":\"fastest\",$MEM}"
bad "without policy" "{$MEM}" badpool2
bad "without members" '{"policy":"random"}'
bad "empty members" '{"policy":"random","members":[]}'
bad "33 members" "{\"policy\":\"random\",\"members\":[${m33%,}]}"
bad "members not an array" '{"policy":"random","members":"192.0.2.1"}'
bad "member ip not an address" '{"policy":"random","members":[{"ip":"192.0.2.256"}]}'
bad "member ip a name" '{"policy":"random","members":[{"ip":"www.example.com"}]}'
bad "member without ip" '{"policy":"random","members":[{"weight":2}]}'
bad "weight 0" '{"policy":"weighted","members":[{"ip":"192.0.2.1","weight":0}]}'
bad "weight -1" '{"policy":"weighted","members":[{"ip":"192.0.2.1","weight":-1}]}'
bad "weight 1.5" '{"policy":"weighted","members":[{"ip":"192.0.2.1","weight":1.5}]}'
bad "weight a string" '{"policy":"weighted","members":[{"ip":"192.0.2.1","weight":"2"}]}'
bad "answers 0" "{\"policy\":\"random\",$MEM,\"answers\":0}"
bad "answers 33" "{\"policy\":\"random\",$MEM,\"answers\":33}"
bad "ttl 0" "{\"policy\":\"random\",$MEM,\"ttl\":0}"
bad "ttl 604801" "{\"policy\":\"random\",$MEM,\"ttl\":604801}"
bad "ttl a string" "{\"policy\":\"random\",$MEM,\"ttl\":\"30\"}"
bad "allDown maybe" "{\"policy\":\"random\",$MEM,\"allDown\":\"maybe\"}"
bad "prefixMatch a string" "{\"policy\":\"random\",$MEM,\"prefixMatch\":\"yes\"}"
bad "check type icmp" "{\"policy\":\"failover\",$MEM,\"check\":{\"type\":\"icmp\",\"port\":80}}"
bad "check port 0" "{\"policy\":\"failover\",$MEM,\"check\":{\"type\":\"tcp\",\"port\":0}}"
bad "check port 65536" "{\"policy\":\"failover\",$MEM,\"check\":{\"type\":\"tcp\",\"port\":65536}}"
bad "check without port" "{\"policy\":\"failover\",$MEM,\"check\":{\"type\":\"tcp\"}}"
bad "check interval 0" "{\"policy\":\"failover\",$MEM,\"check\":{\"type\":\"tcp\",\"port\":80,\"interval\":0}}"
bad "check rise 0" "{\"policy\":\"failover\",$MEM,\"check\":{\"type\":\"tcp\",\"port\":80,\"rise\":0}}"
bad "check fall 0" "{\"policy\":\"failover\",$MEM,\"check\":{\"type\":\"tcp\",\"port\":80,\"fall\":0}}"
bad "not JSON" '{"policy":'
bad "a JSON array" '[1,2]'
bad "an invalid name (bang!)" "{\"policy\":\"random\",$MEM}" 'bang!'
bad "an invalid name (bad..name)" "{\"policy\":\"random\",$MEM}" 'bad..name'
bad "an invalid name ('*' inside)" "{\"policy\":\"random\",$MEM}" 'a.*.x'
bad "on a name with plain records" "{\"policy\":\"random\",$MEM}" plain
api "$M" GET /pools/badpool
assert_status "nothing stored by the refused PUTs" 404
assert_dns "the plain record is untouched" "plain.$Z" A 192.0.2.99

# ---- auth: 401 and 403
api "" PUT /pools/web "$WEB"
assert_api_error "PUT without a token" 401
api "wrong-token" PUT /pools/web "$WEB"
assert_api_error "PUT with a bad token" 401
api "" GET /pools/web
assert_api_error "GET without a token" 401
api "" DELETE /pools/web
assert_api_error "DELETE without a token" 401
api "" POST /pools/web/report '{"ip":"192.0.2.3","load":1}'
assert_api_error "report without a token" 401

new_user alice
ALICE=$TOK
new_user bob
BOB=$TOK
new_user root true
ADMIN=$TOK
api "$ALICE" PUT /pools/alicepool "$WEB"
assert_status "a user claims a free name as a pool" 200
api "$BOB" PUT /pools/alicepool "$WEB"
assert_api_error "another user cannot change it" 403
api "$BOB" DELETE /pools/alicepool
assert_api_error "another user cannot delete it" 403
api "$BOB" POST /pools/alicepool/report '{"ip":"192.0.2.1","load":3}'
assert_api_error "another user cannot report to it" 403
api "$ALICE" GET /pools/alicepool
assert_status "the owner reads it" 200
api "$ALICE" PUT /pools/alicepool '{"policy":"random","members":[{"ip":"192.0.2.7"}]}'
assert_status "the owner changes it" 200
assert_dns "DNS follows the owner's change" "alicepool.$Z" A 192.0.2.7
api "$ALICE" POST /tokens '{"subdomain":"alicepool"}'
assert_status "the owner makes a token scoped to the pool" 201
SCOPED=$(jv 'j["token"]')
api "$SCOPED" POST /pools/alicepool/report '{"ip":"192.0.2.7","load":4}'
assert_status "the scoped token reports" 200
api "$SCOPED" PUT /pools/alicepool '{"policy":"random","members":[{"ip":"192.0.2.7"},{"ip":"192.0.2.9"}]}'
assert_status "the scoped token changes the pool" 200
api "$SCOPED" PUT /pools/web "$WEB"
assert_api_error "the scoped token cannot write another name" 403
api "$ADMIN" PUT /pools/alicepool '{"policy":"random","members":[{"ip":"192.0.2.8"}]}'
assert_status "an admin changes another user's pool" 200
api "$ALICE" GET /pools/alicepool
assert_status "the owner still reads it after the admin's change" 200
api "$M" PUT /pools/alicepool '{"policy":"random","members":[{"ip":"192.0.2.8"}]}'
assert_status "the master changes it" 200
api "$BOB" PUT /pools/alicepool "$WEB"
assert_api_error "another user still cannot change it after the master's change" 403

# ---- report
api "$M" PUT /pools/ll '{"policy":"least-load","members":[{"ip":"192.0.2.11"},{"ip":"192.0.2.12"},{"ip":"2001:db8::13"}]}'
assert_status "PUT least-load pool" 200
api "$M" POST /pools/ll/report '{"ip":"192.0.2.12","load":17}'
assert_status "report load 17" 200
api "$M" POST /pools/ll/report '{"ip":"2001:db8:0::13","load":0}'
assert_status "report load 0 for the IPv6 member (other spelling)" 200
api "$M" GET /pools/ll
assert_json "GET shows the reported loads" '[m["load"] for m in j["members"]]' '[null,17,0]'
api "$M" POST /pools/ll/report '{"ip":"192.0.2.12","load":5}'
api "$M" GET /pools/ll
assert_json "GET shows the newest report" '[m["load"] for m in j["members"]]' '[null,5,0]'
api "$M" POST /pools/ll/report '{"ip":"192.0.2.99","load":1}'
assert_api_error "report for a non-member" 404
api "$M" POST /pools/nosuch/report '{"ip":"192.0.2.11","load":1}'
assert_api_error "report to an unknown pool" 404
for b in '{"ip":"192.0.2.11","load":-1}' '{"ip":"192.0.2.11","load":1.5}' \
	'{"ip":"192.0.2.11","load":"3"}' '{"ip":"192.0.2.11"}' '{"load":3}' \
	'{"ip":"not-an-ip","load":3}' '{"ip":"192.0.2.11","load":'; do
	api "$M" POST /pools/ll/report "$b"
	assert_api_error "report $b" 400
done
api "$M" GET /pools/ll
assert_json "refused reports change nothing" '[m["load"] for m in j["members"]]' '[null,5,0]'

# ---- a pool name takes no plain records
upd "$M" '{"subdomain":"ll","ip":"192.0.2.77"}'
assert_api_error "POST /update A on a pool name" 400
upd "$M" '{"subdomain":"ll","type":"TXT","value":"x"}'
assert_api_error "POST /update TXT on a pool name" 400
q +norec "ll.$Z" TXT
check_negative "no TXT added at the pool name" NOERROR

# ---- unknown names
api "$M" GET /pools/nosuch
assert_api_error "GET an unknown pool" 404
api "$M" DELETE /pools/nosuch
assert_api_error "DELETE an unknown pool" 404
api "$M" GET /pools/plain
assert_api_error "GET a name with plain records only" 404

# ---- delete
q +norec "web.$Z" A
assert_eq "web answers before DELETE" NOERROR "$(q_status)"
api "$M" DELETE /pools/web
assert_status "DELETE /pools/web" 200
q +norec "web.$Z" A
check_negative "web after DELETE" NXDOMAIN
q +norec "web.$Z" AAAA
check_negative "web AAAA after DELETE" NXDOMAIN
api "$M" GET /pools/web
assert_api_error "GET after DELETE" 404
api "$M" DELETE /pools/web
assert_api_error "DELETE again" 404
api "$M" PUT /pools/web "$WEB"
assert_status "the name can be a pool again" 200
assert_json "re-created: updated true" 'j["updated"]' true
api "$ALICE" DELETE /pools/alicepool
assert_status "the owner deletes her pool" 200
assert_dns "alicepool gone from DNS" "alicepool.$Z" A ""

# ---- pools survive a reload (SIGHUP) with their reported loads
reloaded_once()
{
	grep -q 'reloaded: ' "$DAEMON_LOG" && ctl_up &&
		[ "$(dns_short "web.$Z" A)" = "192.0.2.1 192.0.2.2" ]
}
kill -HUP "$DAEMON_PID"
if wait_until $((8000 * SLOW)) reloaded_once; then
	pass "reload with pools completes"
else
	fail "reload with pools completes within 8 s" "$(dnsq +norec "web.$Z" A)" "log:" "$(tail -n 20 "$DAEMON_LOG")"
fi
api "$M" GET /pools/ll
assert_json "after a reload: members, up, loads" '[[m["ip"], m["up"], m["load"]] for m in j["members"]]' \
	'[["192.0.2.11",true,null],["192.0.2.12",true,5],["2001:db8::13",true,0]]'
q +norec "web.$Z" A
assert_eq "DNS after a reload: both members of the closed pool" \
	"$(printf 'web.%s. 45 IN A 192.0.2.1\nweb.%s. 45 IN A 192.0.2.2' "$Z" "$Z")" "$(q_section ANSWER)"

# ---- pools survive a restart
stop_daemon
start_daemon || exit 1
wait_http || exit 1
api "$M" GET /pools/ll
assert_status "GET after a restart" 200
assert_json "members after a restart" '[m["ip"] for m in j["members"]]' '["192.0.2.11","192.0.2.12","2001:db8::13"]'
api "$M" GET /pools/web
assert_json "after a restart: members without a check are up" '[m["up"] for m in j["members"]]' '[true,true]'
q +norec "web.$Z" A
assert_eq "DNS after a restart: both members of the closed pool" \
	"$(printf 'web.%s. 45 IN A 192.0.2.1\nweb.%s. 45 IN A 192.0.2.2' "$Z" "$Z")" "$(q_section ANSWER)"
