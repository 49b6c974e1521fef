#!/bin/bash
# t_backup.sh - scheduled backups, retention, S3 copies, restore.
#
# backup: every 2 s into backups/, keep 2, each copy uploaded to an
# S3-compatible server started here on loopback (s3rver from the npm
# registry; the daemon signs with AWS Signature V4 through libcurl);
# `ddnsctl backup list` shows them;
# a backup_ok event reaches a webhook; `ddnsd --restore` refuses a running
# daemon, a damaged file and a foreign SQLite file, and restores the copy
# downloaded from S3 into a daemon that then answers every record.
. "$(dirname "$0")/lib.sh"

S3RVER=$ROOT/tests/node/node_modules/.bin/s3rver
pick_ports
read -r S3PORT RPORT <<<"$("$PY" "$SYS_DIR/ports.py" 2)"
RLOG=$T_DIR/received.jsonl
ONE_ZONE=1
write_http_config
cat >>"$CONF" <<EOF
backup:
  interval: 2s
  dir: backups
  keep: 2
  s3: { endpoint: "http://127.0.0.1:$S3PORT", bucket: ddnsd, prefix: "nightly/", region: us-east-1 }
notify:
  - { name: hook, type: webhook, url: "http://127.0.0.1:$RPORT/hook", events: [backup_ok, backup_failed] }
EOF
init_db || exit 1

HAVE_S3=0
NO_S3="s3rver did not start"
if [ -x "$S3RVER" ] && command -v node >/dev/null 2>&1; then
	"$S3RVER" -d "$T_DIR/s3" -a 127.0.0.1 -p "$S3PORT" --configure-bucket ddnsd --silent \
		>"$T_DIR/s3rver.log" 2>&1 &
	BG_PIDS+=("$!")
	s3_up() { curl -s -o /dev/null -m 1 "http://127.0.0.1:$S3PORT/"; }
	wait_until $((15000 * SLOW)) s3_up && HAVE_S3=1 || fail "s3rver starts" "$(cat "$T_DIR/s3rver.log")"
else
	NO_S3="s3rver is not installed (tools/deps.sh --test installs it)"
fi
"$PY" "$SYS_DIR/receiver.py" "$RPORT" "$RLOG" &
BG_PIDS+=("$!")
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER # s3rver's own test credentials
start_daemon || exit 1
wait_http || exit 1

N=20
for i in $(seq 1 $N); do
	upd "$MASTER" "{\"subdomain\":\"b$i\",\"ip\":\"203.0.113.$i\"}"
done
assert_status "$N names written" 200
created=$(date +%s)

# ---- on schedule, with retention
nfiles() { ls "$T_DIR/backups" 2>/dev/null | grep -c '^ddnsd-.*\.db$'; }
has_one() { [ "$(nfiles)" -ge 1 ]; }
wait_until $((5000 * SLOW)) has_one && pass "a backup appears within the interval" ||
	fail "a backup appears" "$(tail -n 5 "$DAEMON_LOG")"
# distinct backup_ok events (delivery is at least once: a repeat has the same id)
ok_events() { "$PY" -c 'import json,sys; print(len({b["id"] for b in (json.loads(json.loads(l)["body"] or "{}") for l in open(sys.argv[1])) if b.get("event") == "backup_ok"}))' "$RLOG" 2>/dev/null || echo 0; }
four() { [ "$(ok_events)" -ge 4 ]; }
wait_until $((15000 * SLOW)) four && pass "backups keep coming every 2 s (4 backup_ok events)" ||
	fail "four backups" "events: $(ok_events)" "$(grep backup "$DAEMON_LOG" | tail -n 5)"
# a new copy is written every 2 s and the oldest removed just after it: the
# directory and the listings are polled until they agree
eventually_eq "retention: keep 2 (newest)" 2 5 nfiles
newest_file() { ls "$T_DIR/backups" | grep '^ddnsd-.*\.db$' | sort | tail -n 1; }
newest=$(newest_file)
assert_eq "a backup passes PRAGMA integrity_check" ok "$(sqlite3 "$T_DIR/backups/$newest" 'PRAGMA integrity_check')"
ctl backup list
assert_ctl_ok "ddnsctl backup list"
# list_newest_first: the first row of backup list is the newest file, with
# no backup written meanwhile (prints the listing)
list_newest_first()
{
	local before
	before=$(newest_file)
	ctl backup list
	printf '%s\n' "$CTL_OUT"
	[ "$before" = "$(newest_file)" ] &&
		printf '%s\n' "$CTL_OUT" | sed -n 3p | grep -Eq "^$before +[0-9]+ "
}
assert_eventually "backup list: the newest first" 5 list_newest_first
list_json_two()
{
	ctl --json backup list
	printf '%s\n' "$CTL_OUT"
	[ "$(jv '[len(j["backups"]), j["keep"], j["scheduled"]]' "$CTL_OUT")" = "[2,2,true]" ]
}
assert_eventually "backup list --json: two backups, keep 2, scheduled" 5 list_json_two
assert_eq "backup_ok event says where it went" True \
	"$("$PY" -c 'import json,sys; e=[json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]; e=[x for x in e if x.get("event")=="backup_ok"]; print(e[-1]["detail"]["path"].endswith(".db") and e[-1]["detail"]["records"] >= 0)' "$RLOG")"

