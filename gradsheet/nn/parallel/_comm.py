"""The few collectives DistributedDataParallel and SyncBatchNorm need, on NumPy arrays, through
``gradsheet.distributed`` (torch.distributed's names over mpi4py). Every array handed over is
C-contiguous, so MPI reduces it in place through the buffer interface (no pickling), except the
small objects of ``all_gather_object`` and ``broadcast_object``. Groups: None is the default
group; roots are group ranks (``group_src``), so a subgroup works as in PyTorch.
(gradsheet.distributed is imported on first use: ``import gradsheet`` stays as fast.)"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

if TYPE_CHECKING:
    from ...distributed.collectives import Work
    from ...distributed.process_group import ProcessGroup


def _dist() -> ModuleType:
    return importlib.import_module("gradsheet.distributed")


def is_initialized() -> bool:
    """Whether the default process group is up (never, before gradsheet.distributed is
    imported: init_process_group lives there)."""
    dist = sys.modules.get("gradsheet.distributed")
    return dist is not None and bool(dist.is_available()) and bool(dist.is_initialized())


def check_initialized(owner: str) -> None:
    """RuntimeError (torch's wording) when no process group has been initialised."""
    if not is_initialized():
        raise RuntimeError(f"{owner}: Default process group has not been initialized, please "
                           "make sure to call init_process_group.")


def rank(group: Optional[ProcessGroup] = None) -> int:
    """This process's rank in ``group`` (None: the default group)."""
    return _dist().get_rank(group)


def world_size(group: Optional[ProcessGroup] = None) -> int:
    """The number of ranks in ``group`` (None: the default group)."""
    return _dist().get_world_size(group)


def all_reduce_sum(array: np.ndarray, group: Optional[ProcessGroup] = None,
                   async_op: bool = False) -> Optional[Work]:
    """array <- the sum of ``array`` over the ranks, in place (a C-contiguous ndarray); with
    ``async_op`` a work handle whose ``wait()`` completes it, else None."""
    dist = _dist()
    return dist.all_reduce(array, op=dist.ReduceOp.SUM, group=group, async_op=async_op)


def broadcast(array: np.ndarray, src: int = 0, group: Optional[ProcessGroup] = None) -> None:
    """array <- the ``array`` of group rank ``src``, in place on every rank."""
    _dist().broadcast(array, group=group, group_src=src)


def all_gather_object(obj: Any, group: Optional[ProcessGroup] = None) -> list[Any]:
    """[rank 0's obj, rank 1's obj, ...]: a small picklable object from every rank."""
    out: list[Any] = [None] * world_size(group)
    _dist().all_gather_object(out, obj, group=group)
    return out


def broadcast_object(obj: Any, src: int = 0, group: Optional[ProcessGroup] = None) -> Any:

    """Group rank ``src``'s ``obj`` on every rank (a small picklable object)."""
    box = [obj]
    _dist().broadcast_object_list(box, group=group, group_src=src)
    return box[0]
