"""Collectives: every rank of a group calls the same one, in the same order, with tensors of
the same shape and dtype (``torch.distributed.all_reduce``, ``broadcast``, ``all_gather``, ...).

Each collective works in place on its Tensors (or NumPy arrays), as PyTorch's: MPI reads and
writes the tensor's own memory through the buffer interface when it is C-contiguous (a copy
in and out when not; no pickling of tensors), and a written Tensor counts as changed in place
(its version is bumped, ``autograd.inplace.note_change``: a graph node that saved it raises at
backward rather than use the new values). Each one starts MPI's non-blocking form (Iallreduce,
Ibcast, Iallgather, ...) and polls it against the group's timeout (``faults.wait``);
``async_op=True`` returns the ``Work`` handle instead of waiting: ``wait()`` finishes it (and
writes the results), ``is_completed()`` looks without blocking.

Under ``GRADSHEET_DISTRIBUTED_DEBUG=1`` (as PyTorch's TORCH_DISTRIBUTED_DEBUG) each collective
first gathers every rank's (collective, op, root, shape, dtype) and raises, on every rank, a
ValueError naming two ranks that differ, instead of a hang or silently mixed bytes.
"""
from __future__ import annotations

import os
import pickle
import time
from datetime import timedelta
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np

from ..autograd import inplace
from ..autograd.tensor import Tensor
from . import faults
from .process_group import OPS, ReduceOp, default_group

if TYPE_CHECKING:
    from .process_group import ProcessGroup

    TensorOrArray = Union[Tensor, np.ndarray]  # a collective's buffer: a Tensor or an ndarray

__all__ = ["Work", "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce",
           "all_to_all", "all_to_all_single", "barrier", "broadcast", "broadcast_object_list",
           "gather", "gather_object", "irecv", "isend", "monitored_barrier", "recv", "reduce",
           "reduce_scatter", "reduce_scatter_tensor", "scatter", "scatter_object_list", "send"]

_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64", "complex64", "complex128")
_SIG = 70  # a debug signature: op, reduce op, root, dtype, ndim, count, 64 dims


# ---------------------------------------------------------------- the work handle
class Work:
    """A collective in flight (``async_op=True``): ``wait()`` blocks until it completes (or
    its timeout passes: DistBackendError) and writes its results; ``is_completed()`` tests."""

    def __init__(self, group: ProcessGroup, op: str, requests: list[Any], deadline: float,
                 finish: Optional[Callable[[], None]] = None,
                 result: Sequence[TensorOrArray] = ()) -> None:
        self._group, self._op, self._requests = group, op, requests
        self._deadline, self._finish, self._result = deadline, finish, list(result)
        self._done = False

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            finish, self._finish = self._finish, None
            finish()

    def wait(self, timeout: Optional[Union[timedelta, float]] = None) -> bool:
        """Block until the collective completes and its results are written; True. ``timeout``
        (timedelta or seconds) replaces the group's from now on."""
        if not self._done:
            deadline = self._deadline
            if timeout is not None:
                from .process_group import _seconds
                deadline = time.monotonic() + _seconds(f"{self._op}: Work.wait", timeout)
            faults.wait(self._group, self._requests, self._op, deadline)
            self._complete()
        return True

    def is_completed(self) -> bool:
        """True when the collective has completed (its results then written); never blocks."""
        if not self._done and self._group.MPI.Request.Testall(self._requests):
            self._complete()
        return self._done

    def is_success(self) -> bool:
        """True when the collective completed without error."""
        return self._done

    def exception(self) -> Optional[BaseException]:
        """None: a failed collective raises from wait() instead."""
        return None

    def synchronize(self) -> None:
        """The same as wait() on the CPU."""
        self.wait()

    def result(self) -> list[TensorOrArray]:
        """The collective's output tensors, once completed (PyTorch's Work.result)."""
        self.wait()
        return list(self._result)

    def __repr__(self) -> str:
        return f"<gradsheet.distributed.Work {self._op} {'done' if self._done else 'in flight'}>"


# ---------------------------------------------------------------- buffers
def _check_tensor(op: str, name: str, obj: Any) -> tuple[Optional[Tensor], np.ndarray]:
    """(Tensor or None, ndarray) for a Tensor or array argument; TypeError otherwise."""
    if isinstance(obj, Tensor):
        return obj, obj.array
    if isinstance(obj, np.ndarray):
        return None, obj
    raise TypeError(f"{op}: {name} must be a Tensor or a NumPy array, got {type(obj).__name__}")


class _Io:
    """One tensor's part in a collective: ``buffer``, a C-contiguous array MPI reads or writes
    (the tensor's own memory when it is contiguous and of the working dtype, else a copy), and
    ``done()``, which writes a copy back and marks a Tensor changed in place."""

    def __init__(self, op: str, name: str, obj: Any, write: bool = False,
                 dtype: Optional[np.dtype] = None) -> None:
        self.op = op
        self.tensor, self.array = _check_tensor(op, name, obj)
        array = self.array
        if write and not array.flags.writeable:
            raise RuntimeError(f"{op}: cannot write into {name} (a read-only array: an expanded "
                               f"tensor shares one element among several positions); clone() it")
        if array.flags.c_contiguous and (dtype is None or array.dtype == dtype):
            self.buffer = array
        else:
            self.buffer = np.array(array, dtype=dtype or array.dtype, order="C")

    def done(self) -> None:
        if self.buffer is not self.array:
            np.copyto(self.array, self.buffer, casting="unsafe")
        if self.tensor is not None:
            inplace.note_change(self.tensor, self.op)


