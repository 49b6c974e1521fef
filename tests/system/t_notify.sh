#!/bin/bash
# t_notify.sh - events to notify: targets, delivered from the outbox.
#
# A receiver started here on loopback (receiver.py) plays Discord, Slack, a
# generic webhook and a rate-limited webhook; a command target appends to a
# file.  A change sends one Discord-shaped payload, an unchanged update sends
# none; the webhook's X-Ddnsd-Signature verifies (HMAC-SHA256 of the raw
# body with the target's secret); the command runs with the event in its
# environment; a 429 with Retry-After is honoured; with the receiver down,
# events queue and are all delivered, in order, once it is back, across a
# kill -9 of the whole daemon in between; repeated failed authentication, a
# killed worker and a pool member going down are events too.
. "$(dirname "$0")/lib.sh"

pick_ports
RPORT=$("$PY" "$SYS_DIR/ports.py" 1)
RLOG=$T_DIR/received.jsonl
CMDLOG=$T_DIR/command.log
SECRET="hook-secret-$$"
ONE_ZONE=1
write_http_config
cat >>"$CONF" <<EOF
notify:
  - { name: disco, type: discord, url: "http://127.0.0.1:$RPORT/discord", events: [record_changed] }
  - { name: chat, type: slack, url: "http://127.0.0.1:$RPORT/slack", events: [record_changed, member_down, member_up] }
  - { name: hook, type: webhook, url: "http://127.0.0.1:$RPORT/hook", secret: "$SECRET" }
  - { name: slow, type: webhook, url: "http://127.0.0.1:$RPORT/limited", events: [record_changed] }
  - name: run
    type: command
    command: 'printf "%s|%s|%s|%s|%s\n" "\$DDNSD_EVENT" "\$DDNSD_NAME" "\$DDNSD_TYPE" "\$DDNSD_VALUE" "\$DDNSD_OLD_VALUE" >> $CMDLOG'
    events: [record_changed]
EOF
init_db || exit 1

RPID=
recv_start()
{
	"$PY" "$SYS_DIR/receiver.py" "$RPORT" "$RLOG" /limited &
	RPID=$!
	BG_PIDS+=("$RPID")
	up() { curl -s -o /dev/null -m 1 -X POST "http://127.0.0.1:$RPORT/ping"; }
	wait_until $((5000 * SLOW)) up || fail "receiver starts on port $RPORT"
}
recv_stop()
{
	kill "$RPID" 2>/dev/null
	wait "$RPID" 2>/dev/null
	RPID=
}

# rq PATH PYEXPR: evaluates PYEXPR over the list r of requests received on PATH
rq()
{
	"$PY" - "$RLOG" "$1" "$2" <<'PYEOF'
import json, sys
log, path, expr = sys.argv[1:4]
r = []
try:
    with open(log) as f:
        for line in f:
            x = json.loads(line)
            if x["path"] == path:
                x["json"] = json.loads(x["body"]) if x["body"] else None
                r.append(x)
except FileNotFoundError:
    pass
print(eval(expr))
PYEOF
}
n_at() { rq "$1" 'len(r)'; }
wait_n() # PATH N: until at least N requests arrived on PATH
{
	local path=$1 n=$2
	enough() { [ "$(n_at "$path")" -ge "$n" ]; }
	wait_until $((10000 * SLOW)) enough
}

recv_start
start_daemon || exit 1
wait_http || exit 1

# ---- a change: one Discord payload, each target once
upd "$MASTER" '{"subdomain":"home","ip":"192.0.2.1"}'
assert_status "create home" 200
wait_n /discord 1 || fail "Discord target receives the change within 10 s"
assert_eq "Discord: one payload for one change" 1 "$(n_at /discord)"
assert_eq "Discord: webhook shape (username, one embed with title, fields, timestamp)" \
	"ddnsd Record created 1" \
	"$(rq /discord 'r[0]["json"]["username"] + " " + r[0]["json"]["embeds"][0]["title"] + " " + str(len(r[0]["json"]["embeds"]))')"
