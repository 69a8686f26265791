"""The process group: which processes take part, and who each one is (``torch.distributed``'s
``init_process_group``, ``get_rank``, ``get_world_size``, ``new_group``, ...), over MPI.

``mpiexec -n N python script.py`` starts N copies of a script; ``init_process_group()`` in each
makes the default group of all N (MPI's ``COMM_WORLD``, duplicated so that gradsheet's
messages never meet the script's own mpi4py ones). Rank and world size come from MPI; the
``env://`` variables of PyTorch's launchers (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) are
accepted and, when set, checked against MPI's, as are ``rank=`` and ``world_size=``.
mpi4py is imported on first use only: it initialises MPI when imported.
"""
from __future__ import annotations

import datetime
import enum
import importlib.util
import numbers
import os
import time
import uuid
from collections.abc import Iterable
from typing import Any, Optional, Union

import numpy as np

from . import faults

__all__ = ["Backend", "GroupMember", "ProcessGroup", "ReduceOp", "destroy_process_group",
           "get_backend", "get_global_rank", "get_group_rank", "get_process_group_ranks",
           "get_rank", "get_world_size", "group", "init_process_group", "is_available",
           "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available",
           "is_torchelastic_launched", "new_group"]

# the collectives, by code (the debug check and the timeout diagnosis send codes, not names)
OPS = ("barrier", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
       "all_gather_object", "broadcast_object_list", "reduce", "reduce_scatter",
       "reduce_scatter_tensor", "gather", "scatter", "gather_object", "scatter_object_list",
       "all_to_all", "all_to_all_single", "monitored_barrier", "new_group", "init_process_group",
       "send", "recv")

DIST_EXTRA = 'pip install "gradsheet[dist]"'


def mpi(op: str) -> Any:
    """mpi4py's MPI module (importing it initialises MPI); ImportError naming the dist extra."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(f"{op}: gradsheet.distributed runs over MPI and needs mpi4py and an MPI "
                          f"library: {DIST_EXTRA} (mpi4py and MPICH, whose mpiexec launches the "
                          f"ranks) ({error})") from None
    return MPI


class NotInitializedError(ValueError, RuntimeError):
    """A distributed call before ``init_process_group``: a ValueError, as PyTorch raises, and a
    RuntimeError."""


class Backend(str):
    """A backend's name, lower case (``Backend("MPI") == "mpi"``); gradsheet has one, MPI.
    ``backend="gloo"`` (PyTorch's CPU backend) is accepted and runs over MPI too."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"

    def __new__(cls, name: str) -> Backend:
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: "
                             f"{type(name).__name__}")
        return super().__new__(cls, name.lower())


class ReduceOp:
    """How a reduction combines the ranks' values: ``SUM``, ``AVG`` (the sum / world size;
    integers truncate towards zero), ``PRODUCT``, ``MIN``, ``MAX``, and, for integers and bools,
    ``BAND``, ``BOR``, ``BXOR``; members of ``ReduceOp.RedOpType`` (PyTorch's codes)."""

    class RedOpType(enum.IntEnum):
        """The reduction codes, PyTorch's values."""
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


