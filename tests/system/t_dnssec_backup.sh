#!/bin/bash
# t_dnssec_backup.sh - a signed zone's keys live in the database and nowhere
# else: `ddnsctl backup` copies them, `ddnsd --restore` brings them back, and
# the restored daemon serves the zone signed with the same keys (the anchor
# taken before the backup still validates, through a validating Unbound);
# no private key appears in the log, /metrics, an HTTP reply or ddnsctl's
# output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"
. "$(dirname "$0")/dnssec_lib.sh"

dnssec_tools
Z=$ZONE
ONE_ZONE=1
ZONE_XFR[$Z]="{ allow: [127.0.0.1] }"
pick_ports
dnssec_config ed25519 nsec3
dnssec_up
upd "$MASTER" '{"subdomain":"host","ip":"192.0.2.1"}'
assert_status "POST /update host" 200
A=$T_DIR/anchor
ctl_anchor "$Z" 15 "$A" || exit 1

ctl backup "$T_DIR/backup.db"
assert_ctl_ok "ddnsctl backup $T_DIR/backup.db"
assert_eq "the backup holds the zone's two keys" 2 \
	"$(sqlite3 "$T_DIR/backup.db" "SELECT count(*) FROM dnssec_keys WHERE zone = '$Z'")"
upd "$MASTER" '{"subdomain":"later","ip":"192.0.2.9"}'
assert_status "POST /update later (after the backup)" 200

# ---- no private key outside the database
leaks=""
for hex in $(sqlite3 "$DB" "SELECT hex(private) FROM dnssec_keys"); do
	b64=$(printf '%s' "$hex" | xxd -r -p | base64 -w0)
	body=$(curl -s -m 5 "http://127.0.0.1:$HTTP_PORT/metrics")
	body="$body $(curl -s -m 5 -H "Authorization: Bearer $MASTER" "http://127.0.0.1:$HTTP_PORT/records")"
	ctl dnssec status "$Z"
	body="$body $CTL_OUT $CTL_ERR"
	ctl dnssec dnskey "$Z"
	body="$body $CTL_OUT $CTL_ERR"
	for needle in "$hex" "$(printf '%s' "$hex" | tr 'A-F' 'a-f')" "$b64"; do
		grep -qF -- "$needle" "$DAEMON_LOG" && leaks="$leaks log"
		case $body in *"$needle"*) leaks="$leaks api" ;; esac
	done
done
assert_eq "no private key in the log, /metrics, /records or ddnsctl's output" "" "$leaks"

# ---- restore
stop_daemon
run_ddnsd -c "$CONF" --restore "$T_DIR/backup.db"
assert_eq "--restore installs the backup" 0 "$RC"
start_daemon || exit 1
wait_ctl || exit 1
# a start with the same keys and apex signs nothing again: the serial stays
assert_eq "the restored zone serves the backup's serial (nothing signed again at start)" \
	"$(sqlite3 "$T_DIR/backup.db" "SELECT serial FROM zones WHERE name = '$Z'")" "$(serial_at "$DNS_PORT" "$Z")"
ctl dnssec dnskey "$Z"
assert_eq "the restored zone has the same DNSKEY RRset" "$(dnskey_norm "$A" | sort)" \
	"$(printf '%s\n' "$CTL_OUT" | dnskey_norm | sort)"
ub_start good "$Z" "$DNS_PORT" "$A" || exit 1
assert_ad "host.$Z" A "after the restore, the old anchor: A" NOERROR 'IN A 192\.0\.2\.1$'
assert_ad "later.$Z" A "after the restore: a name made after the backup is gone (NXDOMAIN)" NXDOMAIN ""
verify_axfr "$Z" "$DNS_PORT"