assert_eq "Discord: fields name the record and the new value" \
	"home.$ZONE A (none) 192.0.2.1" \
	"$(rq /discord '" ".join(f["value"] for f in r[0]["json"]["embeds"][0]["fields"])')"
assert_eq "Discord: JSON content type" "application/json" "$(rq /discord 'r[0]["headers"]["content-type"]')"

# ---- unchanged: nothing
upd "$MASTER" '{"subdomain":"home","ip":"192.0.2.1"}'
assert_json "unchanged update" 'j["updated"]' false
upd "$MASTER" '{"subdomain":"home","ip":"192.0.2.2"}'
wait_n /discord 2 || fail "the second change arrives"
sleep $((1 * SLOW))
assert_eq "an unchanged update sends nothing (2 payloads for 2 changes)" 2 "$(n_at /discord)"
assert_eq "Discord: the change shows old and new" "192.0.2.1 192.0.2.2" \
	"$(rq /discord '" ".join(f["value"] for f in r[1]["json"]["embeds"][0]["fields"] if f["name"] in ("Old", "New"))')"

# ---- the generic webhook: signed
wait_n /hook 2 || fail "webhook receives both changes"
VERIFY='all(__import__("hmac").compare_digest(x["headers"]["x-ddnsd-signature"], "sha256=" + __import__("hmac").new(b"'"$SECRET"'", x["body"].encode(), "sha256").hexdigest()) for x in r)'
assert_eq "webhook: X-Ddnsd-Signature = HMAC-SHA256(secret, raw body) on every delivery" True "$(rq /hook "$VERIFY")"
assert_eq "webhook: tampered body would not verify (the check can fail)" False \
	"$(rq /hook '__import__("hmac").compare_digest(r[0]["headers"]["x-ddnsd-signature"], "sha256=" + __import__("hmac").new(b"'"$SECRET"'", (r[0]["body"] + " ").encode(), "sha256").hexdigest())')"
assert_eq "webhook: event, name, value, old value, source" \
	"record_changed home.$ZONE 192.0.2.2 192.0.2.1 http" \
	"$(rq /hook '" ".join([(x := r[1]["json"])["event"], x["name"], x["value"], x["old_value"], x["detail"]["source"]])')"
assert_eq "webhook: X-Ddnsd-Event and X-Ddnsd-Delivery headers" "record_changed True" \
	"$(rq /hook 'r[1]["headers"]["x-ddnsd-event"] + " " + str(r[1]["headers"]["x-ddnsd-delivery"] == str(r[1]["json"]["id"]))')"

# ---- Slack
wait_n /slack 2 || fail "slack receives both changes"
assert_match "Slack: a text payload naming the record" "home\\.$ZONE A: 192\\.0\\.2\\.1 -> 192\\.0\\.2\\.2" \
	"$(rq /slack 'r[1]["json"]["text"]')"

# ---- command
have_cmd() { [ "$(wc -l <"$CMDLOG" 2>/dev/null || echo 0)" -ge 2 ]; }
wait_until $((10000 * SLOW)) have_cmd || fail "the command target runs twice"
assert_eq "command: the event in its environment" \
	"record_changed|home.$ZONE|A|192.0.2.2|192.0.2.1" "$(sed -n 2p "$CMDLOG")"

# ---- 429 + Retry-After
wait_n /limited 3 || fail "rate-limited target: retried after its 429"
assert_eq "rate limited: first answer 429, then delivered" "429 204" \
	"$(rq /limited '" ".join(str(x["status"]) for x in r[:2])')"
assert_eq "rate limited: the retry waited for Retry-After (1 s)" True \
	"$(rq /limited 'r[1]["t"] - r[0]["t"] >= 0.9')"
assert_eq "rate limited: the same event again, then the next" "$(rq /limited 'r[0]["json"]["id"]') $(rq /limited 'r[0]["json"]["id"] + 1')" \
	"$(rq /limited 'str(r[1]["json"]["id"]) + " " + str(r[2]["json"]["id"])')"

# ---- receiver down: queue, kill -9, restart, deliver in order
recv_stop
for i in 1 2 3 4 5; do
	upd "$MASTER" "{\"subdomain\":\"q$i\",\"ip\":\"198.51.100.$i\"}"
	assert_status "queued change $i acknowledged while the receiver is down" 200