class ProcessGroup:
    """A set of ranks that run collectives together: an MPI communicator (plus a second one for
    the timeout diagnosis), the members' global ranks in group order, and the timeout.

    ``rank()`` and ``size()`` are this process's rank in the group and the group's size.
    """

    def __init__(self, MPI: Any, comm: Any, ranks: Iterable[int], timeout: float,
                 name: str) -> None:
        self.MPI, self.comm, self.ranks, self.timeout = MPI, comm, list(ranks), timeout
        self.diag = comm.Dup()
        self.group_name = name
        self.seq = 0  # collectives started on this group (the diagnosis reports it)
        self.current: Optional[int] = None  # the collective this rank is in, by code
        self.keep: list[tuple[np.ndarray, Any]] = []  # (buffer, request) of diagnosis sends still in flight

    def rank(self) -> int:
        """This process's rank within the group."""
        return self.comm.Get_rank()

    def size(self) -> int:
        """The number of ranks in the group."""
        return self.comm.Get_size()

    def name(self) -> str:
        """The backend's name, "mpi"."""
        return Backend.MPI

    def describe(self) -> str:
        """The group in words, for messages."""
        if self is GroupMember.WORLD:
            return "the default group"
        return f"the group of ranks {self.ranks}"

    def op_code(self) -> int:
        """The code of the collective this rank is in (-1: none)."""
        return -1 if self.current is None else self.current

    @staticmethod
    def op_name(code: int) -> str:
        """A collective's name from its code."""
        return OPS[code] if 0 <= code < len(OPS) else "no collective"

    @staticmethod
    def op_index(op: str) -> int:
        """A collective's code from its name."""
        return OPS.index(op)

    def start(self, op: str, timeout: Optional[float] = None) -> float:
        """Note that collective ``op`` starts: a new sequence number; returns its deadline."""
        self.seq += 1
        return time.monotonic() + (self.timeout if timeout is None else timeout)

    def free(self) -> None:
        """Free the communicators."""
        for comm in (self.diag, self.comm):
            try:
                comm.Free()
            except Exception:
                pass

    def __repr__(self) -> str:
        return f"<gradsheet.distributed.ProcessGroup ranks={self.ranks} backend=mpi>"


class GroupMember:
    """``WORLD``: the default group once ``init_process_group`` has run (None before);
    ``NON_GROUP_MEMBER``: what ``new_group`` returns on the ranks it leaves out."""
    WORLD: Optional[ProcessGroup] = None
    NON_GROUP_MEMBER: Any = object()


group = GroupMember  # torch.distributed.group.WORLD


class _State:
    groups: list[ProcessGroup] = []  # the groups made by new_group, freed with the default one
    backend: Optional[Backend] = None


# ---------------------------------------------------------------- availability and init
def is_available() -> bool:
    """True when gradsheet.distributed can run: mpi4py is installed (the ``dist`` extra)."""
    try:
        return importlib.util.find_spec("mpi4py") is not None
    except (ImportError, ValueError):
        return False


def is_mpi_available() -> bool:
    """True when the MPI backend is available: mpi4py is installed."""
    return is_available()


def is_nccl_available() -> bool:
    """False: NCCL (NVIDIA's GPU backend) is not part of gradsheet."""
    return False


def is_gloo_available() -> bool:
    """False: gradsheet has no Gloo; ``backend="gloo"`` is accepted and runs over MPI."""
    return False


def is_torchelastic_launched() -> bool:
    """False: gradsheet's ranks are launched by mpiexec, not torchelastic (torchrun)."""
    return False


def is_initialized() -> bool:
    """True once ``init_process_group`` has run (and ``destroy_process_group`` has not)."""
    return GroupMember.WORLD is not None


def _seconds(op: str, timeout: Optional[Union[datetime.timedelta, float]]) -> float:
    """A timeout in seconds: a datetime.timedelta (PyTorch's type) or a number; None: the
    default (GRADSHEET_DISTRIBUTED_TIMEOUT, else 300 s)."""
    if timeout is None:
        env = os.environ.get("GRADSHEET_DISTRIBUTED_TIMEOUT")
        if env is None:
            return faults.DEFAULT_TIMEOUT
        try:
            timeout = float(env)
        except ValueError:
            raise ValueError(f"{op}: GRADSHEET_DISTRIBUTED_TIMEOUT={env!r} is not a number of "
                             f"seconds") from None
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
        raise TypeError(f"{op}: timeout must be a datetime.timedelta or a number of seconds, got "
                        f"{type(timeout).__name__}")
    seconds = float(timeout)
    if not seconds > 0:
        raise ValueError(f"{op}: timeout must be positive, got {timeout} s")
    return seconds


def _check_env(name: str, value: Optional[Union[int, str]], actual: int, what: str) -> None:
    """Check a launcher's rank or world size (argument or env:// variable) against MPI's."""
    if value is None or value == -1:
        return
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"init_process_group: {name}={value!r} is not an integer") from None
    if value != actual:
        raise ValueError(f"init_process_group: {name}={value} but MPI gives this process {what} "
                         f"{actual}: gradsheet.distributed takes rank and world size from MPI; "
                         f"launch the script with `mpiexec -n N python script.py`")


