#!/bin/bash
# t_ctl_backup.sh - ddnsctl backup against the real daemon while a bounded
# loop of HTTP updates runs: the copy passes PRAGMA integrity_check, holds
# every update acknowledged before the backup started and none sent after it
# returned; restoring it (daemon stopped, file copied over the database)
# gives a daemon that answers exactly what the copy holds.  A relative PATH
# is resolved against ddnsctl's cwd; an unwritable PATH exits 1.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
wait_ctl || exit 1
Z=$ZONE
N=300

ctl record set before A 192.0.2.1
assert_ctl_ok "a record before the loop"

# ---- the update loop: one line per request, "I STATUS SENT_MS ACKED_MS"
"$PY" - "$HTTP_PORT" "$MASTER" "$N" >"$T_DIR/loop.log" 2>"$T_DIR/loop.err" <<'PYEOF' &
import http.client, json, sys, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ms = lambda: int(time.time() * 1000)
for i in range(n):
    body = json.dumps({"subdomain": "loop%d" % i, "ip": "10.0.%d.%d" % (i // 256, i % 256)})
    sent = ms()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request("POST", "/update", body, {"Authorization": "Bearer " + token,
                                             "Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        status = r.status
        c.close()
    except Exception:
        status = 0
    print("%d %d %d %d" % (i, status, sent, ms()), flush=True)
    time.sleep(0.004)
PYEOF
loop=$!
BG_PIDS+=("$loop")
acks()
{
	[ "$(grep -c ' 200 ' "$T_DIR/loop.log")" -ge "$1" ]
}
wait_until $((10000 * SLOW)) acks 60 || fail "the update loop gets 60 acknowledgements" "$(tail -n 5 "$T_DIR/loop.log")"
t_start=$(now_ms)
ctl backup "$T_DIR/backup.db"
t_end=$(now_ms)
assert_ctl_ok "backup while updates run"
assert_match "backup: reply" "^backup written to $T_DIR/backup\\.db \\([0-9]+ records\\)\$" "$CTL_OUT"
wait_until $((30000 * SLOW)) proc_dead "$loop" || fail "the update loop ends"
wait "$loop" 2>/dev/null
acked=$(awk '$2 == 200' "$T_DIR/loop.log" | wc -l)
assert_eq "every update of the loop acknowledged with 200" "$N" "$acked"
before=$(awk -v t="$t_start" '$2 == 200 && $4 < t { print $1 }' "$T_DIR/loop.log" | sort -n)
after=$(awk -v t="$t_end" '$3 > t { print $1 }' "$T_DIR/loop.log" | sort -n)
during=$(awk -v a="$t_start" -v b="$t_end" '$3 <= b && $4 >= a' "$T_DIR/loop.log" | wc -l)
note "backup took $((t_end - t_start)) ms; $(printf '%s\n' "$before" | grep -c .) updates acknowledged before it," \
	"$during in flight during it, $(printf '%s\n' "$after" | grep -c .) sent after it"
if [ "$(printf '%s\n' "$after" | grep -c .)" -gt 0 ]; then
	pass "the loop was still running after the backup returned"
else
	fail "the loop was still running after the backup returned" "increase N or the pause"
fi

# ---- the copy
assert_eq "backup: PRAGMA integrity_check" ok "$(sqlite3 "$T_DIR/backup.db" 'PRAGMA integrity_check' 2>&1)"
assert_eq "backup: no -wal file beside it needed (journal mode)" delete \
	"$(sqlite3 "$T_DIR/backup.db" 'PRAGMA journal_mode' 2>&1)"
in_backup=$(sqlite3 "$T_DIR/backup.db" "SELECT substr(name, 5, length(name) - 4 - length('.$Z')) FROM records
	WHERE name LIKE 'loop%.$Z' ORDER BY 1;" | sort -n)
missing=$(comm -23 <(printf '%s\n' "$before" | sort) <(printf '%s\n' "$in_backup" | sort) | grep . | head -n 10)
assert_eq "backup: every update acknowledged before it started is in it" "" "$missing"
extra=$(comm -12 <(printf '%s\n' "$after" | sort) <(printf '%s\n' "$in_backup" | sort) | grep . | head -n 10)
assert_eq "backup: no update sent after it returned is in it" "" "$extra"
assert_eq "backup: the record set before the loop" "192.0.2.1" \
	"$(sqlite3 "$T_DIR/backup.db" "SELECT value FROM records WHERE name = 'before.$Z';")"
wrong=$(sqlite3 "$T_DIR/backup.db" "SELECT name, value FROM records WHERE name LIKE 'loop%.$Z';" |
	awk -F'|' '{ i = substr($1, 5) + 0; if ($2 != "10.0." int(i / 256) "." i % 256) print }' | head -n 5)
assert_eq "backup: every loop value is the one sent" "" "$wrong"
serial_b=$(sqlite3 "$T_DIR/backup.db" "SELECT serial FROM zones WHERE name = '$Z';")

# ---- relative PATH, --json, overwrite, unwritable PATHs
mkdir -p "$T_DIR/sub"
cd "$T_DIR/sub" || exit 1
ctl backup rel.db
cd "$ROOT" || exit 1
assert_ctl_ok "backup to a relative path"
assert_match "relative path: resolved against the cwd" "^backup written to $T_DIR/sub/rel\\.db " "$CTL_OUT"
if [ -f "$T_DIR/sub/rel.db" ] && [ ! -e "$ROOT/rel.db" ]; then
	pass "relative path: the file is in ddnsctl's cwd"
else
	fail "relative path: the file is in ddnsctl's cwd" "$(ls -la "$T_DIR/sub")"
fi
assert_eq "relative path: PRAGMA integrity_check" ok "$(sqlite3 "$T_DIR/sub/rel.db" 'PRAGMA integrity_check' 2>&1)"
assert_eq "relative path: every loop record" "$N" \
	"$(sqlite3 "$T_DIR/sub/rel.db" "SELECT count(*) FROM records WHERE name LIKE 'loop%';")"
ctl --json backup "$T_DIR/sub/rel.db"
assert_ctl_ok "backup over an existing file, --json"
assert_json "backup --json: path and records" '[j["path"], j["records"]]' \
	"[\"$T_DIR/sub/rel.db\",$((N + 1))]" "$CTL_OUT"
ctl backup /nonexistent-dir/x.db
assert_ctl_fail "backup into a missing directory" "/nonexistent-dir/x\\.db"
mkdir -p "$T_DIR/adir"
ctl backup "$T_DIR/adir"
assert_ctl_fail "backup onto a directory" "adir"
assert_eq "no temporary file left beside the directory" "" "$(compgen -G "$T_DIR/adir.tmp*")"
ctl backup /proc/ddnsd-backup.db
assert_ctl_fail "backup into /proc" "/proc/ddnsd-backup\\.db"
mkdir -p "$T_DIR/ro"
chmod 0555 "$T_DIR/ro"
if [ "$(id -u)" = 0 ]; then
	chattr +i "$T_DIR/ro" 2>/dev/null && ro_immutable=1 || ro_immutable=0
else
	ro_immutable=1
fi
if [ "$ro_immutable" = 1 ]; then
	ctl backup "$T_DIR/ro/x.db"
	assert_ctl_fail "backup into a directory the daemon cannot write" "ro/x\\.db"
	[ "$(id -u)" = 0 ] && chattr -i "$T_DIR/ro"
else
	skip "backup into a directory the daemon cannot write: chattr +i does not work here"
fi
ctl status
assert_ctl_ok "the daemon serves after the failed backups"

# ---- restore: stop, copy the backup over the database, start
stop_daemon
rm -f "$DB-wal" "$DB-shm"
cp "$T_DIR/backup.db" "$DB"
start_daemon || exit 1
wait_ctl || exit 1
out=$(printf '%s\n' "$in_backup" | "$PY" -c '
import sys
import dns.flags, dns.message, dns.query, dns.rcode, dns.rdatatype
port, zone, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
have = set(int(x) for x in sys.stdin.read().split())
bad = []
for i in range(n):
    q = dns.message.make_query("loop%d.%s" % (i, zone), "A")
    q.flags &= ~dns.flags.RD
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
        got = sorted(rd.address for rr in r.answer for rd in rr if rr.rdtype == dns.rdatatype.A)
        rc = dns.rcode.to_text(r.rcode())
    except Exception as e:
        got, rc = [], repr(e)
    want = ["10.0.%d.%d" % (i // 256, i % 256)] if i in have else []
    want_rc = "NOERROR" if i in have else "NXDOMAIN"
    if got != want or rc != want_rc:
        bad.append("loop%d: want %s %s, got %s %s" % (i, want_rc, want, rc, got))
print(("PASS" if not bad else "FAIL") + " restored daemon: all %d loop names answer as the backup holds (%d present)" % (n, len(have)))
for b in bad[:20]:
    print("    " + b)
' "$DNS_PORT" "$Z" "$N" 2>&1)
py_report "restore check" 0 "$out"
assert_dns "restored daemon: the record from before the loop" "before.$Z" A 192.0.2.1
assert_eq "restored daemon: the backup's SOA serial" "$serial_b" "$(soa_serial "$Z")"
last_before=$(printf '%s\n' "$before" | tail -n 1)
if [ -n "$last_before" ]; then
	assert_dns "restored daemon: the last update acknowledged before the backup" \
		"loop$last_before.$Z" A "10.0.$((last_before / 256)).$((last_before % 256))"
else
	fail "restored daemon: the last update acknowledged before the backup" \
		"no update was acknowledged before the backup started"
fi
ctl record set afterrestore A 192.0.2.9
assert_ctl_ok "the restored daemon takes updates"
assert_dns "dig the update on the restored daemon" "afterrestore.$Z" A 192.0.2.9
stop_daemon
