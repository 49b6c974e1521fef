#!/usr/bin/python3
"""ports.py N - print N distinct random ports, free for TCP and UDP on
127.0.0.1 (and ::1 when it exists), below the kernel's ephemeral range so that client sockets of the
tests never take them."""
import random
import socket
import sys


def has_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
        return True
    except OSError:
        return False


def free(port, v6):
    addrs = [(socket.AF_INET, "127.0.0.1")] + ([(socket.AF_INET6, "::1")] if v6 else [])
    for family, addr in addrs:
        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
            s = socket.socket(family, kind)
            try:
                s.bind((addr, port))
            except OSError:
                return False
            finally:
                s.close()
    return True


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    found = []
    v6 = has_ipv6()
    for _ in range(500):
        p = random.randint(20000, 32000)
        if p not in found and free(p, v6):
            found.append(p)
            if len(found) == n:
                print(" ".join(map(str, found)))
                return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