def init_process_group(backend: Optional[str] = None, init_method: Optional[str] = None,
                       timeout: Optional[Union[datetime.timedelta, float]] = None,
                       world_size: int = -1, rank: int = -1, store: Any = None,
                       group_name: str = "", pg_options: Any = None,
                       device_id: Any = None) -> None:
    """Join the default process group of all ranks: rank r of world_size, as MPI numbers them.

    Args:
        backend: "mpi" (or None); "gloo" is accepted and runs over MPI as well.
        init_method: accepted for PyTorch's scripts ("env://", "tcp://...", "file://...");
            MPI has already put the ranks in touch, so nothing is read from it.
        timeout: how long a collective waits for the other ranks before it raises
            (``datetime.timedelta`` or seconds); default GRADSHEET_DISTRIBUTED_TIMEOUT or 300 s.
        world_size, rank: when given (not -1), checked against MPI's; so are the env://
            variables WORLD_SIZE and RANK when set (MASTER_ADDR / MASTER_PORT are accepted).
        store, group_name, pg_options, device_id: accepted, unused (MPI needs no store; CPU).

    Installs the fault handling of ``gradsheet.distributed.faults``: an uncaught exception
    aborts the whole job, naming its rank.
    """
    op = "init_process_group"
    if is_initialized():
        raise ValueError("trying to initialize the default process group twice!")
    name = Backend(Backend.MPI if backend is None else backend)
    if "," in name or ":" in name:  # "cpu:gloo,cuda:nccl": the CPU entry decides
        parts = dict((kind, value) if sep else ("cpu", kind)
                     for kind, sep, value in (p.partition(":") for p in name.split(",")))
        name = Backend(parts.get("cpu", "mpi"))
    if name not in (Backend.MPI, Backend.GLOO):
        raise ValueError(f"{op}: backend {name!r} is not available in gradsheet (CPU, over MPI): "
                         f"use backend='mpi' (or 'gloo', which runs over MPI too)")
    if isinstance(init_method, str) and not init_method.startswith(("env://", "tcp://", "file://")):
        raise ValueError(f"{op}: init_method={init_method!r}: expected 'env://', 'tcp://...' or "
                         f"'file://...'")
    seconds = _seconds(op, timeout)
    MPI = mpi(op)
    world = MPI.COMM_WORLD
    size, me = world.Get_size(), world.Get_rank()
    _check_env("world_size", world_size, size, "world size")
    _check_env("rank", rank, me, "rank")
    _check_env("WORLD_SIZE (environment)", os.environ.get("WORLD_SIZE"), size, "world size")
    _check_env("RANK (environment)", os.environ.get("RANK"), me, "rank")
    pg = ProcessGroup(MPI, world.Dup(), range(size), seconds, group_name or "default")
    # the job's token names the file through which the first failing rank claims the blame
    token = np.frombuffer(uuid.uuid4().bytes, dtype=np.uint8).copy()
    faults.wait(pg, [pg.comm.Ibcast([token, MPI.BYTE], root=0)], op, pg.start(op))
    GroupMember.WORLD = pg
    _State.backend = name
    faults.install(MPI, me, token.tobytes().hex())


def destroy_process_group(group: Optional[ProcessGroup] = None) -> None:
    """Leave a group: the default one (None: every group, and the fault handling) or one made
    by ``new_group``. ``init_process_group`` may run again afterwards."""
    pg = default_group("destroy_process_group", group)
    if pg is None:
        return
    if pg is GroupMember.WORLD:
        for other in _State.groups:
            other.free()
        _State.groups = []
        pg.free()
        GroupMember.WORLD = None
        _State.backend = None
        faults.uninstall()
    else:
        pg.free()
        if pg in _State.groups:
            _State.groups.remove(pg)


