#!/bin/bash
# t_file_modes.sh - everything the daemon writes is for its user only, and
# files made wider before are reported at start.
#
# Run from a shell with umask 022: after --init-db, a start, an HTTP write,
# a scheduled backup and `ddnsctl backup`, the database, its -wal and -shm
# and both backups are 0600 and the directories the daemon made 0700, with
# no mode warning in the log.  Then, stopped, the database, a backup and the
# config (which holds the master token) are made 0644: the next start logs
# one warning per file (the -wal and -shm SQLite makes with the database's
# mode included) and the daemon still starts and answers.  A config readable
# by its group only (0640, the root:ddnsd layout) is not reported.
# `ddnsd --restore` writes a 0600 database even from a 0644 copy.
. "$(dirname "$0")/lib.sh"

umask 022
ONE_ZONE=1
write_http_config
cat >>"$CONF" <<EOF
backup:
  interval: 1s
  dir: backups
  keep: 2
EOF
chmod 600 "$CONF"
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
wait_ctl || exit 1

mode() { stat -c %a "$1" 2>&1; }
upd "$MASTER" '{"subdomain":"fm","ip":"192.0.2.61"}'
assert_status "a write" 200
assert_dns "the write is served" "fm.$ZONE" A 192.0.2.61
ctl backup "$T_DIR/manual.db"
assert_ctl_ok "ddnsctl backup"
has_backup() { ls "$T_DIR/backups" 2>/dev/null | grep -q '^ddnsd-.*\.db$'; }
wait_for 10 has_backup || fail "a scheduled backup appears" "$(grep backup "$DAEMON_LOG" | tail -n 5)"
sched=$(ls "$T_DIR/backups" | grep '^ddnsd-.*\.db$' | sort | tail -n 1)

assert_eq "database mode" 600 "$(mode "$DB")"
assert_eq "database -wal mode" 600 "$(mode "$DB-wal")"
assert_eq "database -shm mode" 600 "$(mode "$DB-shm")"
assert_eq "ddnsctl backup file mode" 600 "$(mode "$T_DIR/manual.db")"
assert_eq "scheduled backup file mode" 600 "$(mode "$T_DIR/backups/$sched")"
assert_eq "data directory mode" 700 "$(mode "$(dirname "$DB")")"
assert_eq "backup directory mode" 700 "$(mode "$T_DIR/backups")"
assert_eq "control socket directory mode" 700 "$(mode "$(dirname "$SOCK")")"
assert_nomatch "no mode warning when every file is 0600" 'is mode [0-9]+: other users' \
	"$(cat "$DAEMON_LOG")"
stop_daemon

# ---- files made wider by hand are reported; the daemon still serves
chmod 644 "$DB" "$T_DIR/backups/$sched" "$CONF"
start_daemon || exit 1
log=$(cat "$DAEMON_LOG")
assert_match "warning for the 0644 database" \
	"^.*master.*: $DB is mode 0644: other users may read it; run chmod 600 $DB\$" "$log"
assert_match "warning for its -wal (SQLite copies the database's mode)" \
	": $DB-wal is mode 0644: other users may read it; run chmod 600 $DB-wal\$" "$log"
assert_match "warning for its -shm" \
	": $DB-shm is mode 0644: other users may read it; run chmod 600 $DB-shm\$" "$log"
assert_match "warning for the 0644 backup" \
	": $T_DIR/backups/$sched is mode 0644: other users may read it; run chmod 600 " "$log"
assert_match "warning for the world-readable config holding the master token" \
	": $CONF is mode 0644: other users may read it; run chmod 600 $CONF\$" "$log"
assert_dns "the daemon answers after the warnings" "fm.$ZONE" A 192.0.2.61
stop_daemon

chmod 600 "$DB" "$T_DIR"/backups/*
chmod 640 "$CONF"
start_daemon || exit 1
assert_nomatch "no warning for a group-readable config or 0600 files" 'is mode [0-9]+: other users' \
	"$(cat "$DAEMON_LOG")"
stop_daemon

# ---- --restore from a 0644 copy writes a 0600 database
chmod 644 "$T_DIR/manual.db"
run_ddnsd -c "$CONF" --restore "$T_DIR/manual.db"
assert_eq "--restore exit status" 0 "$RC"
assert_eq "restored database mode" 600 "$(mode "$DB")"
