#!/usr/bin/python3
"""flood_probe.py - connection floods against the ddnsd HTTP port, for
t_attack_flood.sh.  Standard library only; loopback only; every socket has a
timeout or is non-blocking, every loop and wait is bounded, and the probe
kills only the child processes it forked.  Prints "PASS description" /
"FAIL description" lines (lib.sh's py_checks or py_report turn them into TAP)
and "NOTE ..." lines with measurements.

  flood_probe.py flood PORT FLOOD_SRC COUNT RATE HOLD_S HEALTH_SRC LIMIT_MS
      opens COUNT idle TCP connections from FLOOD_SRC to 127.0.0.1:PORT, RATE
      a second (in child processes, each with its RLIMIT_NOFILE raised: a
      non-blocking connect completes in the kernel, so unpaced they would
      come faster than any server accepts and the listen queue would drop
      SYNs, the health check's among them), holds them for
      HOLD_S seconds once all are opened, then closes them.  Throughout,
      GET /health from a socket bound to HEALTH_SRC every 100 ms: each must
      answer 200 within LIMIT_MS.
  flood_probe.py cap PORT SRC OTHER_SRC CAP IDLE_S
      CAP idle connections from SRC stay open, connection CAP+1 from SRC is
      closed by the server at once while OTHER_SRC still gets GET /health;
      once one of SRC's closes, SRC gets in again; the idle ones are closed
      by the server after about IDLE_S seconds, and so is one that sent
      half a request.
  flood_probe.py hold PORT FIRST_SRC NADDR PER HOLD_S RATE
      opens PER idle connections from each of NADDR addresses (FIRST_SRC,
      then the next ones) at once, holds them HOLD_S seconds and meanwhile
      opens RATE more a second (so a server out of descriptors stays out of
      them); notes how many the server accepted and closed.

SLOW (environment, default 1) scales the timeouts.
"""
import errno
import ipaddress
import os
import resource
import select
import signal
import socket
import sys
import time

SLOW = int(os.environ.get("SLOW", "1"))
FD_MARGIN = 64          # descriptors a child keeps for itself beside its sockets
CHILD_MAX_S = 120       # a child never outlives this, whatever happens
OPEN_CHUNK = 50         # connections opened between two looks at the clock
FLOOD_PER_CHILD = 5000  # connections per flood process
HEALTH_EVERY_S = 0.1


def report(ok, desc, *detail):
    print(("PASS " if ok else "FAIL ") + desc)
    if not ok:
        for d in detail:
            print("  " + str(d))
    sys.stdout.flush()
    return ok


def note(msg):
    print("NOTE " + msg)
    sys.stdout.flush()


def raise_nofile(want):
    """Raises RLIMIT_NOFILE to at least want if allowed; returns the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if want > hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return want
        except (ValueError, OSError):
            pass
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    except (ValueError, OSError):
        return soft


def open_nb(port, src=None):
    """A non-blocking connect to 127.0.0.1:port (from src if given)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    if src is not None:
        s.bind((src, 0))
    rc = s.connect_ex(("127.0.0.1", port))
    if rc not in (0, errno.EINPROGRESS):
        s.close()
        raise OSError(rc, os.strerror(rc))
    return s


def state(s):
    """'open' (connected, nothing from the server), 'closed' (the server
    closed or reset it), 'connecting' or 'data'."""
    try:
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err in (errno.ECONNRESET, errno.ECONNREFUSED, errno.EPIPE):
            return "closed"
        d = s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        return "closed" if d == b"" else "data"
    except BlockingIOError:
        pass
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError):
        return "closed"
    except OSError as e:
        if e.errno == errno.ENOTCONN:
            return "connecting"
        return "closed"
    p = select.poll()
    p.register(s, select.POLLOUT)
    return "open" if p.poll(0) else "connecting"


def wait_state(s, want, limit_s):
    """Polls state(s) until it is want or limit_s passes; returns the last state."""
    end = time.monotonic() + limit_s
    st = state(s)
    while st != want and time.monotonic() < end:
        time.sleep(0.02)
        st = state(s)
    return st


def health(port, src, limit_s):
    """(status, ms) of one GET /health from a socket bound to src."""
    t0 = time.monotonic()
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(limit_s)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        line = data.split(b"\r\n", 1)[0].split()
        status = int(line[1]) if len(line) > 1 and line[1].isdigit() else 0
    except OSError as e:
        status = "%s" % e.__class__.__name__
    return status, (time.monotonic() - t0) * 1000


