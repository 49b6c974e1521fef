#!/usr/bin/python3
"""syscall_probe.py PID CALL - make process PID execute one system call, as
code running inside it would, through ptrace (x86-64 only).

CALL is getpid, socket (AF_INET, SOCK_DGRAM) or execve ("/", no argv): its
arguments need no memory in the target.  The process must be blocked in a
system call (an idle worker is).  It is attached, its registers saved, made
to run the call at its own `syscall` instruction, and then:

  result N      the call returned N; registers restored (the interrupted
                call restarts), process detached and running on
  signal N      the kernel stopped the call with signal N (SIGSYS from a
                seccomp filter): it is delivered as the process detaches,
                exactly as if the process had made the call itself

Exit status 0 for either, 77 when this machine cannot do it (not x86-64,
no ptrace permission), 1 on any other failure.  Memory is never written.
"""
import ctypes
import os
import platform
import signal
import sys

PTRACE_PEEKTEXT, PTRACE_CONT, PTRACE_GETREGS, PTRACE_SETREGS = 1, 7, 12, 13
PTRACE_ATTACH, PTRACE_DETACH, PTRACE_SYSCALL, PTRACE_SETOPTIONS = 16, 17, 24, 0x4200
PTRACE_O_TRACESYSGOOD = 1
NR = {"getpid": 39, "socket": 41, "execve": 59}
NR_RESTART_SYSCALL = 219
ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK = 512, 513, 514, 516


class Regs(ctypes.Structure):
    _fields_ = [(n, ctypes.c_ulonglong) for n in (
        "r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags "
        "rsp ss fs_base gs_base ds es fs gs").split()]


libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.restype = ctypes.c_long
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]


def ptrace(req, pid, addr=0, data=0):
    ctypes.set_errno(0)
    r = libc.ptrace(req, pid, ctypes.c_void_p(addr), ctypes.c_void_p(data))
    e = ctypes.get_errno()
    if r == -1 and e != 0:
        raise OSError(e, os.strerror(e))
    return r


def signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def sigsys_pending(pid):
    """SIGSYS queued for the thread (seccomp's trap is thread-directed)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("SigPnd:"):
                return int(line.split()[1], 16) >> (signal.SIGSYS - 1) & 1 == 1
    return False


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in NR:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 1
    if platform.machine() != "x86_64":
        print("skip: x86-64 only", file=sys.stderr)
        return 77
    pid, call = int(sys.argv[1]), sys.argv[2]
    try:
        ptrace(PTRACE_ATTACH, pid)
    except OSError as e:
        print("skip: cannot attach: %s" % e, file=sys.stderr)
        return 77
    _, st = os.waitpid(pid, os.WALL if hasattr(os, "WALL") else 0x40000000)
    if not os.WIFSTOPPED(st):
        print("the process did not stop: status %#x" % st, file=sys.stderr)
        return 1
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD)
    saved = Regs()
    ptrace(PTRACE_GETREGS, pid, 0, ctypes.addressof(saved))
    insn = ptrace(PTRACE_PEEKTEXT, pid, saved.rip - 2) & 0xffff
    if insn != 0x050f:  # the process is not at a syscall instruction
        ptrace(PTRACE_DETACH, pid, 0, 0)
        print("not blocked in a system call (rip %#x)" % saved.rip, file=sys.stderr)
        return 1
    regs = Regs.from_buffer_copy(saved)
    regs.rip = saved.rip - 2
    regs.orig_rax = (1 << 64) - 1  # no restart handling of the stopped call
    regs.rax = NR[call]
    # execve's path: bytes of the process's own code, never a real file
    # (ENOENT if the call is let through)
    regs.rdi, regs.rsi, regs.rdx, regs.r10 = {
        "getpid": (0, 0, 0, 0), "socket": (2, 2, 0, 0), "execve": (saved.rip, 0, 0, 0)}[call]
    ptrace(PTRACE_SETREGS, pid, 0, ctypes.addressof(regs))
    result = None
    for _ in range(8):
        ptrace(PTRACE_SYSCALL, pid, 0, 0)
        _, st = os.waitpid(pid, os.WALL if hasattr(os, "WALL") else 0x40000000)
        if os.WIFEXITED(st) or os.WIFSIGNALED(st):
            print("died")
            return 0
        sig = os.WSTOPSIG(st)
        if sig == (signal.SIGTRAP | 0x80):
            cur = Regs()
            ptrace(PTRACE_GETREGS, pid, 0, ctypes.addressof(cur))
            if signed(cur.rax) == -38:  # -ENOSYS marks the entry stop
                continue
            if sigsys_pending(pid):  # the exit stop of a call the filter refused
                continue
            result = signed(cur.rax)
            break
        # a signal: the kernel's answer to the call (SIGSYS), delivered on detach
        ptrace(PTRACE_DETACH, pid, 0, sig)
        print("signal %d" % sig)
        return 0
    if result is None:
        ptrace(PTRACE_DETACH, pid, 0, 0)
        print("no result after 8 stops", file=sys.stderr)
        return 1
    # back to where it was: the interrupted call starts again
    back = Regs.from_buffer_copy(saved)
    err = -signed(saved.rax)
    if err in (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND):
        back.rax, back.rip = saved.orig_rax, saved.rip - 2
    elif err == ERESTART_RESTARTBLOCK:
        back.rax, back.rip = NR_RESTART_SYSCALL, saved.rip - 2
    back.orig_rax = (1 << 64) - 1
    ptrace(PTRACE_SETREGS, pid, 0, ctypes.addressof(back))
    ptrace(PTRACE_DETACH, pid, 0, 0)
    print("result %d" % result)
    return 0


sys.exit(main())
