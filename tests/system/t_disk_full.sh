#!/bin/bash
# t_disk_full.sh - the writer's files cannot grow (prlimit --fsize on the
# HTTP worker: every write past the limit fails with EFBIG, as a full disk
# fails with ENOSPC): updates get 503 {"error"} and a signed RFC 2136
# UPDATE SERVFAIL, nothing of them is stored
# or served, DNS keeps answering the last committed value, /health says the
# database is failing and the worker is not killed (SIGXFSZ is ignored);
# with room again the next updates succeed and are served, and the database
# passes its integrity check and serves the same after a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/xfr_lib.sh"

if ! command -v prlimit >/dev/null 2>&1; then
	skip "writes on a full disk: prlimit is not installed"
	exit 0
fi
ONE_ZONE=1
ANY_KEY=any-key
ANY_SECRET=$(tsig_secret)
key_yaml "$ANY_KEY" hmac-sha256 "$ANY_SECRET" all
write_xfr_config
YA=(-y "hmac-sha256:$ANY_KEY:$ANY_SECRET")
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
M=$MASTER
Z=$ZONE

upd "$M" '{"subdomain":"full","ip":"192.0.2.1"}'
assert_status "an update before the disk fills" 200
assert_dns "it is served" "full.$Z" A 192.0.2.1
HP=$(http_worker_pid)
[ -n "$HP" ] && pass "the HTTP worker is found ($HP)" || fail "the HTTP worker is found" "$(children "$DAEMON_PID")"
rows=$(audit_rows)

# the soft limit only: the hard one stays, so it can be lifted again
prlimit --pid "$HP" --fsize=1:unlimited && pass "its files may not grow past 1 byte" ||
	fail "prlimit --fsize on the HTTP worker"
for i in 1 2 3; do
	upd "$M" "{\"subdomain\":\"full\",\"ip\":\"192.0.2.1$i\"}"
	assert_api_error "update $i on a full disk" 503
done
upd "$M" '{"subdomain":"other","ip":"192.0.2.9"}'
assert_api_error "a new name on a full disk" 503
nsu "$DNS_PORT" "update add signed.$Z 300 A 192.0.2.77" "${YA[@]}"
assert_nsu_fail "a signed RFC 2136 UPDATE on a full disk" "SERVFAIL"
assert_dns "the refused UPDATE is not served" "signed.$Z" A ""
assert_dns "the last committed value is still served" "full.$Z" A 192.0.2.1
assert_dns "the refused new name is not served" "other.$Z" A ""
assert_eq "the worker was not killed (SIGXFSZ ignored)" "$HP" "$(http_worker_pid)"
assert_eq "no audit row for what was refused" "$rows" "$(audit_rows)"
assert_eq "nothing of it in the database" \
	"192.0.2.1" "$(sqlite3 "$DB" "SELECT group_concat(value) FROM records WHERE name IN ('full.$Z', 'other.$Z')")"
# (the worker's log lines cannot be written either: its stderr is a file)
api "" GET /health
assert_status "GET /health says so" 503
assert_json "status degraded, the database failing" 'j["status"] + " " + j["database"]' "degraded failing"
assert_json "and why" '"database is not writable" in j["reasons"]' true

prlimit --pid "$HP" --fsize=unlimited:unlimited && pass "room again" ||
	fail "prlimit --fsize=unlimited"
upd "$M" '{"subdomain":"full","ip":"192.0.2.50"}'
assert_status "the next update succeeds" 200
assert_dns "and is served" "full.$Z" A 192.0.2.50
upd "$M" '{"subdomain":"other","ip":"192.0.2.51"}'
assert_status "a new name succeeds" 200
assert_dns "and is served" "other.$Z" A 192.0.2.51
nsu "$DNS_PORT" "update add signed.$Z 300 A 192.0.2.78" "${YA[@]}"
assert_nsu_ok "a signed UPDATE succeeds"
assert_dns "and is served" "signed.$Z" A 192.0.2.78
assert_eq "three audit rows more" "$((rows + 3))" "$(audit_rows)"
stop_daemon
assert_eq "the database passes its integrity check" ok "$(sqlite3 "$DB" 'PRAGMA integrity_check')"
start_daemon || exit 1
assert_dns "after a restart: the last value" "full.$Z" A 192.0.2.50
