"""im2col and col2im: a convolution as one matrix product, and reusable scratch arrays.

Notation: C channels, N images, input H x W, kernel kh x kw, stride (sh, sw),
dilation (dh, dw), zero padding (top, bottom, left, right), output OH x OW.

    col[c, i, j, oh, ow, n] = xpad[c, oh*sh + i*dh, ow*sw + j*dw, n]

so a convolution is  y = W (O, C*kh*kw) @ col (C*kh*kw, OH*OW*N).  The arrays
are laid out channel-major with the batch innermost, (C, H, W, N): every
strided copy then moves runs of ``OW * N`` contiguous numbers (not runs of OW
as in (N, C, H, W)), and the product's output (O, OH, OW, N) is already in the
layout the next convolution reads. Layers hand out (N, C, H, W) views of it.

col2im is the adjoint of im2col, a sum over the kernel offsets only:

    dx[c, oh*sh + i*dh - top, ow*sw + j*dw - left, n] += dcol[c, i, j, oh, ow, n]

one strided add per offset (i, j), clipped to the unpadded input (kh*kw adds,
no np.add.at, no loop over output pixels).

The column matrix is kh*kw times the size of the input (20 MB for 16
channels of 14x14 images, batch 64, kernel 5), so it is never built whole:
``column_blocks`` hands it out a block of output rows at a time, blocks whose
columns fit in about ``CHUNK_BYTES`` (``output_row_chunks``), and each block's
columns are filled, multiplied and dropped while they are still in the CPU
cache (streaming the whole matrix through memory and back cost a fifth of a
training step).

Scratch arrays (padded inputs, column blocks) are needed on every training
step; a fresh multi-megabyte one costs page faults each time, so they come
from ``pool``. A pooled array is never returned to the user: outputs and
gradients are allocated fresh.
"""
from __future__ import annotations

import collections
import threading
from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING, Any, Optional

import numpy as np
from numpy.lib.stride_tricks import as_strided

if TYPE_CHECKING:
    from .._typing import DType


class ScratchPool:
    """Work arrays reused across calls, keyed by (tag, shape, dtype, ...), at most
    ``max_bytes`` kept (least recently returned keys are dropped first).

    ``take`` hands an array out (it leaves the pool), ``give`` puts it back. ``lease``
    wraps a taken array in a Lease that gives it back when the lease is garbage: an op
    saves the lease for backward (a convolution its padded input), so the array returns
    to the pool only once the graph node that needs it is freed, never while it can
    still be read.
    """

    def __init__(self, max_bytes: int = 512 << 20) -> None:
        self.max_bytes = max_bytes
        self._free: collections.OrderedDict[Hashable, list[np.ndarray]] = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def take(self, key: Hashable, shape: tuple[int, ...], dtype: DType,
             zeros: bool = False) -> np.ndarray:
        """An array of ``shape`` and ``dtype``: a pooled one under ``key``, else a new one
        (zero-filled when ``zeros``; a pooled one holds whatever its last user left)."""
        with self._lock:
            arrays = self._free.get(key)
            if arrays:
                array = arrays.pop()
                self._bytes -= array.nbytes
                if not arrays:
                    del self._free[key]
                return array
        return np.zeros(shape, dtype) if zeros else np.empty(shape, dtype)

    def give(self, key: Hashable, array: np.ndarray) -> None:
        """Put ``array`` back under ``key``; drops the least recently returned keys while the pool
        holds more than ``max_bytes``.
        """
        with self._lock:
            self._free.setdefault(key, []).append(array)
            self._free.move_to_end(key)
            self._bytes += array.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._free.popitem(last=False)
                self._bytes -= sum(a.nbytes for a in dropped)

    def lease(self, key: Hashable, array: np.ndarray) -> Lease:
        """A Lease on ``array``, taken under ``key``: it returns to the pool when the lease is
        garbage-collected."""
        return Lease(self, key, array)

    def clear(self) -> None:
        """Drop every pooled array."""
        with self._lock:
            self._free.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        """Bytes held by the pool now (arrays handed out are not counted)."""
        return self._bytes


class Lease:
    """Holds a pooled ``array``; gives it back to the pool when garbage-collected."""

    __slots__ = ("array", "_pool", "_key")

    def __init__(self, pool: ScratchPool, key: Hashable, array: np.ndarray) -> None:
        self.array, self._pool, self._key = array, pool, key

    def __del__(self) -> None:
        self._pool.give(self._key, self.array)


pool = ScratchPool()

# The size of one block of columns: a few MB, to stay in the CPU's cache (measured on the
# cnn benchmark's second convolution: 1.4 MB and 2.9 MB blocks both beat 10 MB by 10%, and
# the whole 20 MB matrix by 20%).
CHUNK_BYTES = 3 << 20


