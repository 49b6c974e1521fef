#!/bin/bash
# t_malformed.sh - hostile input: FORMERR for malformed queries, NOTIMP for
# unknown opcodes, responses and runts dropped, then thousands of random and
# mutated UDP packets and TCP garbage, after which the server still answers
# and no process died.
. "$(dirname "$0")/lib.sh"

write_config
init_db || exit 1
add_record "home.$ZONE" A 192.0.2.10
add_record "$ZONE" TXT "apex text"
start_daemon || exit 1
before=$(children "$DAEMON_PID" | tr '\n' ' ')
note "master $DAEMON_PID, children: $before"

py_checks dnsprobe.py malformed 127.0.0.1 "$DNS_PORT" "$ZONE"
py_checks dnsprobe.py fuzz 127.0.0.1 "$DNS_PORT" "$ZONE" 5000
py_checks dnsprobe.py tcpgarbage 127.0.0.1 "$DNS_PORT" "$ZONE"

q +norec "home.$ZONE" A
check_answer "answers with dig after the garbage" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
q +norec +tcp "$ZONE" TXT
check_answer "answers over TCP after the garbage" NOERROR "qr aa" "$ZONE. 300 IN TXT \"apex text\""
proc_alive "$DAEMON_PID" && pass "master alive after the garbage" || fail "master alive after the garbage"
after=$(children "$DAEMON_PID" | tr '\n' ' ')
assert_eq "no worker died (same child pids as before)" "$before" "$after"
stop_daemon
