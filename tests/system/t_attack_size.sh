#!/bin/bash
# t_attack_size.sh - a 2xx means served.  An RRset the shared table cannot
# hold at its name (64 TXT strings of 255 bytes; 63 of them and then six
# AAAA beside) is refused before the commit over HTTP (413) and ddnsctl
# (exit 1, the reason): the rows and the DNS answer stay as they were.  The
# largest set that fits is accepted and served whole, over TCP.
. "$(dirname "$0")/lib.sh"

ONE_ZONE=1
write_http_config
init_db || exit 1
start_daemon || exit 1
wait_http || exit 1
wait_ctl || exit 1
M=$MASTER
Z=$ZONE

# txt_json N: a JSON array of N distinct 255-byte strings.
txt_json()
{
	"$PY" -c 'import json, sys, string
n = int(sys.argv[1])
print(json.dumps(["%02d" % i + string.ascii_letters[i % 52] * 253 for i in range(n)]))' "$1"
}
rows() { sqlite3 "$DB" "SELECT count(*) FROM records WHERE name = '$1';"; }
txt_count() { dnsq +norec +tcp +short "$1" TXT | grep -c .; }

upd "$M" '{"subdomain":"big","type":"TXT","value":"small"}'
assert_status "a small TXT first" 200
serial0=$(soa_serial "$Z")

upd "$M" "{\"subdomain\":\"big\",\"type\":\"TXT\",\"value\":$(txt_json 64)}"
assert_api_error "64 x 255-byte TXT strings: refused" 413
assert_match "the reason names the limit" "exceed the [0-9]+ bytes one name may hold" "$H_BODY"
assert_eq "refused: one row, as before" 1 "$(rows "big.$Z")"
assert_dns "refused: DNS still answers the old TXT" "big.$Z" TXT '"small"'
assert_eq "refused: the serial did not move" "$serial0" "$(soa_serial "$Z")"

upd "$M" "{\"subdomain\":\"big\",\"type\":\"TXT\",\"value\":$(txt_json 63)}"
assert_status "63 of them fit" 200
assert_eq "63 rows" 63 "$(rows "big.$Z")"
assert_eq "DNS over TCP serves all 63" 63 "$(txt_count "big.$Z")"

upd "$M" '{"subdomain":"big","ip":["2001:db8::1","2001:db8::2","2001:db8::3","2001:db8::4","2001:db8::5","2001:db8::6"]}'
assert_api_error "six AAAA beside the 63 TXT: refused" 413
assert_eq "no AAAA row" 63 "$(rows "big.$Z")"
assert_dns "no AAAA served" "big.$Z" AAAA ""
assert_eq "the TXT RRset still served whole" 63 "$(txt_count "big.$Z")"
upd "$M" '{"subdomain":"big","ip":"2001:db8::1"}'
assert_status "one AAAA still fits" 200
assert_dns "and is served" "big.$Z" AAAA "2001:db8::1"

# the control socket: the same rule, said on stderr
mapfile -t vals < <("$PY" -c 'import string
for i in range(64): print("%02d" % i + string.ascii_letters[i % 52] * 253)')
ctl record set huge TXT "${vals[@]}"
assert_ctl_fail "ddnsctl record set of 64 x 255-byte TXT" "exceed the [0-9]+ bytes"
assert_eq "ddnsctl: no row" 0 "$(rows "huge.$Z")"
assert_dns "ddnsctl: nothing served" "huge.$Z" TXT ""

q +norec "big.$Z" A
check_answer "the server keeps answering" NOERROR "qr aa" ""
stop_daemon