def output_row_chunks(rows_per_position: int, out_size: tuple[int, int], n: int,
                      itemsize: int) -> list[tuple[int, int]]:
    """(first output row, number of rows) blocks covering out_size[0] rows, each holding the
    columns of at least one output row and at most about CHUNK_BYTES of them."""
    oh, ow = out_size
    per_row = rows_per_position * ow * n * itemsize
    step = max(1, min(oh, CHUNK_BYTES // max(per_row, 1)))
    return [(first, min(step, oh - first)) for first in range(0, oh, step)]


def column_blocks(rows_per_position: int, out_size: tuple[int, int], n: int, dtype: DType
                  ) -> Iterator[tuple[np.ndarray, int, int, slice]]:
    """The column matrix (rows_per_position, OH*OW*N) a block of output rows at a time, for
    the caller to fill and use: yields (cols, first, count, span) per block of
    ``output_row_chunks``: cols a (rows_per_position, count*OW*N) pooled scratch matrix,
    output rows first .. first + count - 1, and ``span`` the slice of the OH*OW*N positions
    they are. The scratch goes back to the pool after the last block."""
    dtype = np.dtype(dtype)
    chunks = output_row_chunks(rows_per_position, out_size, n, dtype.itemsize)
    row_positions = out_size[1] * n
    size = rows_per_position * max(count for _, count in chunks) * row_positions
    key = ("columns", size, dtype.str)
    flat = pool.take(key, (size,), dtype)
    try:
        for first, count in chunks:
            positions = count * row_positions
            cols = flat[:rows_per_position * positions].reshape(rows_per_position, positions)
            yield cols, first, count, slice(first * row_positions, first * row_positions + positions)
    finally:
        pool.give(key, flat)


def padded_chwn(x: np.ndarray, pads: tuple[int, int, int, int]
                ) -> tuple[np.ndarray, Optional[tuple[Any, ...]]]:
    """x (N, C, H, W) as a (C, H + top + bottom, W + left + right, N) array, zero-padded.

    Returns (array, key): ``key`` is not None when the array is pooled scratch to give
    back. Without padding it is a view of ``x`` (no copy). A pooled padded array keeps
    its zero border across uses, because only the interior, the same region for the
    same key, is ever written.
    """
    top, bottom, left, right = pads
    chwn = x.transpose(1, 2, 3, 0)
    if not any(pads):
        return chwn, None
    c, h, w, n = chwn.shape
    shape = (c, h + top + bottom, w + left + right, n)
    key = ("pad", shape, x.dtype.str, pads)
    array = pool.take(key, shape, x.dtype, zeros=True)
    array[:, top:top + h, left:left + w] = chwn
    return array, key


def im2col(xpad: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int],
           out_size: tuple[int, int], col: np.ndarray, first_row: int = 0) -> np.ndarray:
    """Fill ``col`` (C*kh*kw, OH*OW*N) from the padded (C, Hp, Wp, N) ``xpad`` in one
    strided copy: col[c, i, j, oh, ow, n] = xpad[c, oh*sh + i*dh, ow*sw + j*dw, n].

    With ``first_row`` the columns are those of output rows first_row .. first_row + OH - 1
    (a block of a larger output).
    """
    c, _, _, n = xpad.shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_size
    s_c, s_h, s_w, s_n = xpad.strides
    windows = as_strided(xpad[:, first_row * sh:], (c, kh, kw, oh, ow, n),
                         (s_c, s_h * dh, s_w * dw, s_h * sh, s_w * sw, s_n), writeable=False)
    np.copyto(col.reshape(c, kh, kw, oh, ow, n), windows)
    return col


def _valid_range(offset: int, step: int, n_out: int, n_in: int
                 ) -> Optional[tuple[int, int, int]]:
    """The outputs o in [0, n_out) whose input o*step + offset lies in [0, n_in):
    (first o, how many, first input index), or None when there are none."""
    first = max(0, -(offset // step))          # ceil(-offset / step)
    stop = min(n_out, -((offset - n_in) // step))  # ceil((n_in - offset) / step)
    if stop <= first:
        return None
    return first, stop - first, first * step + offset


def col2im_add(dcol: np.ndarray, dx: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
               dilation: tuple[int, int], pads: tuple[int, int, int, int], out_size: tuple[int, int],
               first_row: int = 0) -> np.ndarray:
    """dx (C, H, W, N) += the adjoint of im2col applied to ``dcol`` (C*kh*kw, OH*OW*N):
    one strided add per kernel offset (i, j), clipped to the unpadded input. ``first_row``
    as in ``im2col``: ``dcol`` holds output rows first_row .. first_row + OH - 1."""
    c, h, w, n = dx.shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_size
    top, _, left, _ = pads
    cols = dcol.reshape(c, kh, kw, oh, ow, n)
    for i in range(kh):
        rows = _valid_range(first_row * sh + i * dh - top, sh, oh, h)
        if rows is None:
            continue
        o_row, n_rows, x_row = rows
        for j in range(kw):
            columns = _valid_range(j * dw - left, sw, ow, w)
            if columns is None:
                continue
            o_col, n_cols, x_col = columns
            target = dx[:, x_row:x_row + (n_rows - 1) * sh + 1:sh,
                        x_col:x_col + (n_cols - 1) * sw + 1:sw]
            np.add(target, cols[:, i, j, o_row:o_row + n_rows, o_col:o_col + n_cols], out=target)
    return dx