def default_group(op: str, group: Optional[ProcessGroup] = None) -> Optional[ProcessGroup]:
    """The group a call runs on: ``group``, or the default one; NotInitializedError (naming
    the call and init_process_group) before init; None on a rank left out of ``group``."""
    if GroupMember.WORLD is None:
        raise NotInitializedError(f"{op}: the default process group has not been initialized; call "
                                  f"init_process_group() first (in every rank, under mpiexec)")
    if group is None:
        return GroupMember.WORLD
    if group is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"{op}: group must be a ProcessGroup (from new_group) or None, got "
                        f"{type(group).__name__}")
    if group.comm == group.MPI.COMM_NULL:
        raise ValueError(f"{op}: this group has been destroyed")
    return group


def get_rank(group: Optional[ProcessGroup] = None) -> int:
    """This process's rank: in the default group, or in ``group`` (-1 when not a member)."""
    pg = default_group("get_rank", group)
    return -1 if pg is None else pg.rank()


def get_world_size(group: Optional[ProcessGroup] = None) -> int:
    """The number of ranks: of the default group, or of ``group`` (-1 when not a member)."""
    pg = default_group("get_world_size", group)
    return -1 if pg is None else pg.size()


def get_backend(group: Optional[ProcessGroup] = None) -> Backend:
    """The group's backend name, ``Backend("mpi")`` (or "gloo" when init asked for it)."""
    pg = default_group("get_backend", group)
    if pg is None:
        raise ValueError("get_backend: invalid process group specified (this rank is not in it)")
    assert _State.backend is not None  # set by init_process_group with the default group
    return _State.backend


def get_process_group_ranks(group: Optional[ProcessGroup]) -> list[int]:
    """The global ranks of ``group``'s members, in group-rank order."""
    pg = default_group("get_process_group_ranks", group)
    if pg is None:
        raise ValueError("get_process_group_ranks: this rank is not in the group")
    return list(pg.ranks)


def get_global_rank(group: ProcessGroup, group_rank: int) -> int:
    """The global rank of the member with rank ``group_rank`` in ``group``."""
    pg = default_group("get_global_rank", group)
    if pg is None or not 0 <= group_rank < len(pg.ranks):
        raise ValueError(f"get_global_rank: group rank {group_rank} is not part of the group")
    return pg.ranks[group_rank]


def get_group_rank(group: ProcessGroup, global_rank: int) -> int:
    """The rank within ``group`` of the process with global rank ``global_rank``."""
    pg = default_group("get_group_rank", group)
    if pg is None or global_rank not in pg.ranks:
        raise ValueError(f"get_group_rank: Global rank {global_rank} is not part of the group")
    return pg.ranks.index(global_rank)


def new_group(ranks: Optional[list[int]] = None,
              timeout: Optional[Union[datetime.timedelta, float]] = None,
              backend: Optional[str] = None, pg_options: Any = None,
              use_local_synchronization: bool = False, group_desc: Optional[str] = None,
              device_id: Any = None, sort_ranks: bool = True
              ) -> Any:  # a ProcessGroup, or GroupMember.NON_GROUP_MEMBER where left out
    """A group of some ranks (None: all) for collectives among them; every rank of the default
    group must call it (with the same ranks). Ranks left out get ``GroupMember.NON_GROUP_MEMBER``,
    on which collectives do nothing."""
    op = "new_group"
    world = default_group(op)
    assert world is not None  # the default group (default_group raises before init)
    size = world.size()
    members = list(range(size)) if ranks is None else [int(r) for r in ranks]
    bad = [r for r in members if not 0 <= r < size]
    if bad:
        raise ValueError(f"{op}: ranks {bad} are not ranks of the default group (world size {size})")
    if len(set(members)) != len(members):
        raise ValueError(f"{op}: ranks {members} repeat a rank")
    if sort_ranks:
        members.sort()
    seconds = world.timeout if timeout is None else _seconds(op, timeout)
    MPI = world.MPI
    me = world.rank()
    deadline = world.start(op)
    faults.wait(world, [world.comm.Ibarrier()], op, deadline)  # every rank is here
    inside = me in members
    comm = world.comm.Split(0 if inside else MPI.UNDEFINED, members.index(me) if inside else 0)
    if not inside:
        return GroupMember.NON_GROUP_MEMBER
    pg = ProcessGroup(MPI, comm, members, seconds, group_desc or f"group{len(_State.groups) + 1}")
    _State.groups.append(pg)
    return pg
