#!/bin/bash
# t_privdrop.sh - started as root with `user: nobody`, the master binds port
# 53 (on 127.0.0.2, a loopback address of its own) before dropping
# privileges; every process then runs as that user and answers.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	skip "privilege drop to nobody: needs root and a 'nobody' user"
	exit 0
fi
if "$PY" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.2", 53))' 2>/dev/null; then :; else
	skip "privilege drop after binding port 53: 127.0.0.2:53 is in use"
	exit 0
fi

write_config
chmod 755 "$T_DIR"
sed -i "s/^database:/user: nobody\ndatabase:/; s/\"127.0.0.1:$DNS_PORT\"/\"127.0.0.2:53\"/" "$CONF"
init_db || exit 1
add_record "home.$ZONE" A 192.0.2.10
DNS_PORT_SAVED=$DNS_PORT
"$DDNSD_BIN" -c "$CONF" >"$T_DIR/daemon.log" 2>&1 &
DAEMON_PID=$!
DAEMON_LOG=$T_DIR/daemon.log
root_answers() { dig @127.0.0.2 -p 53 +tries=1 +time=1 +norec "home.$ZONE" A 2>&1 | grep -q '192.0.2.10'; }
wait_until $((10000 * SLOW)) root_answers
Q=$(dig @127.0.0.2 -p 53 +tries=1 +time=2 +norec "home.$ZONE" A 2>&1)
check_answer "answer on port 53 after the drop" NOERROR "qr aa" "home.$ZONE. 300 IN A 192.0.2.10"
assert_eq "master runs as nobody" nobody "$(ps -o user= -p "$DAEMON_PID" | tr -d ' ')"
users=$(ps -o user= --ppid "$DAEMON_PID" | sort -u | tr -d ' ')
assert_eq "every worker runs as nobody" nobody "$users"
assert_eq "the database belongs to nobody" nobody "$(stat -c %U "$DB")"
assert_log "the drop is logged" 'running as user nobody' "$DAEMON_LOG"
DNS_PORT=$DNS_PORT_SAVED
stop_daemon
