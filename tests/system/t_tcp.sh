#!/bin/bash
# t_tcp.sh - DNS over TCP: pipelined queries on one connection (RFC 7766
# 6.2.1), the idle timeout, and fairness (RFC 7766 6.2.3): a full pool
# closes its longest-idle connection for a new one (dns.tcp_max_connections),
# and one address holds at most dns.tcp_max_per_address connections.
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

# one worker, a pool of two connections: a full pool gives way to a new one
WORKERS=1
TCP_MAX=2
TCP_IDLE=10000
write_config
start_daemon || exit 1
py_checks dnsprobe.py connlimit 127.0.0.1 "$DNS_PORT" "$ZONE" 2
assert_log "the connections closed to make room are logged (rate-limited)" \
	'tcp: 0 connections over dns.tcp_max_per_address \(16\) closed at accept, [1-9][0-9]* idle ones closed to make room \(dns.tcp_max_connections 2\)' \
	"$DAEMON_LOG"
q +norec "home.$ZONE" A
check_answer "UDP unaffected by the TCP limit" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
stop_daemon

# one worker, a pool of 8, at most 3 connections per client address
TCP_MAX=8
write_config
sed -i 's/^  tcp_max_connections: 8$/&\n  tcp_max_per_address: 3/' "$CONF"
start_daemon || exit 1
py_checks dnsprobe.py peercap 127.0.0.1 "$DNS_PORT" "$ZONE" 3
assert_log "the closed connection is logged (rate-limited)" \
	'tcp: [0-9]+ connections over dns.tcp_max_per_address \(3\) closed at accept, .* last from 127\.0\.0\.1' \
	"$DAEMON_LOG"
stop_daemon