# ---------------------------------------------------------------- flood

def flood_child(port, src, count, rate, wfd, rfd):
    """Opens count connections, rate a second; writes one line to wfd when
    done, holds them until rfd reaches EOF (or CHILD_MAX_S), closes them,
    exits."""
    signal.alarm(CHILD_MAX_S)
    raise_nofile(count + FD_MARGIN)
    socks = []
    failed = 0
    t0 = time.monotonic()
    for i in range(count):
        try:
            socks.append(open_nb(port, None if src == "127.0.0.1" else src))
        except OSError:
            failed += 1
        if i % OPEN_CHUNK == OPEN_CHUNK - 1:
            ahead = t0 + (i + 1) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    os.write(wfd, b"%d %d\n" % (len(socks), failed))
    p = select.poll()
    p.register(rfd, select.POLLIN)
    p.poll(CHILD_MAX_S * 1000)
    counts = {}
    for s in socks:
        st = state(s)
        counts[st] = counts.get(st, 0) + 1
    os.write(wfd, (" ".join("%s=%d" % kv for kv in sorted(counts.items())) + "\n").encode())
    for s in socks:
        s.close()
    os._exit(0)


def spawn_flood(port, src, count, rate):
    """Forks children that open count connections between them, rate a
    second in all; returns [(pid, read_fd, write_fd)]."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    per = FLOOD_PER_CHILD
    if os.geteuid() != 0 and hard < per + FD_MARGIN:
        per = hard - FD_MARGIN
    nkids = (count + per - 1) // per
    kids = []
    left = count
    while left > 0:
        n = min(per, left)
        up_r, up_w = os.pipe()
        down_r, down_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(up_r)
            os.close(down_w)
            flood_child(port, src, n, rate / nkids, up_w, down_r)
        os.close(up_w)
        os.close(down_r)
        kids.append((pid, up_r, down_w))
        left -= n
    return kids


def read_line(fd, limit_s):
    buf = b""
    end = time.monotonic() + limit_s
    while not buf.endswith(b"\n") and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], max(0, end - time.monotonic()))
        if not r:
            break
        c = os.read(fd, 256)
        if not c:
            break
        buf += c
    return buf.decode().strip()


def reap(kids):
    for pid, _, _ in kids:
        end = time.monotonic() + 5 * SLOW
        while time.monotonic() < end:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                break
            time.sleep(0.05)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def flood(port, src, count, rate, hold_s, health_src, limit_ms):
    kids = spawn_flood(port, src, count, rate)
    lat = []
    bad = []
    opened = failed = 0
    pending = {k[1]: k for k in kids}
    t0 = time.monotonic()
    deadline = t0 + 2 * count / rate + 10 * SLOW
    hold_end = None
    try:
        while time.monotonic() < deadline:
            r, _, _ = select.select(list(pending), [], [], 0)
            for fd in r:
                line = read_line(fd, 1)
                parts = line.split()
                if len(parts) == 2:
                    opened += int(parts[0])
                    failed += int(parts[1])
                del pending[fd]
            if not pending and hold_end is None:
                hold_end = time.monotonic() + hold_s
                note("%d connections opened from %s in %.1f s (%d could not start)"
                     % (opened, src, time.monotonic() - t0, failed))
            if hold_end is not None and time.monotonic() >= hold_end:
                break
            status, ms = health(port, health_src, max(5, 3 * limit_ms / 1000.0))
            lat.append(ms)
            if status != 200 or ms >= limit_ms:
                bad.append("poll %d at %.1f s: %s in %d ms"
                           % (len(lat), time.monotonic() - t0, status, ms))
            time.sleep(HEALTH_EVERY_S)
        report(hold_end is not None, "the flood's %d connections were all started" % count,
               "still opening after %d s" % (deadline - t0))
        report(opened + failed == count and failed == 0,
               "%d connections from %s opened" % (count, src),
               "opened %d, could not start %d" % (opened, failed))
        for _, _, w in kids:
            os.close(w)
        for _, r, _ in kids:
            line = read_line(r, 10 * SLOW)
            note("a flood process saw its connections: %s" % line)
    finally:
        for _, _, w in kids:
            try:
                os.close(w)
            except OSError:
                pass
        reap(kids)
    lat_sorted = sorted(lat)
    if lat:
        note("/health from %s during the flood: %d polls, median %d ms, max %d ms"
             % (health_src, len(lat), lat_sorted[len(lat) // 2], lat_sorted[-1]))
    report(len(lat) >= 5 and not bad,
           "/health from %s answered 200 within %d ms at every one of %d polls during the flood"
           " (max %d ms)" % (health_src, limit_ms, len(lat), lat_sorted[-1] if lat else -1),
           *(bad[:20] or ["only %d polls" % len(lat)]))


# ---------------------------------------------------------------- cap

def cap(port, src, other, n, idle_s):
    held = []
    try:
        for i in range(n):
            held.append(open_nb(port, src))
        states = [wait_state(s, "open", 2 * SLOW) for s in held]
        time.sleep(0.3 * SLOW)
        states = [state(s) for s in held]
        report(states.count("open") == n,
               "%d connections from %s (the cap) are accepted and stay open" % (n, src),
               "states: %s" % {k: states.count(k) for k in set(states)})
        extra = open_nb(port, src)
        t0 = time.monotonic()
        st = wait_state(extra, "closed", 2 * SLOW)
        report(st == "closed", "connection %d from %s is closed by the server (%d ms)"
               % (n + 1, src, (time.monotonic() - t0) * 1000), "state: %s" % st)
        extra.close()
        status, ms = health(port, other, 5 * SLOW)
        report(status == 200, "meanwhile GET /health from %s: 200 (%d ms)" % (other, ms), status)
        states = [state(s) for s in held]
        report(states.count("open") == n, "the %d first ones from %s are still open" % (n, src),
               "states: %s" % {k: states.count(k) for k in set(states)})
        held.pop().close()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3 * SLOW:
            status, ms = health(port, src, 5 * SLOW)
            if status == 200:
                break
            time.sleep(0.05)
        report(status == 200, "one of %s's closed: %s gets GET /health again (%d ms after)"
               % (src, src, (time.monotonic() - t0) * 1000), status)
        # the idle timeout: every held connection, and one with half a
        # request, closed by the server after about idle_s
        half = socket.create_connection(("127.0.0.1", port), timeout=5 * SLOW,
                                        source_address=(other, 0))
        half.sendall(b"POST /update HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"sub")
        half.setblocking(False)
        held.append(half)
        t0 = time.monotonic()
        limit = idle_s + 3 * SLOW
        while time.monotonic() - t0 < limit:
            states = [state(s) for s in held]
            if states.count("closed") == len(held):
                break
            time.sleep(0.1)
        took = time.monotonic() - t0
        report(states.count("closed") == len(held),
               "the server closed all %d idle connections, one with half a request, within "
               "%.1f s (http.idle_timeout %d s)" % (len(held), took, idle_s),
               "states after %.1f s: %s" % (took, {k: states.count(k) for k in set(states)}))
        report(took >= idle_s * 0.5,
               "... and not long before the idle timeout (%.1f s)" % took)
    except OSError as e:
        report(False, "cap probe", repr(e))
    finally:
        for s in held:
            s.close()


# ---------------------------------------------------------------- hold

def hold(port, first, naddr, per, hold_s, rate):
    raise_nofile(naddr * per + int(hold_s * rate) + FD_MARGIN)
    base = ipaddress.IPv4Address(first)
    socks = []
    try:
        for a in range(naddr):
            src = str(base + a)
            for _ in range(per):
                socks.append(open_nb(port, src))
        note("%d connections from %d addresses started" % (len(socks), naddr))
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < hold_s:
            while n < (time.monotonic() - t0) * rate:
                socks.append(open_nb(port, str(base + n % naddr)))
                n += 1
            time.sleep(0.01)
        note("%d more started during the %.1f s" % (n, hold_s))
        states = [state(s) for s in socks]
        note("after %.1f s: %s" % (hold_s, {k: states.count(k) for k in set(states)}))
        report(True, "held %d connections from %d addresses for %.1f s"
               % (len(socks), naddr, hold_s))
    except OSError as e:
        report(False, "hold probe", repr(e))
    finally:
        for s in socks:
            s.close()


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "flood":
        flood(int(a[0]), a[1], int(a[2]), float(a[3]), float(a[4]), a[5], int(a[6]))
    elif cmd == "cap":
        cap(int(a[0]), a[1], a[2], int(a[3]), int(a[4]))
    elif cmd == "hold":
        hold(int(a[0]), a[1], int(a[2]), int(a[3]), float(a[4]), float(a[5]))
    else:
        print("FAIL unknown subcommand " + cmd)
        sys.exit(2)


if __name__ == "__main__":
    main()
