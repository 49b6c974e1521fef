#!/usr/bin/python3
"""ports.py N - print N distinct random ports, free for TCP and UDP on
127.0.0.1, below the kernel's ephemeral range so that client sockets of the
tests never take them."""
import random
import socket
import sys


def free(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    found = []
    for _ in range(500):
        p = random.randint(20000, 32000)
        if p not in found and free(p):
            found.append(p)
            if len(found) == n:
                print(" ".join(map(str, found)))
                return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
