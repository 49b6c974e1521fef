#!/bin/bash
# t_conformance.sh - the checks of ISC's DNS compliance tester, genreport
# (`genreport -f -c -I opcodeflg`, and `-t` for TCP), against the daemon
# with an unsigned and a signed zone: every test "ok", the summary "all ok"
# (genreport_probe.py has the tests and genreport's verdicts).
. "$(dirname "$0")/lib.sh"

write_config
sed -i "s/^  - name: $ZONE2\$/  - name: $ZONE2\n    dnssec: { enabled: true }/" "$CONF"
grep -q "dnssec: { enabled: true }" "$CONF" || { fail "the test config signs $ZONE2" "$(cat "$CONF")"; exit 1; }
init_db || exit 1
add_record "home.$ZONE" A 192.0.2.10
start_daemon || exit 1

for z in "$ZONE" "$ZONE2"; do
	py_checks genreport_probe.py 127.0.0.1 "$DNS_PORT" "$z"
	py_checks genreport_probe.py 127.0.0.1 "$DNS_PORT" "$z" --tcp
done
q +norec "home.$ZONE" A
check_answer "answers after the compliance tests" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
stop_daemon
