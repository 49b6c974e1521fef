#!/bin/bash
# t_xfr_journal.sh - the SOA serial and the IXFR journal at their edges.
#
# A 3,000-name zone goes out in several AXFR messages, all of it; the serial
# wraps from 4294967295 to 0 (RFC 1982) and IXFR follows it across the wrap;
# journal.max_changes trims the journal (at start-up, here after a reload),
# after which an IXFR from a trimmed serial gets the whole zone and one from
# a kept serial the differences; AXFRs taken while updates stream in are
# each one snapshot (the same serial first and last, exactly one value for
# the name being rewritten).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

pick_ports
ONE_ZONE=1
ZONE_XFR[$ZONE]="{ allow: [127.0.0.1] }"
write_xfr_config
sed -i 's/^  capacity: 1000$/  capacity: 8000/' "$CONF"
printf 'journal: { max_changes: 3 }\n' >>"$CONF"
init_db || exit 1

# 3,000 names, and a serial two steps below the wrap
NBIG=3000
{
	echo "BEGIN;"
	for i in $(seq 1 $NBIG); do
		echo "INSERT INTO records (name, type, value) VALUES ('n$i.$ZONE', 'A', '10.0.$((i / 250)).$((i % 250 + 1))');"
	done
	echo "INSERT INTO zones (name, serial) VALUES ('$ZONE', 4294967294) ON CONFLICT (name) DO UPDATE SET serial = 4294967294;"
	echo "COMMIT;"
} | sqlite3 "$DB" || fail "seed the database"
start_daemon || exit 1
wait_http || exit 1

axfr()
{
	timeout $((30 * SLOW)) dig +tries=1 +time=$((5 * SLOW)) @127.0.0.1 -p "$DNS_PORT" "$ZONE" AXFR "$@"
}

# ---- a big zone, several messages
OUT=$(axfr)
assert_eq "AXFR of a 3,000-name zone: every A record" $NBIG "$(printf '%s\n' "$OUT" | grep -c 'IN[[:space:]]A[[:space:]]')"
assert_eq "AXFR: SOA first and last" 2 "$(printf '%s\n' "$OUT" | grep -c 'IN[[:space:]]SOA[[:space:]]')"
MSGS=$(printf '%s\n' "$OUT" | sed -n 's/.*XFR size: .*messages \([0-9]*\).*/\1/p')
if [ -n "$MSGS" ] && [ "$MSGS" -gt 1 ]; then
	pass "AXFR streamed in $MSGS messages"
else
	fail "AXFR streamed in several messages" "$(printf '%s\n' "$OUT" | tail -n 5)"
fi

# ---- the serial wraps (RFC 1982)
assert_eq "serial before the updates" 4294967294 "$(soa_serial "$ZONE")"
for i in 1 2 3 4; do
	upd "$MASTER" "{\"subdomain\":\"w\",\"ip\":\"192.0.2.$i\"}"
	assert_status "update $i" 200
done
assert_eq "four updates: 4294967294 + 4 wraps to 2" 2 "$(soa_serial "$ZONE")"
OUT=$(dig +tries=1 @127.0.0.1 -p "$DNS_PORT" "$ZONE" IXFR=4294967295)
SERIALS=$(printf '%s\n' "$OUT" | awk '$4 == "SOA" { printf "%s ", $7 }')
assert_eq "IXFR across the wrap: SOA(new) then each change's old/new serials" \
	"2 4294967295 0 0 1 1 2 2 " "$SERIALS"
assert_eq "IXFR across the wrap: each value removed or added along the way" \
	"192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4" \
	"$(printf '%s\n' "$OUT" | awk '$1 ~ /^w\./ && $4 == "A" { print $5 }' | sort | uniq | tr '\n' ' ' | sed 's/ $//')"

# ---- journal.max_changes: 3 kept after the trim (the writer trims on a timer,
# in the background)
kill -HUP "$DAEMON_PID"
wait_reloaded 1
journal_changes() { sqlite3 "$DB" "SELECT count(DISTINCT serial) FROM journal WHERE zone = '$ZONE'"; }
eventually_eq "journal: rows of three changes left (journal.max_changes)" 3 5 journal_changes
OUT=$(dig +tries=1 @127.0.0.1 -p "$DNS_PORT" "$ZONE" IXFR=4294967294)
SECOND=$(printf '%s\n' "$OUT" | awk '$0 !~ /^;/ && NF >= 5 { n++; if (n == 2) { print $4; exit } }')
assert_eq "IXFR from a trimmed serial: the whole zone (SOA, then the apex NS: no SOA pair)" NS "$SECOND"
assert_eq "IXFR from a trimmed serial: all of it" $((NBIG + 1)) \
	"$(printf '%s\n' "$OUT" | grep -c 'IN[[:space:]]A[[:space:]]')"
OUT=$(dig +tries=1 @127.0.0.1 -p "$DNS_PORT" "$ZONE" IXFR=4294967295)
SERIALS=$(printf '%s\n' "$OUT" | awk '$4 == "SOA" { printf "%s ", $7 }')
assert_eq "IXFR from the oldest kept serial: still the differences" \
	"2 4294967295 0 0 1 1 2 2 " "$SERIALS"

