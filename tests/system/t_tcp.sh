#!/bin/bash
# t_tcp.sh - DNS over TCP: pipelined queries on one connection (RFC 7766
# 6.2.1), the idle timeout, and the per-worker connection limit.
. "$(dirname "$0")/lib.sh"

WORKERS=2
TCP_IDLE=500
write_config
init_db || exit 1
add_record "home.$ZONE" A 192.0.2.10
start_daemon || exit 1

py_checks dnsprobe.py pipeline 127.0.0.1 "$DNS_PORT" "$ZONE"
py_checks dnsprobe.py idle 127.0.0.1 "$DNS_PORT" "$ZONE" "$TCP_IDLE"
q +norec +tcp "home.$ZONE" A
check_answer "TCP still served after the idle-timeout checks" NOERROR "qr aa" \
	"home.$ZONE. 300 IN A 192.0.2.10"
stop_daemon

# one worker allowing two connections
WORKERS=1
TCP_MAX=2
TCP_IDLE=10000
write_config
start_daemon || exit 1
py_checks dnsprobe.py connlimit 127.0.0.1 "$DNS_PORT" "$ZONE" 2
q +norec "home.$ZONE" A
check_answer "UDP unaffected by the TCP limit" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
stop_daemon