done
sleep 1
kids=$(children "$DAEMON_PID")
kill -KILL "$DAEMON_PID" $kids
{ wait "$DAEMON_PID"; } 2>/dev/null
DAEMON_PID=
wait_until $((3000 * SLOW)) all_dead $kids || fail "daemon gone after kill -9"
start_daemon || exit 1
recv_start
wait_n /hook 7 || fail "the five queued events reach the webhook after the restart"
assert_eq "queued: all five delivered to the webhook, in order" \
	"q1 q2 q3 q4 q5" \
	"$(rq /hook '" ".join(dict.fromkeys(x["json"]["name"].split(".")[0] for x in r if x["json"]["name"].startswith("q")))')"
wait_n /discord 7 || fail "the five queued events reach Discord"
assert_eq "queued: all five delivered to Discord, in order" \
	"q1 q2 q3 q4 q5" \
	"$(rq /discord '" ".join(dict.fromkeys(x["json"]["embeds"][0]["fields"][0]["value"].split(".")[0] for x in r[2:]))')"
assert_eq "queued: webhook ids increase (in order, none lost)" True \
	"$(rq /hook '(ids := [x["json"]["id"] for x in r]) == sorted(ids) and len(set(ids)) >= 7')"

# ---- other events
for i in $(seq 1 12); do api "wrong-token-$i" GET /records; done
got_abuse() { [ "$(rq /hook 'sum(1 for x in r if x["json"]["event"] == "auth_abuse")')" -ge 1 ]; }
wait_until $((10000 * SLOW)) got_abuse && pass "12 failed authentications: an auth_abuse event" ||
	fail "auth_abuse event"
assert_eq "auth_abuse names the address" "127.0.0.1" \
	"$(rq /hook '[x["json"]["name"] for x in r if x["json"]["event"] == "auth_abuse"][0]')"

victim=$(dns_worker_pids | head -n 1)
kill -KILL "$victim"
got_restart() { [ "$(rq /hook 'sum(1 for x in r if x["json"]["event"] == "worker_restarted")')" -ge 1 ]; }
wait_until $((15000 * SLOW)) got_restart && pass "a killed DNS worker: a worker_restarted event" ||
	fail "worker_restarted event"
assert_match "worker_restarted names the slot" '^dns\[[0-9]+\]$' \
	"$(rq /hook '[x["json"]["name"] for x in r if x["json"]["event"] == "worker_restarted"][0]')"

DEAD=$("$PY" "$SYS_DIR/ports.py" 1)
api "$MASTER" PUT "/pools/lb.$ZONE" "{\"policy\":\"failover\",\"members\":[{\"ip\":\"127.0.0.1\"}],\"check\":{\"type\":\"tcp\",\"port\":$DEAD,\"interval\":0.2,\"timeout\":0.2,\"rise\":1,\"fall\":1}}"
assert_status "pool with a member nobody answers for" 200
got_down() { [ "$(rq /slack 'sum(1 for x in r if "down" in x["json"]["text"])')" -ge 1 ]; }
wait_until $((10000 * SLOW)) got_down && pass "a member failing its check: member_down to Slack" ||
	fail "member_down event"
assert_match "member_down names pool and member" "pool lb\\.$ZONE: member 127\\.0\\.0\\.1 is down" \
	"$(rq /slack '[x["json"]["text"] for x in r if "down" in x["json"]["text"]][0]')"
assert_eq "Discord did not subscribe to member_down" 0 \
	"$(rq /discord 'sum(1 for x in r if "down" in x["body"])')"

# ---- counted
delivered() { curl -s -m 5 "http://127.0.0.1:$HTTP_PORT/metrics" | awk '$1 == "ddnsd_events_total{outcome=\"delivered\"}" { print $2 }'; }
# counted by the notifier once a delivery is answered, after the receiver logged it
ten_delivered() { local d; d=$(delivered); echo "delivered: '$d'"; [ "${d:-0}" -ge 10 ]; }
assert_eventually "metrics: at least 10 deliveries counted since the restart" 5 ten_delivered

recv_stop
stop_daemon
