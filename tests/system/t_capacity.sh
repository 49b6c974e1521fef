#!/bin/bash
# t_capacity.sh - table.capacity is a hard limit with a clear error: a start
# with too many records fails naming the key; a reload that would overflow
# is refused and the old table keeps serving.
. "$(dirname "$0")/lib.sh"

write_config
sed -i 's/capacity: 1000/capacity: 16/' "$CONF"
init_db || exit 1
for i in $(seq 1 40); do add_record "h$i.$ZONE" A "192.0.2.$i"; done

# ---- start-up with more names than the table holds
run_ddnsd -c "$CONF"
assert_eq "start-up with an over-full table exits 2" 2 "$RC"
assert_match "the error names the limit and the key" 'table full .*table\.capacity' "$OUT"

# ---- a table that fits serves; a reload that would overflow is refused
sqlite3 "$DB" "DELETE FROM records WHERE CAST(substr(name, 2, instr(name, '.') - 2) AS INTEGER) > 5"
assert_eq "five records left" 5 "$(sqlite3 "$DB" 'SELECT count(*) FROM records')"
start_daemon || exit 1
q +norec h3.$ZONE A
check_answer "h3 served" NOERROR "qr aa" "h3.$ZONE. 300 IN A 192.0.2.3"
for i in $(seq 6 40); do add_record "h$i.$ZONE" A "192.0.2.$i"; done
kill -HUP "$DAEMON_PID"
assert_log "reload logs the full table" 'table full at [0-9]+ names \(table\.capacity 16\)' \
	"$DAEMON_LOG"
assert_log "reload refused, previous records kept" 'reload refused: .*still serving the previous' \
	"$DAEMON_LOG"
q +norec h3.$ZONE A
check_answer "old table still serves h3" NOERROR "qr aa" "h3.$ZONE. 300 IN A 192.0.2.3"
q +norec h30.$ZONE A
check_answer "h30 (not loaded) is NXDOMAIN" NXDOMAIN "qr aa" ""
stop_daemon
