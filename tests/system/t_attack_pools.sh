#!/bin/bash
# t_attack_pools.sh - a user's pool health checks cannot probe the server's
# neighbourhood.  A user's (not an admin's) pool with a check may only have
# members at globally reachable unicast addresses or inside
# pools.allowed_members (here 127.0.0.2/32): loopback, the cloud metadata
# address, private and link-local members get 403 and no pool (no DNS
# answer, no row).  A member that is allowed is checked (the listener sees
# the probes; GET /pools shows up/down only, and the log carries no status
# code for a user's pool).  A pool without a check is only DNS data and is
# accepted; an admin's checked pool may reach anything.  A user's pool stored
# before the rule (owner set in the database) is not probed at a refused
# address: that member goes down with the reason logged, no connection made.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
printf 'pools:\n  allowed_members: [127.0.0.2/32]\n' >>"$CONF"
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE
P=$("$PY" "$SYS_DIR/ports.py" 1)
FAST="\"interval\":0.2,\"timeout\":0.2,\"rise\":1,\"fall\":1"

new_user alice
ALICE=$TOK
ALICE_ID=$(sqlite3 "$DB" "SELECT id FROM users WHERE username = 'alice';")

# listener ADDR LOG: a TCP/HTTP listener on ADDR:P that logs each accept.
listener()
{
	"$PY" "$SYS_DIR/pool_probe.py" listen "$1" "$P" >>"$2" 2>&1 &
	LPID=$!
	BG_PIDS+=("$LPID")
	wait_until 3000 bash -c "echo >/dev/tcp/$1/$P" ||
		fail "listener on $1:$P starts" "$(tail -n 5 "$2")"
}
accepts() { grep -c '^accepted' "$1" 2>/dev/null; }
listener 127.0.0.1 "$T_DIR/lo1.log"
listener 127.0.0.2 "$T_DIR/lo2.log"
pool_rows() { sqlite3 "$DB" "SELECT count(*) FROM pools WHERE name = '$1';"; }

# ---- refused: members the server must not probe for a user
n1=$(accepts "$T_DIR/lo1.log")
for ip in 127.0.0.1 169.254.169.254 10.0.0.1 192.168.1.1 fe80::1 ::1 ::ffff:127.0.0.1; do
	api "$ALICE" PUT /pools/probe "{\"policy\":\"round-robin\",\"members\":[{\"ip\":\"$ip\"}],
		\"check\":{\"type\":\"http\",\"port\":$P,\"path\":\"/ok\",\"expect\":200,$FAST}}"
	assert_api_error "alice's checked pool with member $ip" 403
	assert_match "$ip: the reason names pools.allowed_members" "pools.allowed_members" "$H_BODY"
done
assert_eq "no pool row made" 0 "$(pool_rows "probe.$Z")"
assert_dns "no DNS answer made" "probe.$Z" A ""
sleep 0.5
assert_eq "nothing probed 127.0.0.1 for alice" "$n1" "$(accepts "$T_DIR/lo1.log")"

# ---- allowed: the legitimate uses beside it
api "$ALICE" PUT /pools/plain '{"policy":"round-robin","answers":2,"members":[{"ip":"127.0.0.1"},{"ip":"10.0.0.1"}]}'
assert_status "alice's pool without a check may hold any address (DNS data only)" 200
assert_dns "it answers" "plain.$Z" A "10.0.0.1 127.0.0.1"

api "$ALICE" PUT /pools/app "{\"policy\":\"round-robin\",\"members\":[{\"ip\":\"127.0.0.2\"}],
	\"check\":{\"type\":\"http\",\"port\":$P,\"path\":\"/fail\",\"expect\":200,$FAST}}"
assert_status "alice's checked pool with a member inside pools.allowed_members" 200
probed() { [ "$(accepts "$T_DIR/lo2.log")" -ge 2 ]; }
wait_until $((5000 * SLOW)) probed && pass "the allowed member is checked (the listener saw probes)" ||
	fail "the allowed member is checked" "$(cat "$T_DIR/lo2.log")"
down() { api "$ALICE" GET /pools/app; [ "$(jv '[m["up"] for m in j["members"]]')" = "[false]" ]; }
wait_until $((5000 * SLOW)) down && pass "GET /pools shows the member down" ||
	fail "GET /pools shows the member down" "$H_BODY"
assert_json "alice sees up/down and load, no check detail" 'sorted(j["members"][0])' '["ip","load","up","weight"]'
logged() { grep -q "pool app.$Z member 127.0.0.2 down" "$DAEMON_LOG"; }
wait_until $((5000 * SLOW)) logged && pass "the down transition is logged" ||
	fail "the down transition is logged" "$(tail -n 20 "$DAEMON_LOG")"
assert_nomatch "no status code logged for a user's pool" "status 503" \
	"$(grep "pool app.$Z" "$DAEMON_LOG")"

api "$M" PUT /pools/admin "{\"policy\":\"round-robin\",\"members\":[{\"ip\":\"127.0.0.1\"}],
	\"check\":{\"type\":\"tcp\",\"port\":$P,$FAST}}"
assert_status "the master's checked pool may reach 127.0.0.1" 200
up() { api "$M" GET /pools/admin; [ "$(jv '[m["up"] for m in j["members"]]')" = "[true]" ]; }
wait_until $((5000 * SLOW)) up && pass "and it is checked up" || fail "the master's pool is checked up" "$H_BODY"

# ---- a user's pool from before the rule: stored, owner set in the database
api "$M" PUT /pools/legacy "{\"policy\":\"round-robin\",\"members\":[{\"ip\":\"127.0.0.1\"}],
	\"check\":{\"type\":\"tcp\",\"port\":$P,$FAST}}"
assert_status "a checked pool at 127.0.0.1 (made by the master)" 200
legacy_up() { api "$M" GET /pools/legacy; [ "$(jv '[m["up"] for m in j["members"]]')" = "[true]" ]; }
wait_until $((5000 * SLOW)) legacy_up && pass "legacy is up while the server's" || fail "legacy up" "$H_BODY"
sqlite3 "$DB" "UPDATE pools SET owner_id = $ALICE_ID WHERE name = 'legacy.$Z';"
# any pool change makes the checker read the definitions again
api "$M" PUT /pools/nudge '{"policy":"round-robin","members":[{"ip":"192.0.2.1"}]}'
assert_status "a pool change (the checker reads again)" 200
refused_log() { grep -q "pool legacy.$Z member 127.0.0.1 down.*pools.allowed_members" "$DAEMON_LOG"; }
wait_until $((5000 * SLOW)) refused_log && pass "the user's stored pool: member down, reason logged" ||
	fail "the user's stored pool: member down, reason logged" "$(grep legacy "$DAEMON_LOG")"
legacy_down() { api "$M" GET /pools/legacy; [ "$(jv '[m["up"] for m in j["members"]]')" = "[false]" ]; }
wait_until $((5000 * SLOW)) legacy_down && pass "GET /pools shows it down" || fail "legacy down" "$H_BODY"

stop_daemon