def _write(op: str, obj: TensorOrArray, values: np.ndarray) -> None:
    """Write ``values`` into a Tensor or array of the same size (a list collective's output)."""
    tensor, array = _check_tensor(op, "output", obj)
    np.copyto(array, values.reshape(array.shape), casting="unsafe")
    if tensor is not None:
        inplace.note_change(tensor, op)


def _bytes(MPI: Any, array: Optional[np.ndarray],
           counts: Optional[tuple[list[int], list[int]]] = None) -> list[Any]:
    """An MPI buffer of array's raw bytes (data moves unchanged, whatever its dtype); mpi4py
    divides the bytes among the ranks in gather / scatter."""
    if counts is None:
        return [array, MPI.BYTE]
    return [array, counts, MPI.BYTE]


def _tensor_list(op: str, name: str, tensors: Any, size: int, like: np.ndarray) -> list[np.ndarray]:
    """The ndarrays of a list of ``size`` tensors each of like's shape and dtype."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: {name} must be a list of Tensors, got {type(tensors).__name__}")
    if len(tensors) != size:
        raise ValueError(f"{op}: {name} has {len(tensors)} tensors; it must have one per rank of "
                         f"the group ({size})")
    arrays = [_check_tensor(op, f"{name}[{i}]", t)[1] for i, t in enumerate(tensors)]
    for i, a in enumerate(arrays):
        if a.shape != like.shape or a.dtype != like.dtype:
            raise ValueError(f"{op}: {name}[{i}] has shape {tuple(a.shape)} and dtype {a.dtype}, "
                             f"but the tensor has shape {tuple(like.shape)} and dtype {like.dtype}")
    return arrays


def _check_size(op: str, what: str, array: np.ndarray, expected: int, other: np.ndarray) -> None:
    if array.size != expected or array.dtype != other.dtype:
        raise ValueError(f"{op}: {what} has shape {tuple(array.shape)} and dtype {array.dtype}; it "
                         f"must hold {expected} elements of dtype {other.dtype} (world size x the "
                         f"other tensor's shape {tuple(other.shape)})")


# ---------------------------------------------------------------- reductions
_TYPES: dict[str, Any] = {}  # numpy dtype name: MPI datatype


def _mpi_type(MPI: Any, dtype: np.dtype) -> Any:
    if not _TYPES:
        _TYPES.update(_mpi_types(MPI))
    return _TYPES.get(dtype.name)


def _mpi_types(MPI: Any) -> dict[str, Any]:
    return {"bool": MPI.C_BOOL, "int8": MPI.INT8_T, "int16": MPI.INT16_T, "int32": MPI.INT32_T,
            "int64": MPI.INT64_T, "uint8": MPI.UINT8_T, "uint16": MPI.UINT16_T,
            "uint32": MPI.UINT32_T, "uint64": MPI.UINT64_T, "float32": MPI.FLOAT,
            "float64": MPI.DOUBLE, "complex64": MPI.C_FLOAT_COMPLEX,
            "complex128": MPI.C_DOUBLE_COMPLEX}


def _reduction(op: str, MPI: Any, redop: Any, dtype: np.dtype) -> tuple[np.dtype, Any, Any, bool]:
    """(working dtype, MPI datatype, MPI op, whether to divide by the group size) for a
    reduction ``redop`` of ``dtype`` values."""
    if not isinstance(redop, ReduceOp.RedOpType):
        if isinstance(redop, int) and not isinstance(redop, bool) and 0 <= redop <= 8:
            redop = ReduceOp.RedOpType(redop)
        else:
            raise TypeError(f"{op}: op must be a ReduceOp (ReduceOp.SUM, AVG, PRODUCT, MIN, MAX, "
                            f"BAND, BOR, BXOR), got {redop!r}")
    R = ReduceOp.RedOpType
    if redop is R.PREMUL_SUM:
        raise ValueError(f"{op}: ReduceOp.PREMUL_SUM is not supported (multiply first, then SUM)")
    work = np.dtype(np.float32) if dtype == np.float16 else dtype
    mpi_type = _mpi_type(MPI, work)
    if mpi_type is None:
        raise TypeError(f"{op}: dtype {dtype} cannot be reduced (supported: bool, integers, "
                        f"float16/32/64, complex64/128)")
    if dtype.kind == "b":
        if redop is R.AVG:
            raise TypeError(f"{op}: ReduceOp.AVG of bool tensors is undefined")
        logical = {R.SUM: MPI.LOR, R.MAX: MPI.LOR, R.BOR: MPI.LOR, R.PRODUCT: MPI.LAND,
                   R.MIN: MPI.LAND, R.BAND: MPI.LAND, R.BXOR: MPI.LXOR}
        return work, mpi_type, logical[redop], False
    if redop in (R.BAND, R.BOR, R.BXOR) and dtype.kind not in "iu":
        raise TypeError(f"{op}: ReduceOp.{redop.name} needs an integer or bool tensor, got {dtype}")
    if redop in (R.MIN, R.MAX) and dtype.kind == "c":
        raise TypeError(f"{op}: ReduceOp.{redop.name} is undefined for complex tensors ({dtype})")
    mpi_op = {R.SUM: MPI.SUM, R.AVG: MPI.SUM, R.PRODUCT: MPI.PROD, R.MIN: MPI.MIN,
              R.MAX: MPI.MAX, R.BAND: MPI.BAND, R.BOR: MPI.BOR, R.BXOR: MPI.BXOR}[redop]
    return work, mpi_type, mpi_op, redop is R.AVG


def _average(buffer: np.ndarray, n: int) -> None:
    """buffer /= n in place; integers truncate towards zero (as C's division)."""
    if buffer.dtype.kind in "iu":
        quotient = np.abs(buffer) // n
        np.copyto(buffer, np.where(buffer < 0, -quotient, quotient), casting="unsafe")
    else:
        buffer /= buffer.dtype.type(n)


# ---------------------------------------------------------------- the debug check
def _debug_enabled() -> bool:
    value = os.environ.get("GRADSHEET_DISTRIBUTED_DEBUG", "").strip().upper()
    return value not in ("", "0", "OFF", "FALSE", "NO")


def _signature(op: str, array: Optional[np.ndarray] = None, redop: int = -1, root: int = -1,
               count: int = -1, shape: bool = True) -> np.ndarray:
    sig = np.full(_SIG, -1, dtype=np.int64)
    sig[0], sig[1], sig[2], sig[5] = OPS.index(op), int(redop), root, count
    if array is not None:
        sig[3] = _DTYPES.index(array.dtype.name) if array.dtype.name in _DTYPES else 99
        if shape:
            sig[4] = array.ndim
            sig[6:6 + array.ndim] = array.shape
    return sig


def _describe(sig: np.ndarray, group: ProcessGroup
              ) -> tuple[str, Optional[str], Optional[int], str, tuple[int, ...]]:
    name = OPS[sig[0]] if 0 <= sig[0] < len(OPS) else "?"
    dtype = _DTYPES[sig[3]] if 0 <= sig[3] < len(_DTYPES) else "?"
    return name, ReduceOp.RedOpType(sig[1]).name if sig[1] >= 0 else None, \
        (group.ranks[sig[2]] if sig[2] >= 0 else None), dtype, tuple(int(d) for d in sig[6:6 + sig[4]])


def _debug(op: str, group: ProcessGroup, signature: Callable[[], np.ndarray],
           root_name: str = "root") -> None:
    """Under GRADSHEET_DISTRIBUTED_DEBUG: gather every rank's ``signature()``; ValueError on
    every rank naming the first rank that differs from the group's rank 0, and how."""
    if not _debug_enabled():
        return
    sig = signature()
    MPI = group.MPI
    every = np.empty((group.size(), _SIG), dtype=np.int64)
    faults.wait(group, [group.comm.Iallgather([sig, MPI.INT64_T], [every, MPI.INT64_T])], op,
                group.start(op))
    for k in range(1, group.size()):
        if np.array_equal(every[k], every[0]):
            continue
        a, b = _describe(every[0], group), _describe(every[k], group)
        ra, rb = group.ranks[0], group.ranks[k]
        head = f"{op}: the ranks disagree (GRADSHEET_DISTRIBUTED_DEBUG=1): "
        if a[0] != b[0]:
            raise ValueError(head + f"rank {ra} called {a[0]}, rank {rb} called {b[0]}")
        if a[1] != b[1]:
            raise ValueError(head + f"rank {ra} passed op=ReduceOp.{a[1]}, rank {rb} op=ReduceOp.{b[1]}")
        if a[2] != b[2]:
            raise ValueError(head + f"rank {ra} passed {root_name}={a[2]}, rank {rb} {root_name}={b[2]}")
        if every[0][5] != every[k][5]:
            raise ValueError(head + f"rank {ra} passed a list of {every[0][5]} entries, rank {rb} "
                             f"one of {every[k][5]}")
        raise ValueError(head + f"rank {ra} has a tensor of shape {a[4]} and dtype {a[3]}, rank {rb} "
                         f"one of shape {b[4]} and dtype {b[3]}")


# ---------------------------------------------------------------- running a collective
def _run(group: ProcessGroup, op: str, start: Callable[[], list[Any]],
         finish: Optional[Callable[[], None]] = None, result: Sequence[TensorOrArray] = (),
         async_op: bool = False, timeout: Optional[float] = None) -> Optional[Work]:
    """Start a collective (``start()`` returns its requests) and wait for it, or hand back its
    Work when async_op."""
    deadline = group.start(op, timeout)
    work = Work(group, op, start(), deadline, finish, result)
    if async_op:
        return work
    work.wait()
    return None


def _root(op: str, group: ProcessGroup, rank: Optional[int], group_rank: Optional[int],
          name: str) -> int:
    """The group rank of a collective's root, given as a global rank or a group rank."""
    if group_rank is not None:
        if rank is not None:
            raise ValueError(f"{op}: Can't specify both group_{name} and {name}")
        if not isinstance(group_rank, int) or not 0 <= group_rank < group.size():
            raise RuntimeError(f"{op}: invalid root rank: group_{name}={group_rank!r} (the group "
                               f"has {group.size()} ranks)")
        return group_rank
    if rank is None:
        raise ValueError(f"{op}: give {name}= (a global rank) or group_{name}= (a rank in the group)")
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or rank not in group.ranks:
        raise RuntimeError(f"{op}: invalid root rank: {name}={rank!r} is not a rank of "
                           f"{group.describe()} (ranks {group.ranks[0]}..{group.ranks[-1]})"
                           if len(group.ranks) else f"{op}: invalid root rank {rank!r}")
    return group.ranks.index(int(rank))


def _results(*objs: Any) -> list[Any]:
    return [o for o in objs if o is not None]


# ---------------------------------------------------------------- the collectives
def all_reduce(tensor: TensorOrArray, op: ReduceOp.RedOpType = ReduceOp.SUM,
               group: Optional[ProcessGroup] = None, async_op: bool = False) -> Optional[Work]:
    """tensor = op(tensor of rank 0, ..., tensor of rank N-1), on every rank, in place.

    ``op``: ReduceOp.SUM (default), AVG, PRODUCT, MIN, MAX (BAND, BOR, BXOR for integers).
    Returns None, or a Work when ``async_op``."""
    name = "all_reduce"
    pg = default_group(name, group)
    if pg is None:
        return None
    _check_tensor(name, "tensor", tensor)
    MPI = pg.MPI
    array = tensor.array if isinstance(tensor, Tensor) else tensor
    work, mpi_type, mpi_op, average = _reduction(name, MPI, op, array.dtype)
    io = _Io(name, "tensor", tensor, write=True, dtype=work)
    _debug(name, pg, lambda: _signature(name, array, redop=op))
    size = pg.size()

    def finish() -> None:
        if average:
            _average(io.buffer, size)
        io.done()

    return _run(pg, name, lambda: [pg.comm.Iallreduce(MPI.IN_PLACE, [io.buffer, mpi_type], mpi_op)],
                finish, [tensor], async_op)


def broadcast(tensor: TensorOrArray, src: Optional[int] = None,
              group: Optional[ProcessGroup] = None, async_op: bool = False,
              group_src: Optional[int] = None) -> Optional[Work]:
    """tensor = tensor of rank src, on every rank (in place).

    Returns None, or a Work when ``async_op``."""
    name = "broadcast"
    pg = default_group(name, group)
    if pg is None:
        return None
    root = _root(name, pg, src, group_src, "src")
    mine = root == pg.rank()
    io = _Io(name, "tensor", tensor, write=not mine)
    _debug(name, pg, lambda: _signature(name, io.array, root=root), "src")
    MPI = pg.MPI
    return _run(pg, name, lambda: [pg.comm.Ibcast(_bytes(MPI, io.buffer), root=root)],
                None if mine else io.done, [tensor], async_op)


def all_gather(tensor_list: list[TensorOrArray], tensor: TensorOrArray,
               group: Optional[ProcessGroup] = None, async_op: bool = False) -> Optional[Work]:
    """tensor_list[r] = tensor of rank r, for every r, on every rank.

    ``tensor_list``: one tensor per rank, each of tensor's shape and dtype."""
    name = "all_gather"
    pg = default_group(name, group)
    if pg is None:
        return None
    io = _Io(name, "tensor", tensor)
    _tensor_list(name, "tensor_list", tensor_list, pg.size(), io.array)
    _debug(name, pg, lambda: _signature(name, io.array, count=len(tensor_list)))
    MPI = pg.MPI
    every = np.empty((pg.size(),) + io.array.shape, dtype=io.array.dtype)

    def finish() -> None:
        for out, values in zip(tensor_list, every):
            _write(name, out, values)

    return _run(pg, name, lambda: [pg.comm.Iallgather(_bytes(MPI, io.buffer), _bytes(MPI, every))],
                finish, tensor_list, async_op)


def all_gather_into_tensor(output_tensor: TensorOrArray, input_tensor: TensorOrArray,
                           group: Optional[ProcessGroup] = None,
                           async_op: bool = False) -> Optional[Work]:
    """output_tensor = the ranks' input tensors, concatenated along dim 0 in rank order
    (output of shape (N * d0, ...)) or stacked (shape (N, d0, ...))."""
    name = "all_gather_into_tensor"
    pg = default_group(name, group)
    if pg is None:
        return None
    src = _Io(name, "input_tensor", input_tensor)
    out = _Io(name, "output_tensor", output_tensor, write=True)
    _check_size(name, "output_tensor", out.array, pg.size() * src.array.size, src.array)
    _debug(name, pg, lambda: _signature(name, src.array))
    MPI = pg.MPI
    return _run(pg, name, lambda: [pg.comm.Iallgather(_bytes(MPI, src.buffer),
                                                      _bytes(MPI, out.buffer))],
                out.done, [output_tensor], async_op)


def reduce(tensor: TensorOrArray, dst: Optional[int] = None, op: ReduceOp.RedOpType = ReduceOp.SUM,
           group: Optional[ProcessGroup] = None, async_op: bool = False,
           group_dst: Optional[int] = None) -> Optional[Work]:
    """tensor = op(tensor of rank 0, ..., tensor of rank N-1) on rank dst only (in place);
    the other ranks' tensors are left as they were."""
    name = "reduce"
    pg = default_group(name, group)
    if pg is None:
        return None
    root = _root(name, pg, dst, group_dst, "dst")
    _check_tensor(name, "tensor", tensor)
    MPI = pg.MPI
    array = tensor.array if isinstance(tensor, Tensor) else tensor
    work, mpi_type, mpi_op, average = _reduction(name, MPI, op, array.dtype)
    mine = root == pg.rank()
    io = _Io(name, "tensor", tensor, write=mine, dtype=work)
    _debug(name, pg, lambda: _signature(name, array, redop=op, root=root), "dst")
    size = pg.size()

    def start() -> list[Any]:
        if mine:
            return [pg.comm.Ireduce(MPI.IN_PLACE, [io.buffer, mpi_type], mpi_op, root=root)]
        return [pg.comm.Ireduce([io.buffer, mpi_type], None, mpi_op, root=root)]

    def finish() -> None:
        if average:
            _average(io.buffer, size)
        io.done()

    return _run(pg, name, start, finish if mine else None, [tensor], async_op)


def _reduce_scatter(name: str, pg: ProcessGroup, output: TensorOrArray, stacked: np.ndarray,
                    op: ReduceOp.RedOpType, async_op: bool,
                    result: Sequence[TensorOrArray]) -> Optional[Work]:
    """output = op over ranks of their stacked[r], on rank r (stacked: (N, *output.shape))."""
    MPI = pg.MPI
    array = output.array if isinstance(output, Tensor) else output
    work, mpi_type, mpi_op, average = _reduction(name, MPI, op, array.dtype)
    io = _Io(name, "output", output, write=True, dtype=work)
    send = np.ascontiguousarray(stacked, dtype=work)
    _debug(name, pg, lambda: _signature(name, array, redop=op))
    size = pg.size()

    def finish() -> None:
        if average:
            _average(io.buffer, size)
        io.done()

    return _run(pg, name, lambda: [pg.comm.Ireduce_scatter_block([send, mpi_type],
                                                                 [io.buffer, mpi_type], mpi_op)],
                finish, result, async_op)


def reduce_scatter(output: TensorOrArray, input_list: list[TensorOrArray],
                   op: ReduceOp.RedOpType = ReduceOp.SUM, group: Optional[ProcessGroup] = None,
                   async_op: bool = False) -> Optional[Work]:
    """output on rank r = op(input_list[r] of rank 0, ..., input_list[r] of rank N-1).

    ``input_list``: one tensor per rank, each of output's shape and dtype."""
    name = "reduce_scatter"
    pg = default_group(name, group)
    if pg is None:
        return None
    _, out = _check_tensor(name, "output", output)
    arrays = _tensor_list(name, "input_list", input_list, pg.size(), out)
    stacked = np.stack(arrays) if arrays else np.empty((0,) + out.shape, out.dtype)
    return _reduce_scatter(name, pg, output, stacked, op, async_op, [output])


def reduce_scatter_tensor(output: TensorOrArray, input: TensorOrArray,
                          op: ReduceOp.RedOpType = ReduceOp.SUM,
                          group: Optional[ProcessGroup] = None,
                          async_op: bool = False) -> Optional[Work]:
    """output on rank r = op over ranks of block r of input (input: N blocks of output's size,
    concatenated along dim 0 or stacked)."""
    name = "reduce_scatter_tensor"
    pg = default_group(name, group)
    if pg is None:
        return None
    _, out = _check_tensor(name, "output", output)
    _, whole = _check_tensor(name, "input", input)
    _check_size(name, "input", whole, pg.size() * out.size, out)
    return _reduce_scatter(name, pg, output, whole.reshape((pg.size(),) + out.shape), op,
                           async_op, [output])


def gather(tensor: TensorOrArray, gather_list: Optional[list[TensorOrArray]] = None,
           dst: Optional[int] = None, group: Optional[ProcessGroup] = None, async_op: bool = False,
           group_dst: Optional[int] = None) -> Optional[Work]:
    """gather_list[r] = tensor of rank r, on rank dst (the other ranks pass no gather_list)."""
    name = "gather"
    pg = default_group(name, group)
    if pg is None:
        return None
    root = _root(name, pg, dst, group_dst, "dst")
    io = _Io(name, "tensor", tensor)
    mine = root == pg.rank()
    if mine:
        if gather_list is None:
            raise ValueError(f"{name}: Argument ``gather_list`` must be specified on destination rank.")
        _tensor_list(name, "gather_list", gather_list, pg.size(), io.array)
    elif gather_list:
        raise ValueError(f"{name}: Argument ``gather_list`` must NOT be specified on "
                         f"non-destination ranks.")
    _debug(name, pg, lambda: _signature(name, io.array, root=root), "dst")
    MPI = pg.MPI
    every = np.empty((pg.size(),) + io.array.shape, dtype=io.array.dtype) if mine else None

    def finish() -> None:  # on the destination rank only
        assert gather_list is not None and every is not None
        for out, values in zip(gather_list, every):
            _write(name, out, values)

    return _run(pg, name, lambda: [pg.comm.Igather(_bytes(MPI, io.buffer),
                                                   _bytes(MPI, every) if mine else None, root=root)],
                finish if mine else None, gather_list or [], async_op)


def scatter(tensor: TensorOrArray, scatter_list: Optional[list[TensorOrArray]] = None,
            src: Optional[int] = None, group: Optional[ProcessGroup] = None,
            async_op: bool = False, group_src: Optional[int] = None) -> Optional[Work]:
    """tensor on rank r = scatter_list[r] of rank src (the other ranks pass no scatter_list)."""
    name = "scatter"
    pg = default_group(name, group)
    if pg is None:
        return None
    root = _root(name, pg, src, group_src, "src")
    io = _Io(name, "tensor", tensor, write=True)
    mine = root == pg.rank()
    send = None
    if mine:
        if scatter_list is None:
            raise ValueError(f"{name}: Argument ``scatter_list`` must be specified on source rank.")
        arrays = _tensor_list(name, "scatter_list", scatter_list, pg.size(), io.array)
        send = np.ascontiguousarray(np.stack(arrays))
    elif scatter_list:
        raise ValueError(f"{name}: Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    _debug(name, pg, lambda: _signature(name, io.array, root=root), "src")
    MPI = pg.MPI
    return _run(pg, name, lambda: [pg.comm.Iscatter(_bytes(MPI, send) if mine else None,
                                                    _bytes(MPI, io.buffer), root=root)],
                io.done, [tensor], async_op)


def _splits(op: str, name: str, sizes: Optional[Sequence[int]], array: np.ndarray,
            n: int) -> list[int]:
    """Rows of dim 0 going to (or coming from) each rank: given, or an even split."""
    rows = array.shape[0] if array.ndim else 1
    if sizes is None or len(sizes) == 0:
        if rows % n:
            raise ValueError(f"{op}: dim 0 of {name} ({rows}) does not split evenly over {n} ranks; "
                             f"give {name}_split_sizes")
        return [rows // n] * n
    sizes = [int(s) for s in sizes]
    if len(sizes) != n or sum(sizes) != rows or min(sizes) < 0:
        raise ValueError(f"{op}: {name}_split_sizes={sizes} must have one entry per rank ({n}) "
                         f"summing to dim 0 of {name} ({rows})")
    return sizes


def all_to_all_single(output: TensorOrArray, input: TensorOrArray,
                      output_split_sizes: Optional[list[int]] = None,
                      input_split_sizes: Optional[list[int]] = None,
                      group: Optional[ProcessGroup] = None,
                      async_op: bool = False) -> Optional[Work]:
    """Rank r's rows i of input go to rank i; output gets, in rank order, the rows each rank
    sent to this one (even splits along dim 0, or the given split sizes)."""
    name = "all_to_all_single"
    pg = default_group(name, group)
    if pg is None:
        return None
    src = _Io(name, "input", input)
    out = _Io(name, "output", output, write=True)
    if out.array.dtype != src.array.dtype:
        raise ValueError(f"{name}: output has dtype {out.array.dtype} but input {src.array.dtype}")
    n = pg.size()
    send_rows = _splits(name, "input", input_split_sizes, src.array, n)
    recv_rows = _splits(name, "output", output_split_sizes, out.array, n)
    send_row = src.array.nbytes // max(1, sum(send_rows))
    recv_row = out.array.nbytes // max(1, sum(recv_rows))
    sc = [s * send_row for s in send_rows]
    rc = [s * recv_row for s in recv_rows]
    sd, rd = np.cumsum([0] + sc[:-1]).tolist(), np.cumsum([0] + rc[:-1]).tolist()
    _debug(name, pg, lambda: _signature(name, src.array, shape=False))
    MPI = pg.MPI
    return _run(pg, name, lambda: [pg.comm.Ialltoallv(_bytes(MPI, src.buffer, (sc, sd)),
                                                      _bytes(MPI, out.buffer, (rc, rd)))],
                out.done, [output], async_op)


def all_to_all(output_tensor_list: list[TensorOrArray], input_tensor_list: list[TensorOrArray],
               group: Optional[ProcessGroup] = None, async_op: bool = False) -> Optional[Work]:
    """output_tensor_list[i] = input_tensor_list[r] of rank i, where r is this rank: each rank
    sends its i-th input to rank i."""
    name = "all_to_all"
    pg = default_group(name, group)
    if pg is None:
        return None
    n = pg.size()
    for label, tensors in (("input_tensor_list", input_tensor_list),
                           ("output_tensor_list", output_tensor_list)):
        if not isinstance(tensors, (list, tuple)) or len(tensors) != n:
            raise ValueError(f"{name}: {label} must be a list of one tensor per rank ({n})")
    inputs = [_check_tensor(name, f"input_tensor_list[{i}]", t)[1]
              for i, t in enumerate(input_tensor_list)]
    outputs = [_check_tensor(name, f"output_tensor_list[{i}]", t)[1]
               for i, t in enumerate(output_tensor_list)]
    dtypes = {a.dtype for a in inputs + outputs}
    if len(dtypes) > 1:
        raise ValueError(f"{name}: the tensors have different dtypes {sorted(map(str, dtypes))}")
    send = np.concatenate([np.ascontiguousarray(a).reshape(-1).view(np.uint8) for a in inputs])
    rc = [a.nbytes for a in outputs]
    sc = [a.nbytes for a in inputs]
    recv = np.empty(sum(rc), dtype=np.uint8)
    sd, rd = np.cumsum([0] + sc[:-1]).tolist(), np.cumsum([0] + rc[:-1]).tolist()
    _debug(name, pg, lambda: _signature(name, inputs[0] if inputs else None, shape=False, count=n))
    MPI = pg.MPI

    def finish() -> None:
        for out, a, offset, count in zip(output_tensor_list, outputs, rd, rc):
            _write(name, out, recv[offset:offset + count].view(a.dtype))

    return _run(pg, name, lambda: [pg.comm.Ialltoallv([send, (sc, sd), MPI.BYTE],
                                                      [recv, (rc, rd), MPI.BYTE])],
                finish, output_tensor_list, async_op)


def barrier(group: Optional[ProcessGroup] = None, async_op: bool = False,
            device_ids: Optional[list[int]] = None,
            timeout: Optional[Union[timedelta, float]] = None) -> Optional[Work]:
    """Wait until every rank of the group has reached its barrier (or ``timeout`` passes:
    DistBackendError naming the ranks that did not arrive)."""
    name = "barrier"
    pg = default_group(name, group)
    if pg is None:
        return None
    seconds = None
    if timeout is not None:
        from .process_group import _seconds
        seconds = _seconds(name, timeout)
    _debug(name, pg, lambda: _signature(name))
    return _run(pg, name, lambda: [pg.comm.Ibarrier()], async_op=async_op, timeout=seconds)


def monitored_barrier(group: Optional[ProcessGroup] = None,
                      timeout: Optional[Union[timedelta, float]] = None,
                      wait_all_ranks: bool = False) -> None:
    """A barrier whose timeout error names the ranks that did not reach it (every barrier of
    gradsheet's does: see faults); ``wait_all_ranks`` is accepted."""
    name = "monitored_barrier"
    pg = default_group(name, group)
    if pg is None:
        return None
    seconds = None
    if timeout is not None:
        from .process_group import _seconds
        seconds = _seconds(name, timeout)
    _run(pg, name, lambda: [pg.comm.Ibarrier()], timeout=seconds)
    return None


# ---------------------------------------------------------------- objects (pickled)
def _pickle(obj: Any) -> np.ndarray:
    return np.frombuffer(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), dtype=np.uint8)


def _wait(pg: ProcessGroup, op: str, request: Any) -> None:
    faults.wait(pg, [request], op, pg.start(op))


def _offsets(sizes: np.ndarray) -> list[int]:
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64).tolist()


def all_gather_object(object_list: list[Any], obj: Any,
                      group: Optional[ProcessGroup] = None) -> None:
    """object_list[r] = obj of rank r (any picklable object), on every rank."""
    name = "all_gather_object"
    pg = default_group(name, group)
    if pg is None:
        return None
    n = pg.size()
    if not isinstance(object_list, list) or len(object_list) < n:
        got = len(object_list) if isinstance(object_list, list) else type(object_list).__name__
        raise IndexError(f"{name}: object_list must be a list with one entry per rank ({n}), got {got}")
    _debug(name, pg, lambda: _signature(name))
    MPI = pg.MPI
    data = _pickle(obj)
    sizes = np.empty(n, dtype=np.int64)
    _wait(pg, name, pg.comm.Iallgather([np.array([data.size], dtype=np.int64), MPI.INT64_T],
                                       [sizes, MPI.INT64_T]))
    every = np.empty(int(sizes.sum()), dtype=np.uint8)
    counts, offsets = sizes.tolist(), _offsets(sizes)
    _wait(pg, name, pg.comm.Iallgatherv([data, MPI.BYTE], [every, (counts, offsets), MPI.BYTE]))
    for r in range(n):
        object_list[r] = pickle.loads(every[offsets[r]:offsets[r] + counts[r]].tobytes())


def broadcast_object_list(object_list: list[Any], src: Optional[int] = None,
                          group: Optional[ProcessGroup] = None, device: Any = None,
                          group_src: Optional[int] = None) -> None:
    """object_list[i] = object_list[i] of rank src, for every i, on every rank (the lists have
    the same length everywhere)."""
    name = "broadcast_object_list"
    pg = default_group(name, group)
    if pg is None:
        return None
    root = _root(name, pg, src, group_src, "src")
    if not isinstance(object_list, list):
        raise TypeError(f"{name}: object_list must be a list, got {type(object_list).__name__}")
    _debug(name, pg, lambda: _signature(name, root=root, count=len(object_list)), "src")
    MPI = pg.MPI
    mine = root == pg.rank()
    pieces = [_pickle(o) for o in object_list] if mine else []
    sizes = np.array([p.size for p in pieces] if mine else [0] * len(object_list), dtype=np.int64)
    head = np.array([len(object_list)], dtype=np.int64)
    _wait(pg, name, pg.comm.Ibcast([head, MPI.INT64_T], root=root))
    if head[0] != len(object_list):
        raise ValueError(f"{name}: object_list has {len(object_list)} entries on rank "
                         f"{pg.ranks[pg.rank()]} but {head[0]} on src rank {pg.ranks[root]}")
    _wait(pg, name, pg.comm.Ibcast([sizes, MPI.INT64_T], root=root))
    data = np.concatenate(pieces) if pieces else np.empty(int(sizes.sum()), dtype=np.uint8)
    _wait(pg, name, pg.comm.Ibcast([data, MPI.BYTE], root=root))
    if not mine:
        for i, (offset, size) in enumerate(zip(_offsets(sizes), sizes.tolist())):
            object_list[i] = pickle.loads(data[offset:offset + size].tobytes())


def gather_object(obj: Any, object_gather_list: Optional[list[Any]] = None,
                  dst: Optional[int] = None, group: Optional[ProcessGroup] = None,
                  group_dst: Optional[int] = None) -> None:
    """object_gather_list[r] = obj of rank r, on rank dst (the others pass None)."""
    name = "gather_object"
    pg = default_group(name, group)
    if pg is None:
        return None
    root = _root(name, pg, dst, group_dst, "dst")
    n, mine = pg.size(), root == pg.rank()
    if mine and (not isinstance(object_gather_list, list) or len(object_gather_list) < n):
        raise ValueError(f"{name}: object_gather_list must be a list with one entry per rank "
                         f"({n}) on the destination rank")
    _debug(name, pg, lambda: _signature(name, root=root), "dst")
    MPI = pg.MPI
    data = _pickle(obj)
    sizes = np.empty(n, dtype=np.int64)  # read on the destination rank only
    _wait(pg, name, pg.comm.Igather([np.array([data.size], dtype=np.int64), MPI.INT64_T],
                                    [sizes, MPI.INT64_T] if mine else None, root=root))
    if not mine:
        _wait(pg, name, pg.comm.Igatherv([data, MPI.BYTE], None, root=root))
        return None
    assert object_gather_list is not None  # checked above on the destination rank
    every = np.empty(int(sizes.sum()), dtype=np.uint8)
    counts, offsets = sizes.tolist(), _offsets(sizes)
    _wait(pg, name, pg.comm.Igatherv([data, MPI.BYTE], [every, (counts, offsets), MPI.BYTE],
                                     root=root))
    for r in range(n):
        object_gather_list[r] = pickle.loads(every[offsets[r]:offsets[r] + counts[r]].tobytes())


def scatter_object_list(scatter_object_output_list: list[Any],
                        scatter_object_input_list: Optional[list[Any]] = None,
                        src: Optional[int] = None, group: Optional[ProcessGroup] = None,
                        group_src: Optional[int] = None) -> None:
    """scatter_object_output_list[0] = scatter_object_input_list[r] of rank src, on rank r."""
    name = "scatter_object_list"
    pg = default_group(name, group)
    if pg is None:
        return None
    root = _root(name, pg, src, group_src, "src")
    n, mine = pg.size(), root == pg.rank()
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError(f"{name}: Expected argument scatter_object_output_list to be a list of "
                         f"size at least 1.")
    if mine and (not isinstance(scatter_object_input_list, (list, tuple))
                 or len(scatter_object_input_list) != n):
        raise ValueError(f"{name}: scatter_object_input_list must have one entry per rank ({n}) on "
                         f"the source rank")
    _debug(name, pg, lambda: _signature(name, root=root), "src")
    MPI = pg.MPI
    sizes: Optional[list[Any]] = None  # the send buffers: on the source rank only
    send: Optional[list[Any]] = None
    if mine:
        assert scatter_object_input_list is not None  # checked above on the source rank
        pieces = [_pickle(o) for o in scatter_object_input_list]
        counts = np.array([p.size for p in pieces], dtype=np.int64)
        sizes = [counts, MPI.INT64_T]
        send = [np.concatenate(pieces), (counts.tolist(), _offsets(counts)), MPI.BYTE]
    size = np.empty(1, dtype=np.int64)
    _wait(pg, name, pg.comm.Iscatter(sizes, [size, MPI.INT64_T], root=root))
    data = np.empty(int(size[0]), dtype=np.uint8)
    _wait(pg, name, pg.comm.Iscatterv(send, [data, MPI.BYTE], root=root))
    scatter_object_output_list[0] = pickle.loads(data.tobytes())


# ---------------------------------------------------------------- point to point
def _peer(op: str, pg: ProcessGroup, rank: Optional[int], group_rank: Optional[int], name: str,
          any_ok: bool = False) -> Any:
    if rank is None and group_rank is None and any_ok:
        return pg.MPI.ANY_SOURCE
    peer = _root(op, pg, rank, group_rank, name)
    if peer == pg.rank():
        raise ValueError(f"{op}: Invalid {name} rank: {name} must not be the same as the rank of "
                         f"the current process")
    return peer


def isend(tensor: TensorOrArray, dst: Optional[int] = None, group: Optional[ProcessGroup] = None,
          tag: int = 0, group_dst: Optional[int] = None) -> Optional[Work]:
    """Start sending tensor to rank dst; returns a Work (wait() before changing tensor)."""
    name = "send"
    pg = default_group("isend", group)
    if pg is None:
        return None
    peer = _peer("isend", pg, dst, group_dst, "dst")
    io = _Io("isend", "tensor", tensor)
    return _run(pg, name, lambda: [pg.comm.Isend(_bytes(pg.MPI, io.buffer), dest=peer, tag=tag)],
                async_op=True)


def irecv(tensor: TensorOrArray, src: Optional[int] = None, group: Optional[ProcessGroup] = None,
          tag: int = 0, group_src: Optional[int] = None) -> Optional[Work]:
    """Start receiving into tensor from rank src (None: any rank); returns a Work."""
    name = "recv"
    pg = default_group("irecv", group)
    if pg is None:
        return None
    peer = _peer("irecv", pg, src, group_src, "src", any_ok=True)
    io = _Io("irecv", "tensor", tensor, write=True)
    return _run(pg, name, lambda: [pg.comm.Irecv(_bytes(pg.MPI, io.buffer), source=peer, tag=tag)],
                io.done, [tensor], async_op=True)


def send(tensor: TensorOrArray, dst: Optional[int] = None, group: Optional[ProcessGroup] = None,
         tag: int = 0, group_dst: Optional[int] = None) -> None:
    """Send tensor to rank dst, which receives it with recv (blocks until it is sent)."""
    work = isend(tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor: TensorOrArray, src: Optional[int] = None, group: Optional[ProcessGroup] = None,
         tag: int = 0, group_src: Optional[int] = None) -> int:
    """Receive into tensor from rank src (None: any rank); returns the sender's rank."""
    name = "recv"
    pg = default_group(name, group)
    if pg is None:
        return -1
    peer = _peer(name, pg, src, group_src, "src", any_ok=True)
    io = _Io(name, "tensor", tensor, write=True)
    statuses = [pg.MPI.Status()]
    request = pg.comm.Irecv(_bytes(pg.MPI, io.buffer), source=peer, tag=tag)
    faults.wait(pg, [request], name, pg.start(name), statuses)
    io.done()
    return pg.ranks[statuses[0].Get_source()]
