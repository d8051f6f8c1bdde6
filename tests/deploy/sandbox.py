"""Run a program under the kernel rules a generated unit asks systemd for, without systemd:
`python sandbox.py UNIT_FILE PROGRAM ARGS...`.

Read from the unit: `NoNewPrivileges=yes` (prctl PR_SET_NO_NEW_PRIVS), `MemoryDenyWriteExecute=yes`
(prctl PR_SET_MDWE, the kernel's own form of the rule: no mapping both writable and executable,
no adding exec to a writable one), and the seccomp filter systemd builds from
`SystemCallFilter=` lines (the first an allow list, `~` lines taking groups out; groups are
expanded by `systemd-analyze syscall-filter`), `SystemCallErrorNumber=` and
`RestrictAddressFamilies=` (socket(2) allowed for the listed families only). In a mount
namespace of its own: `ProtectSystem=strict` (every mount read-only but /dev and /tmp, which
stands for PrivateTmp's own writable /tmp) and `ProtectProc=invisible` / `ProcSubset=pid` (a /proc
showing processes only). Everything is inherited across fork and exec, so the program and all its
children run under it (run it as root, as systemd sets these up).
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import subprocess
import sys
from functools import cache
from pathlib import Path

PR_SET_NO_NEW_PRIVS = 38
PR_SET_MDWE = 65
PR_MDWE_REFUSE_EXEC_GAIN = 1
SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4


def scmp_act_errno(e: int) -> int:
    return 0x00050000 | (e & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


@cache
def group(name: str) -> frozenset[str]:
    """The system calls of a systemd group (e.g. @system-service), nested groups expanded."""
    out = subprocess.run(["systemd-analyze", "syscall-filter", name], capture_output=True, text=True, check=True)
    calls: set[str] = set()
    for line in out.stdout.splitlines()[1:]:
        item = line.strip()
        if not item or item.startswith("#"):
            continue
        calls |= group(item) if item.startswith("@") else {item}
    return frozenset(calls)


def _items(value: str) -> set[str]:
    calls: set[str] = set()
    for item in value.split():
        calls |= group(item) if item.startswith("@") else {item}
    return calls


def unit_settings(unit: Path) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


def allowed_calls(filters: list[str]) -> set[str]:
    allowed: set[str] = set()
    for i, f in enumerate(filters):
        if f.startswith("~"):
            allowed -= _items(f[1:])
        elif i == 0:
            allowed = _items(f)
        else:
            allowed |= _items(f)
    return allowed


CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x8, 0x1000, 0x4000, 0x40000
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
MOUNT_ATTR_RDONLY = 0x1
SYS_MOUNT_SETATTR = 442  # the same number on every architecture


class MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64), ("propagation", ctypes.c_uint64),
                ("userns_fd", ctypes.c_uint64)]


def _check(rc: int, what: str) -> None:
    if rc != 0:
        raise OSError(ctypes.get_errno(), what)


def protect_filesystem(s: dict[str, list[str]], libc: ctypes.CDLL) -> None:
    strict = s.get("ProtectSystem") == ["strict"]
    proc_opts = ",".join([*(["hidepid=invisible"] if s.get("ProtectProc") == ["invisible"] else []),
                          *(["subset=pid"] if s.get("ProcSubset") == ["pid"] else [])])
    if not strict and not proc_opts:
        return
    _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    if proc_opts:
        _check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, proc_opts.encode()),
               f"mount proc -o {proc_opts}")
    if not strict:
        return
    writable = [d for d in ("/tmp", "/dev") if os.path.isdir(d)]
    for d in writable:
        _check(libc.mount(d.encode(), d.encode(), None, MS_BIND | MS_REC, None), f"mount --rbind {d}")

    def setattr_(path: str, set_: int, clear: int) -> None:
        attr = MountAttr(set_, clear, 0, 0)
        rc = libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, path.encode(), AT_RECURSIVE, ctypes.byref(attr),
                          ctypes.sizeof(attr))
        _check(rc, f"mount_setattr {path}")

    setattr_("/", MOUNT_ATTR_RDONLY, 0)
    for d in writable:
        setattr_(d, 0, MOUNT_ATTR_RDONLY)


def apply(unit: Path) -> None:
    s = unit_settings(unit)
    libc = ctypes.CDLL(None, use_errno=True)
    filters = s.get("SystemCallFilter", [])
    allowed = allowed_calls(filters)  # asks systemd-analyze: before /proc and the file system change
    protect_filesystem(s, libc)
    if s.get("NoNewPrivileges") == ["yes"] and libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if s.get("MemoryDenyWriteExecute") == ["yes"] and libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_MDWE (Linux 6.3+)")
    if not filters:
        return
    families = [getattr(socket, f) for f in " ".join(s.get("RestrictAddressFamilies", [])).split()]
    err = getattr(errno, s.get("SystemCallErrorNumber", ["EPERM"])[-1])
    lib = ctypes.CDLL("libseccomp.so.2")
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(scmp_act_errno(err))
    for name in sorted(allowed):
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            continue  # not a call of this architecture
        if name == "socket" and families:
            for fam in families:
                cmp = ArgCmp(0, SCMP_CMP_EQ, fam, 0)
                assert lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, ctypes.byref(cmp)) == 0
        else:
            rc = lib.seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 0, None)
            assert rc == 0, (name, rc)
    rc = lib.seccomp_load(ctypes.c_void_p(ctx))
    if rc != 0:
        raise OSError(-rc, "seccomp_load")


if __name__ == "__main__":
    apply(Path(sys.argv[1]))
    os.execv(sys.argv[2], sys.argv[2:])