# ---- snapshots while updates stream in
(
	for i in $(seq 1 150); do
		curl -s -m 5 -o /dev/null -H "Authorization: Bearer $MASTER" \
			-d "{\"subdomain\":\"busy\",\"ip\":\"198.51.100.$((i % 200 + 1))\"}" \
			"http://127.0.0.1:$HTTP_PORT/update"
	done
) &
LOOP=$!
BG_PIDS+=("$LOOP")
BAD=0
N=0
for k in 1 2 3 4 5 6; do
	OUT=$(axfr)
	S=$(printf '%s\n' "$OUT" | awk '$4 == "SOA" { print $7 }' | sort -u | wc -l)
	B=$(printf '%s\n' "$OUT" | awk '$1 ~ /^busy\./ && $4 == "A"' | wc -l)
	N=$((N + 1))
	if [ "$S" != 1 ] || { [ "$B" != 1 ] && [ "$B" != 0 ]; }; then
		BAD=$((BAD + 1))
		note "AXFR $k: $S distinct SOA serials, $B busy records"
	fi
done
wait "$LOOP"
assert_eq "$N AXFRs during 150 updates: each one snapshot (one serial, at most one busy record)" 0 "$BAD"
OUT=$(axfr)
assert_eq "after the updates: exactly one busy record" 1 \
	"$(printf '%s\n' "$OUT" | awk '$1 ~ /^busy\./ && $4 == "A"' | wc -l)"

# ---- counted in /metrics (counters outlive reloads; a transfer may be
# counted once its last message is written, after the client has it)
eventually_eq "metrics: every AXFR counted" 8 3 metric_value 'ddnsd_transfers_out_total{type="axfr"}'
eventually_eq "metrics: every IXFR counted (the one answered in full too)" 3 3 \
	metric_value 'ddnsd_transfers_out_total{type="ixfr"}'
dig +tries=1 -b 127.0.0.2 @127.0.0.1 -p "$DNS_PORT" "$ZONE" AXFR >/dev/null 2>&1
eventually_eq "metrics: a refused transfer counted" 1 3 metric_value ddnsd_transfers_refused_total

# ---- a zone import of 3,000 names with two of them changed: one transaction
# that removes and re-adds every row; an IXFR across it carries only the
# two differences (rows removed and added alike cancel out)
ctl zone export "$ZONE"
assert_ctl_ok "zone export"
printf '%s\n' "$CTL_OUT" | sed -e 's/^n7\([[:space:]].*\)10\.0\.0\.8$/n7\1192.0.2.77/' \
	-e 's/^n8\([[:space:]].*\)10\.0\.0\.9$/n8\1192.0.2.88/' >"$T_DIR/import.zone"
assert_eq "the import file differs from the export in two lines" 2 \
	"$(printf '%s\n' "$CTL_OUT" | diff - "$T_DIR/import.zone" | grep -c '^>')"
S_BEFORE=$(soa_serial "$ZONE")
ctl zone import "$ZONE" "$T_DIR/import.zone"
assert_ctl_ok "zone import of the edited export"
S_AFTER=$(soa_serial "$ZONE")
OUT=$(dig +tries=1 +time=$((10 * SLOW)) @127.0.0.1 -p "$DNS_PORT" "$ZONE" IXFR="$S_BEFORE")
assert_eq "IXFR across the import: SOA(new), old SOA, 2 removed, SOA, 2 added, SOA(new)" \
	"SOA SOA A A SOA A A SOA" "$(printf '%s\n' "$OUT" | awk '$0 !~ /^;/ && NF >= 5 { printf "%s%s", s, $4; s = " " }')"
assert_eq "... removing the two old values" "n7.$ZONE.:10.0.0.8 n8.$ZONE.:10.0.0.9" \
	"$(printf '%s\n' "$OUT" | awk '$4 == "A" { print $1 ":" $5 }' | head -n 2 | sort | tr '\n' ' ' | sed 's/ $//')"
assert_eq "... adding the two new ones" "n7.$ZONE.:192.0.2.77 n8.$ZONE.:192.0.2.88" \
	"$(printf '%s\n' "$OUT" | awk '$4 == "A" { print $1 ":" $5 }' | tail -n 2 | sort | tr '\n' ' ' | sed 's/ $//')"
assert_eq "... between the serials before and after the import" "$S_AFTER $S_BEFORE $S_AFTER $S_AFTER" \
	"$(printf '%s\n' "$OUT" | awk '$4 == "SOA" { printf "%s%s", s, $7; s = " " }')"

# ---- a journal that cannot be read is not the journal's end: the same IXFR
# is answered with the whole zone, never with a short difference
FULL=$(axfr | awk '$0 !~ /^;/ && NF >= 5' | wc -l)
assert_eq "an AXFR before: the 3,000 imported names and more" 1 "$([ "$FULL" -gt 3000 ] && echo 1)"
sqlite3 "$DB" 'DROP TABLE journal'
assert_eq "the journal table dropped beside the daemon" 0 "$?"
OUT=$(dig +tries=1 +time=$((10 * SLOW)) @127.0.0.1 -p "$DNS_PORT" "$ZONE" IXFR="$S_BEFORE")
assert_eq "IXFR over an unreadable journal: the full zone, as many records as an AXFR" "$FULL" \
	"$(printf '%s\n' "$OUT" | awk '$0 !~ /^;/ && NF >= 5' | wc -l)"
assert_eq "... between two SOAs of the current serial" "$S_AFTER $S_AFTER" \
	"$(printf '%s\n' "$OUT" | awk '$4 == "SOA" { printf "%s%s", s, $7; s = " " }')"
assert_eq "... and the server still answers" "192.0.2.77" \
	"$(dig +short +tries=1 @127.0.0.1 -p "$DNS_PORT" "n7.$ZONE" A)"

stop_daemon