# ---- S3
if [ $HAVE_S3 = 1 ]; then
	s3() {
		curl -s -m $((10 * SLOW)) --aws-sigv4 "aws:amz:us-east-1:s3" --user S3RVER:S3RVER \
			-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
	}
	LIST=$(s3 "http://127.0.0.1:$S3PORT/ddnsd?list-type=2&prefix=nightly/")
	keys=$(printf '%s' "$LIST" | grep -o '<Key>nightly/ddnsd-[0-9TZ]*\.db</Key>' | wc -l)
	[ "$keys" -ge 4 ] && pass "S3: every backup uploaded ($keys objects under nightly/)" ||
		fail "S3: backups uploaded" "$LIST"
	assert_eq "S3 events: the copies were uploaded" True \
		"$("$PY" -c 'import json,sys; e=[json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]; print(all(x["detail"]["s3"] for x in e if x.get("event")=="backup_ok"))' "$RLOG")"
	# the newest copy that holds every name written above
	sleep $((3 * SLOW))
	key=$(s3 "http://127.0.0.1:$S3PORT/ddnsd?list-type=2&prefix=nightly/" |
		grep -o 'nightly/ddnsd-[0-9TZ]*\.db' | sort | tail -n 1)
	s3 -o "$T_DIR/from-s3.db" "http://127.0.0.1:$S3PORT/ddnsd/$key"
	assert_eq "S3: the downloaded copy is a sound database" ok \
		"$(sqlite3 "$T_DIR/from-s3.db" 'PRAGMA integrity_check' 2>&1)"
	RESTORE=$T_DIR/from-s3.db
else
	skip "S3: every backup uploaded, the newest downloaded and restored: $NO_S3"
	# copied at once: retention removes it two backups later
	copy_newest() { cp "$T_DIR/backups/$(newest_file)" "$T_DIR/restore.db"; }
	wait_for 5 copy_newest
	RESTORE=$T_DIR/restore.db
fi
assert_eq "the copy to restore holds the $N names" $N \
	"$(sqlite3 "$RESTORE" "SELECT count(*) FROM records WHERE name LIKE 'b%'")"

# ---- restore
run_ddnsd -c "$CONF" --restore "$RESTORE"
assert_eq "--restore refused while the daemon runs" 1 "$RC"
assert_match "--restore says to stop it first" "stop it first" "$OUT"
before=""
for i in $(seq 1 $N); do before="$before $(dnsq +short "b$i.$ZONE" A)"; done
stop_daemon
rm -f "$DB" "$DB-wal" "$DB-shm"
printf 'not a database at all' >"$T_DIR/junk.db"
run_ddnsd -c "$CONF" --restore "$T_DIR/junk.db"
assert_eq "--restore refuses a damaged file" 1 "$RC"
assert_match "--restore says why" "not an SQLite database|integrity" "$OUT"
sqlite3 "$T_DIR/other.db" 'CREATE TABLE t (x); INSERT INTO t VALUES (1);'
run_ddnsd -c "$CONF" --restore "$T_DIR/other.db"
assert_eq "--restore refuses an SQLite file that is not ddnsd's" 1 "$RC"
assert_match "--restore names the problem" "not a ddnsd database" "$OUT"
[ ! -e "$DB" ] && pass "refused restores left no database behind" || fail "refused restores left no database behind"
run_ddnsd -c "$CONF" --restore "$RESTORE"
assert_eq "--restore from the S3 copy" 0 "$RC"
assert_match "--restore reports the records" "restored from .* \\([0-9]+ records\\)" "$OUT"
start_daemon || exit 1
after=""
for i in $(seq 1 $N); do after="$after $(dnsq +short "b$i.$ZONE" A)"; done
assert_eq "the restored daemon answers every record as before" "$before" "$after"
assert_match "and they are the values written" "203\\.0\\.113\\.1 .*203\\.0\\.113\\.20" "$after"
stop_daemon
