"""CPU threads: ``set_num_threads`` / ``get_num_threads`` (PyTorch's names) for the BLAS library
that NumPy runs its matrix products in, through threadpoolctl.

gradsheet's compute is NumPy: elementwise work is single-threaded, and only the BLAS calls
(matmul, the GEMMs of linear, conv and the recurrent layers) use threads. So the thread count
gradsheet controls is the BLAS pool's (OpenBLAS or MKL, whichever NumPy loaded); OpenMP pools
of other libraries in the process (PyTorch's, for one) are left alone.

Small GEMMs: a product of a few MFLOP runs in tens of microseconds, about the time it takes to
wake and join a second BLAS thread, and on a loaded machine a thread that is not scheduled
stalls the product for a whole time slice. The recurrent layers' per-step GEMMs therefore run
single-threaded (``small_gemms``) whatever the thread count; large products use every thread.
``gradsheet.threads.small_gemm_threads = None`` lets the small ones use every thread as well.
"""
from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterator
from typing import Any, Optional

__all__ = ["set_num_threads", "get_num_threads"]

# threadpoolctl's controllers of NumPy's BLAS libraries (found on first use)
_blas: Optional[list[Any]] = None

# Threads for the small per-step GEMMs (``small_gemms``); None leaves them at the thread count.
# Measured on a 2-core machine: on an idle machine 2 threads ran the LSTM benchmark 17-24%
# faster; on a loaded one a 4 MFLOP GEMM took from 6x up to 1000x longer at 2 threads. One
# thread is the choice that is never far off.
small_gemm_threads: Optional[int] = 1


def _blas_controllers() -> list[Any]:
    """threadpoolctl's controllers of the BLAS libraries loaded now ([] without threadpoolctl)."""
    global _blas
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # a core dependency; without it threads are left as they are
            _blas = []
        else:
            import numpy  # noqa: F401  (loads NumPy's BLAS, so that the controller finds it)
            _blas = [lib for lib in ThreadpoolController().lib_controllers
                     if lib.user_api == "blas"]
    return _blas


def set_num_threads(n: int) -> None:
    """threads(BLAS) <- n: the number of threads NumPy's BLAS (every matmul and GEMM) may use.

    PyTorch's ``torch.set_num_threads(int)``: ``n`` must be a positive int, else RuntimeError.
    It acts on the BLAS libraries loaded in the process through threadpoolctl, for the whole
    process, until the next call. The recurrent layers' small per-step GEMMs stay
    single-threaded either way (see ``gradsheet.threads``).
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n < 1:
        raise RuntimeError(f"set_num_threads expects a positive integer, got {n}")
    global _blas
    _blas = None  # look again: a BLAS library may have been loaded since
    for lib in _blas_controllers():
        lib.set_num_threads(int(n))


def get_num_threads() -> int:
    """threads(BLAS): the number of threads NumPy's BLAS uses now (1 when none is found).

    PyTorch's ``torch.get_num_threads() -> int``; set it with ``set_num_threads``.
    """
    counts = [lib.get_num_threads() for lib in _blas_controllers()]
    counts = [c for c in counts if c is not None]
    return max(counts) if counts else 1


@contextlib.contextmanager
def small_gemms() -> Iterator[None]:
    """Within the block, NumPy's BLAS runs on at most ``small_gemm_threads`` threads (1; None:
    unchanged); the thread count is restored after.

    For loops of small GEMMs (a few MFLOP each), where a second thread costs more than it
    saves and stalls the product on a loaded machine. Process-wide while it lasts, as every
    BLAS setting is.
    """
    limit = small_gemm_threads
    libs = [] if limit is None else [(lib, lib.get_num_threads()) for lib in _blas_controllers()]
    libs = [(lib, n) for lib, n in libs if n is not None and n > limit]
    for lib, _ in libs:
        lib.set_num_threads(limit)
    try:
        yield
    finally:
        for lib, n in libs:
            lib.set_num_threads(n)
