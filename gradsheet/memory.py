"""Keep freed memory for the next training step instead of handing it back to the OS.

A training step allocates and frees the same multi-megabyte arrays (activations,
gradients) every time. glibc's malloc gives large freed blocks back to the
kernel (trimming the top of the heap, unmapping big blocks), so the next step
touches fresh pages: one page fault per 4 KB, which cost 40% of a small CNN's
training step here (17 ms instead of 11). ``keep_freed_memory`` tells glibc to
keep up to ``trim_threshold`` bytes of freed heap and to serve blocks below
``mmap_threshold`` from the heap, which is the policy of PyTorch's caching
allocators and of jemalloc/tcmalloc, which PyTorch's performance guide
recommends preloading.

``import gradsheet`` calls it once on Linux with glibc; set the environment
variable ``GRADSHEET_KEEP_FREED_MEMORY=0`` before the import to leave malloc as
it was. The process then holds at most ``trim_threshold`` more memory than it
would otherwise, memory it would re-fault on the next step anyway.
"""
from __future__ import annotations

import os
import platform
from typing import Literal, Optional, Union

# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3

# state of the tuning: None (not tried), True (done), or why not, a string
kept: Optional[Union[Literal[True], str]] = None


def keep_freed_memory(trim_threshold: int = 256 << 20,
                      mmap_threshold: int = 32 << 20) -> Union[Literal[True], str]:
    """Ask glibc to keep freed memory: trim the heap only when more than ``trim_threshold``
    bytes are free at its top, and mmap only blocks of ``mmap_threshold`` bytes or more
    (32 MB is glibc's own ceiling for the threshold it raises by itself).

    Returns True when glibc took both settings, else a string saying why nothing changed
    (not glibc, no mallopt to call, or mallopt refused). The result is also left in ``kept``.
    """
    global kept
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        kept = f"not glibc ({platform.system()} {platform.libc_ver()[0] or 'unknown libc'})"
        return kept
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError) as error:  # a Python that does not expose libc's symbols
        kept = f"mallopt not found ({error})"
        return kept
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    if mallopt(_M_MMAP_THRESHOLD, mmap_threshold) != 1 or \
            mallopt(_M_TRIM_THRESHOLD, trim_threshold) != 1:
        kept = "mallopt refused the thresholds"
        return kept
    kept = True
    return kept


def keep_freed_memory_unless_disabled() -> Union[Literal[True], str]:
    """``keep_freed_memory()`` unless GRADSHEET_KEEP_FREED_MEMORY is 0 (what import runs)."""
    global kept
    if os.environ.get("GRADSHEET_KEEP_FREED_MEMORY", "1").strip() in ("0", "false", "no"):
        kept = "disabled by GRADSHEET_KEEP_FREED_MEMORY"
        return kept
    return keep_freed_memory()
