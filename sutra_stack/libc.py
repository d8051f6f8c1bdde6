"""The C library calls the stack makes through ctypes, with their constants named (Linux, glibc).

- `set_parent_death_signal`: prctl(PR_SET_PDEATHSIG): the kernel signals this process when the
  thread that forked it dies (supervised children; the forked snapshot writer). Safe between
  fork and exec: one foreign call, no allocation, no lock.
- `become_subreaper`: prctl(PR_SET_CHILD_SUBREAPER): orphaned descendants are re-parented to
  this process instead of init (the supervisor reaps them).
- `mallopt`, `malloc_trim`: glibc's allocator tuning and giving freed memory back to the OS.
- `madvise`: hints for a range of memory (2 MiB pages under the vector index).

Every call is best effort where the function may be missing (another libc, another OS): it
answers False (or -1) instead of raising, except `become_subreaper`, which the supervisor needs.
ctypes releases the GIL around each call.
"""

from __future__ import annotations

import ctypes
from typing import Any

PR_SET_PDEATHSIG = 1  # linux/prctl.h
PR_SET_CHILD_SUBREAPER = 36
M_MMAP_THRESHOLD = -3  # malloc.h: blocks this large or larger are served by mmap
MADV_HUGEPAGE = 14  # linux/mman.h
MADV_COLLAPSE = 25

try:
    _libc: Any = ctypes.CDLL(None, use_errno=True)  # the symbols already loaded: libc's among them
except OSError:  # pragma: no cover - a platform without dlopen
    _libc = None


def _function(name: str, argtypes: list[Any], restype: Any = ctypes.c_int) -> Any:
    """The C function `name` of this process's C library, typed; None where there is none."""
    try:
        fn = getattr(_libc, name)
    except AttributeError:
        return None
    fn.argtypes = argtypes
    fn.restype = restype
    return fn


_ulong = ctypes.c_ulong
_prctl = _function("prctl", [ctypes.c_int, _ulong, _ulong, _ulong, _ulong])
_mallopt = _function("mallopt", [ctypes.c_int, ctypes.c_int])
_malloc_trim = _function("malloc_trim", [ctypes.c_size_t])
_madvise = _function("madvise", [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int])


def set_parent_death_signal(sig: int) -> bool:
    """Ask for signal `sig` when the parent dies; False where prctl is missing or refuses."""
    return _prctl is not None and _prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) == 0


def become_subreaper() -> None:
    """Adopt orphaned descendants (raises OSError where the kernel refuses or prctl is missing)."""
    if _prctl is None:
        raise OSError(0, "prctl(PR_SET_CHILD_SUBREAPER) is not available on this system")
    if _prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def mallopt(param: int, value: int) -> bool:
    """glibc's mallopt (e.g. `M_MMAP_THRESHOLD`); False where it is missing or refuses."""
    return _mallopt is not None and _mallopt(param, value) == 1


def can_trim() -> bool:
    return _malloc_trim is not None


def malloc_trim(pad: int = 0) -> bool:
    """Give free memory at the top of the heap and in the arenas back to the OS; True if some was."""
    return _malloc_trim is not None and _malloc_trim(pad) == 1


def madvise(start: int, length: int, advice: int) -> int:
    """madvise on [start, start + length) (page-aligned); 0 on success, -1 on failure or where missing."""
    return -1 if _madvise is None else int(_madvise(start, length, advice))
